"""The session keeper: every request about calls, under the rules of call safety.

A dial rings at most one call, and no call the server placed is lost:

- ``login`` with numbers and ``connect`` are sent at most once per dial
  attempt. The client never re-sends them (aiohttp's retry is off for them);
  nothing here sends them again after a time-out, a dropped connection, an
  HTTP error or an unreadable answer.
- An uncertain ``connect`` (no readable answer) is checked by ``getStatus``:
  a live session is taken to hold the new call, which is then followed. A
  session that is gone or answers error pages is closed (``hangUp``, ``end``)
  and forgotten, so the next dial logs in; one the server cannot be reached
  for at all is kept, and the call followed. An uncertain ``login`` raises
  :class:`CallMayBePlacedError`: the server may have placed a call whose
  GUID we never got.
- 101, 102 or 104 is a session loss only once a ``getStatus`` answers one
  of them too (after a ``getStatus`` that answered one, a second). Only a
  confirmed loss leads to a new login; a live session that refused
  ``connect`` raises the refusal.
- A GUID is forgotten only after a confirmed loss, or after ``hangUp`` and
  ``end`` were sent for it and the server answered something.
- The GUID, and the call in progress in it, are kept in ``.storage``: a
  restart leaves the call alone and :meth:`SessionKeeper.resume` follows it
  again. A call being placed is written there before its request is sent:
  after a crash during ``connect`` the next start follows it (counted once
  it shows a status of its own); after a crash during ``login``, which
  would have brought the GUID, it is reported as one that may ring.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum, auto
import time
from typing import Any, Protocol

from .api import (
    CallStatus,
    ConnectCallClient,
    ConnectCallCommandError,
    ConnectCallConnectionError,
    ConnectCallError,
    ConnectCallHTTPError,
    ConnectCallResponseError,
    Session,
)
from .call import restore_tracker
from .codes import SESSION_LOST_CODES, CallMode
from .const import LOGGER


class CallMayBePlacedError(ConnectCallError):
    """A call-placing request got no readable answer: a call may ring."""


class SessionLostError(ConnectCallError):
    """The login session is gone (confirmed by ``getStatus``)."""


@dataclass(frozen=True, slots=True)
class Resumed:
    """A call the last run left in progress, found again at setup."""

    status: CallStatus | None
    # The call's snapshot (see CallTracker.snapshot); None after a crash
    # of a version that stored the GUID alone.
    call: dict[str, Any] | None
    # Unix time the status was judged at: the tracker takes it at the same
    # instant, so both read it alike.
    at: float


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _readable(record: Any) -> dict[str, Any] | None:
    """A stored call record, or None when absent or unreadable.

    Its ID and times are numbers (the tracker counts with them).
    """
    if record is None or (
        isinstance(record, dict)
        and all(_number(record.get(key)) for key in ("call_id", "dialled"))
        and all(
            record.get(key) is None or _number(record[key])
            for key in ("answered", "ring_timeout", "max_duration")
        )
    ):
        return record
    LOGGER.warning("A stored call record is unreadable; it is left out")
    return None


def _ends(call: dict[str, Any] | None, status: CallStatus, at: float) -> bool:
    """Whether ``status`` at ``at`` ends the stored call, as its tracker takes it.

    One rule for the start's check and the call followed after it: a final
    code may be the call before's; our accepted hang-up ends the call.
    """
    if call is None:
        return status.is_final
    tracker = restore_tracker(call)
    tracker.on_status(status.code, status.message, at)
    return tracker.over


class Placement(Enum):
    """How a call went into a session."""

    LOGIN = auto()  # a new session (the server accepted the login)
    CONNECT = auto()  # the open session (the server accepted ``connect``)
    # The open session; ``connect`` got no answer but the session lives on,
    # so the call is followed as placed though the server may never have
    # acted on it.
    UNCONFIRMED = auto()

    @property
    def reused_session(self) -> bool:
        """A previous call's last status may still linger in the session."""
        return self is not Placement.LOGIN


class _Seen(Enum):
    """What one ``getStatus`` says of a session."""

    CALL = auto()  # a call in progress, an unchanged or an odd answer
    NO_CALL = auto()  # a final status: the session lives, no call is up
    LOST = auto()  # 101, 102 or 104
    ERROR_PAGE = auto()  # an HTTP error: the server is up, the GUID unusable
    SILENT = auto()  # no answer


def _uncertain(err: ConnectCallError) -> bool:
    """The request may have reached the server, and its answer is unknown."""
    if isinstance(err, ConnectCallConnectionError):
        return err.sent
    return isinstance(err, ConnectCallResponseError)


