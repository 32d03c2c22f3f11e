"""Placing calls: one ``login``/``connect`` per attempt, never cancelled mid-request.

"Always end the call before a new call is set up": the previous call is
hung up first (a failed hang-up fails the dial and keeps it followed). The
placement runs as a task of its own, so a cancelled caller (a newer dial,
a hang-up, an automation restart) never cuts a request that may be placing
a call; the task records and follows what it placed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant

from .api import ConnectCallError
from .call import CallState, CallTracker, Milestones
from .codes import FINAL_STATUS_CODES, OUTCOME_ANSWERED, OUTCOME_NO_ANSWER
from .const import DOMAIN, LOGGER
from .contacts import contact_name
from .line import FollowedCall, Line, LineClosedError, wall_time
from .plans import DialPlan
from .schedule import PollSchedule
from .session import Placement, SessionLostError


class CallPlacer:
    """Places calls on the line and waits for their outcome (a plan's ``Placer``)."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        line: Line,
        schedule: PollSchedule,
        unawaited_failed: Callable[[ConnectCallError], None],
    ) -> None:
        """Nothing is placed until a dial.

        ``unawaited_failed``: told the failure of a placement whose caller
        stopped waiting (a refused login still starts reauth).
        """
        self._hass = hass
        self._entry = entry
        self._line = line
        self._schedule = schedule
        self._unawaited_failed = unawaited_failed
        # Placements in flight (they outlive a cancelled caller), each with
        # its plan's key.
        self._in_flight: dict[asyncio.Task[FollowedCall], str] = {}

    @property
    def state(self) -> CallState:
        """The line's call as its tracker has it (the next publish shows it)."""
        call = self._line.current
        return CallState() if call is None else call.tracker.state

    @property
    def holds_line(self) -> bool:
        """A call not yet over, or a placement in flight."""
        call = self._line.current
        return bool(self._in_flight or (call is not None and not call.tracker.over))

    @property
    def holder_key(self) -> str | None:
        """The key of the plan whose call holds the line, if this run knows it.

        A placement in flight (the latest) first, else the followed call's
        (also one over by our knowledge alone, which may still be up).
        """
        if self._in_flight:
            return next(reversed(self._in_flight.values()))
        call = self._line.current
        return None if call is None else call.tracker.dial_key

    def create_background_task(
        self, coro: Coroutine[Any, Any, None], name: str
    ) -> asyncio.Task[None]:
        """A task the config entry ends at unload."""
        return self._entry.async_create_background_task(self._hass, coro, name)

    async def async_unconfirmed_end_still_up(self) -> bool:
        """Whether a call over by our own knowledge only is still up.

        Given up after failing polls, or ended by a hang-up the server never
        confirmed: the server is asked once. Unsure is "up": a dial that
        keeps the active call never cuts one.
        """
        line = self._line
        async with line.lock:
            call = line.current
            if (
                call is None
                or not call.tracker.over
                or call.tracker.server_final
                or not line.keeper.is_open
            ):
                return False
            try:
                status = await line.keeper.get_status()
            except SessionLostError:
                return False
            except ConnectCallError:
                return True
            if status is None or status.code not in FINAL_STATUS_CODES:
                return True
            call.tracker.confirmed_over()
            return False

    async def async_place(self, plan: DialPlan, destination: str) -> FollowedCall:
        """Place a call (hanging up a previous one first), poll it once."""
        task = self._hass.async_create_task(
            self._place(plan, destination), f"{DOMAIN} dial"
        )
        # Counted until done, even if cancelled before it ran.
        self._in_flight[task] = plan.key
        task.add_done_callback(self._placed)
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            task.add_done_callback(self._unawaited)
            raise

    def _placed(self, task: asyncio.Task[FollowedCall]) -> None:
        self._in_flight.pop(task, None)

    def _unawaited(self, task: asyncio.Task[FollowedCall]) -> None:
        """A placement whose caller was cancelled: its failure goes on."""
        if not task.cancelled() and (err := task.exception()) is not None:
            LOGGER.warning("A dial whose caller stopped waiting failed: %s", err)
            if isinstance(err, ConnectCallError):
                self._unawaited_failed(err)

    async def _place(self, plan: DialPlan, destination: str) -> FollowedCall:
        line = self._line
        async with line.lock:
            old = line.current
            # What the server last said of the call before (the hang-up
            # below changes our view of it, not the server's).
            previous = None if old is None else old.tracker.server_code
            await line.end_current_locked()
            # Until the server answers, the call is as unsure as one whose
            # connect got no answer: kept for a crash while the request is out.
            record = (
                self._tracker(
                    plan, destination, line.keeper.is_open, previous
                ).snapshot()
                | Milestones(sure=False).snapshot()
            )
            placement, first_status = await line.keeper.place(
                destination, plan.source, plan.mode, record
            )
            unconfirmed = placement is Placement.UNCONFIRMED
            tracker = self._tracker(
                plan,
                destination,
                placement.reused_session,
                # Unconfirmed by the server: its status alone can tell this
                # call from the one before, which may still be up.
                previous if unconfirmed else None,
            )
            if first_status is not None:
                # The getStatus that checked the session was the call's first.
                tracker.on_status(first_status.code, first_status.message, wall_time())
            call = self._schedule.follow(tracker, Milestones(sure=not unconfirmed))
        await self._schedule.poll_now(call)
        return call

    def _tracker(
        self,
        plan: DialPlan,
        destination: str,
        reused_session: bool,
        lingering: int | None,
    ) -> CallTracker:
        """The next call of ``plan`` to ``destination``, dialled now."""
        return CallTracker(
            call_id=self._line.next_call_id,
            destination=destination,
            dialled=wall_time(),
            reused_session=reused_session,
            lingering=lingering,
            # Named as dialled: a later edit of the contacts (or a second
            # contact with this number) does not rename it.
            contact=plan.contact or contact_name(self._entry, destination),
            ring_timeout=plan.ring_timeout,
            max_duration=plan.max_duration,
            dial_key=plan.key,
        )

    async def async_wait(self, call: FollowedCall, seconds: float) -> str:
        """Wait until the call is answered or over: ``answered`` or its outcome.

        Waiting ``seconds`` in vain hangs up: ``no_answer``. Cancelling the wait
        (an automation restarting) leaves the call alone.
        """
        line = self._line
        try:
            async with asyncio.timeout(seconds):
                await call.outcome_known.wait()
        except TimeoutError:
            async with line.lock:
                # Under the lock: a newer dial or an unload may have come;
                # a hang-up the server accepted is not sent again, and an
                # answered call is never cut.
                if (
                    line.is_current(call)
                    and not call.tracker.hung_up_by_us
                    and call.tracker.answered is None
                ):
                    await line.hang_up_locked(call, OUTCOME_NO_ANSWER)
            await self._schedule.poll_now(call)
        if line.stopped:
            # This run no longer follows the call (a reload goes on with it).
            raise LineClosedError("The line stopped while a dial waited")
        if call.tracker.answered is not None:
            return OUTCOME_ANSWERED
        # Not known: the wait ran out (even if the hang-up's poll failed).
        return call.tracker.outcome or OUTCOME_NO_ANSWER