class SessionStore(Protocol):
    """Where the GUID and the call in progress outlive a restart.

    Home Assistant's ``Store`` in the integration; anything alike in tests.
    """

    async def async_load(self) -> dict[str, Any] | None:
        """The saved data, or None."""

    async def async_save(self, data: dict[str, Any]) -> None:
        """Save now."""

    def async_delay_save(
        self, data_func: Callable[[], dict[str, Any]], delay: float = 0
    ) -> None:
        """Save soon (coalesced)."""

    async def async_remove(self) -> None:
        """Remove the saved data."""


class SessionCheck:
    """What one ``getStatus`` says of a session; the status it read, if any."""

    def __init__(self, client: ConnectCallClient) -> None:
        """Nothing is asked until a check."""
        self._client = client
        self.status: CallStatus | None = None

    async def seen(self, session: Session) -> _Seen:
        """One ``getStatus``, read as what it says of the session."""
        self.status = None
        try:
            status = await self._client.get_status(session)
        except ConnectCallCommandError as err:
            return _Seen.LOST if err.code in SESSION_LOST_CODES else _Seen.CALL
        except ConnectCallHTTPError:
            return _Seen.ERROR_PAGE
        except ConnectCallError:
            return _Seen.SILENT
        self.status = status
        return _Seen.NO_CALL if status is not None and status.is_final else _Seen.CALL

    async def confirmed(self, session: Session) -> _Seen:
        """``getStatus`` with no loss hinted before: a second confirms one."""
        seen = await self.seen(session)
        return await self.seen(session) if seen is _Seen.LOST else seen

    async def dead(self, session: Session) -> bool:
        """Error pages for the GUID, while a GUID-less login is answered."""
        if await self.seen(session) is not _Seen.ERROR_PAGE:
            return False
        try:
            await self._client.verify()
        except ConnectCallError:
            return False
        return True


class SessionRecord:
    """The GUID, its call in progress and a call being placed, in ``.storage``."""

    def __init__(self, store: SessionStore) -> None:
        """Nothing is loaded here."""
        self._store = store
        self.guid: str | None = None
        self.call: dict[str, Any] | None = None
        # The call being placed (its record) while its request is in flight.
        self.placing: dict[str, Any] | None = None
        # A save was asked for (it lands soon): flushed at a shutdown.
        self._pending = False

    def opened(self, guid: str | None, call: dict[str, Any] | None) -> None:
        """The session (None: none) and its call in progress; saved soon."""
        self.guid, self.call = guid, call
        self._save()

    def tracked(self, call: dict[str, Any] | None) -> None:
        """The call in progress in the session; saved soon."""
        self.call = call
        self._save()

    async def placing_started(self, call: dict[str, Any]) -> None:
        """A call is being placed: on disk before its request is sent."""
        self.placing = call
        await self.write()

    def placing_ended(self, *, placed: bool) -> None:
        """Placed: the call in progress, until the followed one is recorded."""
        if placed:
            self.call = self.placing
        self.placing = None
        self._save()

    def _save(self) -> None:
        self._pending = True
        self._store.async_delay_save(self._data, 0)

    async def write(self) -> None:
        """Save now: what follows needs it on disk."""
        self._pending = False
        await self._store.async_save(self._data())

    async def write_pending(self) -> None:
        """Write a save still pending at once.

        At a shutdown it must not land after the entry, and its store, are
        gone. Nothing asked to be saved: nothing is written (a GUID this run
        never loaded stays).
        """
        if self._pending:
            await self.write()

    async def load(self) -> dict[str, Any]:
        """What the last run left (not taken on: ``resume`` decides)."""
        return await self._store.async_load() or {}

    async def clear(self) -> None:
        """Nothing left: written at once."""
        self.guid = self.call = self.placing = None
        await self.write()

    async def remove(self) -> None:
        """The account is gone: so is its record."""
        await self._store.async_remove()

    def _data(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.guid is not None:
            data = {"guid": self.guid, "call": self.call}
        if self.placing is not None:
            data["placing"] = self.placing
        return data


class LeftSession:
    """The session the last run left (in ``.storage``): decided at start-up."""

    def __init__(
        self, client: ConnectCallClient, check: SessionCheck, record: SessionRecord
    ) -> None:
        """Nothing is loaded here."""
        self._client = client
        self._check = check
        self._record = record
        # The call the last run left, found over by ``resume`` (its final
        # status and record): its end is still to be reported.
        self.ended_while_away: Resumed | None = None
        # The call the last run was placing by ``login`` when it stopped
        # without a word (a crash): it may ring, with no GUID to follow it by.
        self.placed_unseen: dict[str, Any] | None = None

    async def resume(self) -> Resumed | None:
        """The session the last run left: ``getStatus`` decides.

        A call in progress is returned to be followed; otherwise the session
        is ended and forgotten. A server that cannot be reached raises, and
        the GUID stays stored for the next try.
        """
        stored = await self._record.load()
        # A call being placed when the last run stopped is the newest.
        placing, call = _readable(stored.get("placing")), _readable(stored.get("call"))
        record = placing if placing is not None else call
        if not (guid := stored.get("guid")):
            if placing is not None:
                LOGGER.warning(
                    "Home Assistant stopped while a login was placing a call; "
                    "it may ring, and cannot be followed"
                )
                self.placed_unseen = placing
            if stored:
                # Told (or unreadable): not again at the next start.
                await self._record.clear()
            return None
        session = Session(guid)
        status: CallStatus | None = None
        # When the status was asked for, in Unix time: the trackers' clock.
        at = time.time()
        try:
            status = await self._client.get_status(session)
        except ConnectCallCommandError as err:
            # 101/102/104 twice: gone. An odd answer: the polls will tell.
            gone = err.code in SESSION_LOST_CODES
            active = not gone or await self._check.seen(session) is not _Seen.LOST
        except ConnectCallHTTPError:
            # Dead only if it keeps getting error pages while the server
            # answers without it; else a hiccup: retried later, GUID kept.
            if not await self._check.dead(session):
                raise
            active = False
        else:
            # 105 (unchanged) tells nothing: the call may go on. Nor does a
            # final code the server may still show of the call before.
            active = status is None or not _ends(record, status, at)
        if active:
            LOGGER.info("Following the call left in progress by the last run")
            self._record.opened(guid, record)
            return Resumed(status, record, at)
        # Over (a final status of its own), or its session gone: the stored
        # call's end is still to be told.
        # A call being placed stays unsure: its final code cannot be told
        # from the one before's (which may have ended unpolled), so it is
        # neither counted nor told.
        self.ended_while_away = Resumed(status, record, at)
        LOGGER.info("Ending the login session left open by the last run")
        # A hangUp first unless the server says the call is over: one our
        # accepted hang-up ended may still be up (a server that ignored it).
        await self._client.close(session, hang_up=status is None or not status.is_final)
        await self._record.clear()
        return None

    async def remove(self) -> None:
        """The account is removed: end the session a stop left, forget it all.

        Unloading kept a call in progress (and its GUID); removal is the
        moment to hang it up and log out. Best effort, bounded by the client.
        """
        try:
            if guid := (await self._record.load()).get("guid"):
                await self._client.close(Session(guid))
        finally:
            await self._record.remove()


class SessionKeeper:
    """Holds the GUID; every request about calls goes through here."""

    def __init__(self, client: ConnectCallClient, store: SessionStore) -> None:
        """Nothing is requested or loaded here."""
        self.client = client
        self._check = SessionCheck(client)
        self._record = SessionRecord(store)
        # What the last run left: taken on (or ended) at the start-up.
        self.left = LeftSession(client, self._check, self._record)

    @property
    def is_open(self) -> bool:
        """A login session is open (never the GUID itself)."""
        return self._record.guid is not None

    @property
    def last_status_sent(self) -> float | None:
        """When the last ``getStatus`` was sent (loop time): the floor's base."""
        return self.client.last_status_sent

    async def verify(self) -> None:
        """Check the credentials with a login that places no call."""
        await self.client.verify()

    @property
    def _session(self) -> Session | None:
        guid = self._record.guid
        return None if guid is None else Session(guid)

    async def place(
        self, destination: str, source: str, mode: CallMode, record: dict[str, Any]
    ) -> tuple[Placement, CallStatus | None]:
        """Place one call: how it went into a session, and what it showed.

        For an unconfirmed call, the status the ``getStatus`` that checked
        its session read (None: nothing readable); else None. Raises the
        client's errors, or :class:`CallMayBePlacedError`.

        ``record``: the call as a restart would follow it (the caller marks
        it unsure: the server may never act on the request). Written before
        the request is sent and kept as the call in progress once placed,
        until :meth:`track` records the call followed; a failure drops it
        (nothing placed, or the caller is told).
        """
        await self._record.placing_started(record)
        try:
            placed = await self._place(destination, source, mode)
        except Exception:
            self._record.placing_ended(placed=False)
            raise
        self._record.placing_ended(placed=True)
        return placed

    async def _place(
        self, destination: str, source: str, mode: CallMode
    ) -> tuple[Placement, CallStatus | None]:
        if (session := self._session) is not None:
            if placed := await self._connect(session, destination, source, mode):
                return placed
            # Forgotten on disk before the login: a crash while it is out
            # must find no session, so it reports the call it may place.
            await self._record.write()
        try:
            self._remember(await self.client.login(destination, source, mode))
        except ConnectCallError as err:
            if _uncertain(err):
                raise CallMayBePlacedError("The login got no answer") from err
            raise
        return Placement.LOGIN, None

    async def _connect(
        self, session: Session, destination: str, source: str, mode: CallMode
    ) -> tuple[Placement, CallStatus | None] | None:
        """``connect`` once; None only when the session is confirmed gone."""
        try:
            await self.client.connect(session, destination, source, mode)
        except ConnectCallCommandError as err:
            if (
                err.code in SESSION_LOST_CODES
                and await self._check.seen(session) is _Seen.LOST
            ):
                LOGGER.debug("Session gone (%s); logging in again", err.code)
                self._forget()
                return None
            raise
        except ConnectCallError as err:
            if not _uncertain(err):
                raise
            return Placement.UNCONFIRMED, await self._check_unanswered(session, err)
        return Placement.CONNECT, None

    async def _check_unanswered(
        self, session: Session, cause: ConnectCallError
    ) -> CallStatus | None:
        """An unanswered ``connect``: a live session is taken to hold the call.

        Returns the status that showed the session alive (the call's first).
        """
        seen = await self._check.confirmed(session)
        if seen in (_Seen.CALL, _Seen.NO_CALL):
            LOGGER.warning(
                "No answer to a call request; the session is alive, so the call "
                "is followed as placed"
            )
            return self._check.status
        # Gone or broken: close it the safe way (hangUp ends a call connect
        # may have placed); the next dial logs in.
        if await self.client.close(session) or seen is _Seen.LOST:
            self._forget()
            raise CallMayBePlacedError("The call request got no answer") from cause
        LOGGER.warning(
            "The server is not reachable after a call request; the call is "
            "followed as placed"
        )
        return None

    async def get_status(self) -> CallStatus | None:
        """The call's status; None when unchanged (105).

        Raises :class:`SessionLostError` once a loss is confirmed.
        """
        if (session := self._session) is None:
            raise SessionLostError("No session")
        try:
            return await self.client.get_status(session)
        except ConnectCallCommandError as err:
            if err.code not in SESSION_LOST_CODES:
                raise
        # A second getStatus confirms the loss, or answers the poll.
        try:
            return await self.client.get_status(session)
        except ConnectCallCommandError as err:
            if err.code not in SESSION_LOST_CODES:
                raise
            self._forget()
            raise SessionLostError("Session gone") from None

    async def hang_up(self, *, final_trusted: bool = True) -> None:
        """Hang up the session's call; returns once no call can be up in it.

        A refusal while ``getStatus`` shows no call is the goal reached (unless
        a final status may still be the previous call's: ``final_trusted``),
        and a confirmed loss has no call left. Anything else raises.
        """
        if (session := self._session) is None:
            return
        try:
            await self.client.hang_up(session)
        except (ConnectCallCommandError, ConnectCallHTTPError) as err:
            seen = await self._check.seen(session)
            lost = isinstance(err, ConnectCallCommandError) and (
                err.code in SESSION_LOST_CODES
            )
            if seen is _Seen.LOST and lost:
                self._forget()
            elif seen is not _Seen.NO_CALL or not final_trusted:
                raise

    async def guid_dead(self) -> bool:
        """Whether the open session is dead rather than the server overloaded."""
        return self._session is None or await self._check.dead(self._session)

    async def close(self, *, hang_up: bool = True) -> bool:
        """Hang up (unless no call can be active) and log out, best effort.

        The GUID is forgotten once the server answered; when it could not be
        reached at all it is kept, so a later close (or the next start) can
        still end its call. Returns whether it was forgotten.
        """
        if (session := self._session) is None:
            return True
        if not await self.client.close(session, hang_up=hang_up):
            return False
        self._forget()
        return True

    def track(self, call: dict[str, Any] | None) -> None:
        """The call in progress in this session, kept for a restart."""
        if call != self._record.call:
            self._record.tracked(call)

    async def leave(self) -> None:
        """Stop or unload with a call in progress: keep it all, send nothing."""
        await self._record.write()

    async def write_pending(self) -> None:
        """Write a save still pending at once (see ``SessionRecord``)."""
        await self._record.write_pending()

    def _remember(self, session: Session) -> None:
        self._record.opened(session.guid, None)

    def _forget(self) -> None:
        self._record.opened(None, None)
