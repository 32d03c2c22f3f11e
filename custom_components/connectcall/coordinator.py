"""The call coordinator: one login session per account, one poller per call.

The stock scheduler does not fit: it aligns refreshes to whole seconds plus
a random offset and debounces requested refreshes for 10 s. Instead
``update_interval`` stays ``None`` and each call gets one background task
that polls ``getStatus`` at a steady cadence from the dial (the first poll at
once) until a final state. Outside calls nothing is requested.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import contextlib
from dataclasses import dataclass, field, replace
from datetime import datetime
import math

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, HomeAssistantError
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .api import (
    STATUS_TEXT,
    CallMode,
    CallStatus,
    ConnectCallAuthenticationError,
    ConnectCallClient,
    ConnectCallCommandError,
    ConnectCallError,
    ConnectCallSessionError,
    Session,
)
from .const import (
    ACCOUNT_STATE_CODE,
    CONF_POLL_INTERVAL,
    DEFAULT_POLL_INTERVAL,
    DOMAIN,
    LOGGER,
    OUTCOME_ANSWERED,
    OUTCOME_BUSY,
    OUTCOME_ENDED,
    OUTCOME_FAILED,
    OUTCOME_NO_ANSWER,
    POLL_GIVE_UP,
    SHUTDOWN_TIMEOUT,
    STATE_IDLE,
    STATE_UNKNOWN,
    STATUS_STATES,
    STORAGE_VERSION,
    UNANSWERED_OUTCOMES,
)
from .issues import FUNDS_CODES, async_call_answered, async_funds_seen

type ConnectCallConfigEntry = ConfigEntry[ConnectCallCoordinator]


@dataclass(frozen=True, slots=True, kw_only=True)
class CallState:
    """What the entities show: a value, replaced at every change."""

    status: str = STATE_IDLE
    code: int | None = None
    message: str | None = None
    call_id: int = 0
    destination: str | None = None
    dialled_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    # The call's event type once it is over (ended, busy, no_answer, ...).
    outcome: str | None = None

    @property
    def active(self) -> bool:
        """From the dial until a final state."""
        return self.call_id > 0 and self.ended_at is None

    @property
    def duration(self) -> float | None:
        """Seconds talked, once an answered call is over."""
        if self.answered_at is None or self.ended_at is None:
            return None
        return round((self.ended_at - self.answered_at).total_seconds(), 1)


@dataclass(frozen=True, slots=True, kw_only=True)
class DialPlan:
    """A validated ``dial``: numbers in order, each ring bounded."""

    destinations: tuple[str, ...]
    source: str
    mode: CallMode
    ring_timeout: float | None
    max_duration: float | None
    retry_busy: int
    retry_delay: float
    # How long a waiting dial waits for one number's outcome.
    wait_bound: float


@dataclass(slots=True)
class DialResult:
    """The ``dial`` action's response."""

    status: str | None = None
    status_code: int | None = None
    outcome: str | None = None
    answered_by: str | None = None
    attempts: list[dict[str, str | None]] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class _Call:
    """The coordinator's own bookkeeping of the current call."""

    id: int
    started: float  # loop time of the dial
    interval: float
    ring_timeout: float | None
    max_duration: float | None
    answered: float | None = None  # loop time of the first 9 or 29
    tick: int = 0  # polls are at started + tick * interval
    # Set once answered or over: what a waiting `dial` waits for.
    settled: asyncio.Event = field(default_factory=asyncio.Event)
    # The outcome our own hang-up decided (ring timeout, user).
    hang_up_outcome: str | None = None
    # The event type once the call is over.
    outcome: str | None = None
    # The server reported the account's state (5) before any answer.
    account_problem: bool = False


def _translated(key: str) -> HomeAssistantError:
    return HomeAssistantError(translation_domain=DOMAIN, translation_key=key)


@contextlib.contextmanager
def _api_errors() -> Iterator[None]:
    """Turn the client's errors into translated Home Assistant errors."""
    try:
        yield
    except ConnectCallCommandError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="command_failed",
            translation_placeholders={"code": str(err.code)},
        ) from err
    except ConnectCallError as err:
        raise _translated("cannot_connect") from err


class ConnectCallCoordinator(DataUpdateCoordinator[CallState]):
    """Places calls and follows them."""

    config_entry: ConnectCallConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConnectCallConfigEntry,
        client: ConnectCallClient,
    ) -> None:
        """Nothing is requested here; the probe runs in ``_async_setup``."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=DOMAIN,
            update_interval=None,
            always_update=False,
        )
        self.client = client
        self.data = CallState()
        self._session: Session | None = None
        # The open session's GUID survives a crash here, so the next start can
        # end it (Home Assistant's .storage holds the password too).
        self._store: Store[dict[str, str]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry.entry_id}", private=True
        )
        self._lock = asyncio.Lock()
        self._call: _Call | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._tick_task: asyncio.Task[None] | None = None
        self._plan_task: asyncio.Task[None] | None = None
        self._plan_generation = 0
        self._failing_since: float | None = None
        self._call_ids = 0

    @property
    def session_open(self) -> bool:
        """A login session is open (diagnostics; never the GUID itself)."""
        return self._session is not None

    def _set_session(self, session: Session | None) -> None:
        if session is self._session:
            return
        self._session = session
        self._store.async_delay_save(
            lambda: {"guid": session.guid} if session is not None else {}, 0
        )

    async def _async_setup(self) -> None:
        """End a session a crash left open, then probe the credentials once.

        No call is placed.
        """
        stored = await self._store.async_load() or {}
        if guid := stored.get("guid"):
            LOGGER.info("Ending the login session left open by the last run")
            await self.client.close(Session(guid))
        try:
            await self.client.verify()
        except ConnectCallAuthenticationError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="auth_failed"
            ) from err
        except ConnectCallError as err:
            # Unreachable: the stale GUID stays stored for the next attempt.
            raise UpdateFailed(
                translation_domain=DOMAIN, translation_key="cannot_connect"
            ) from err
        if guid:
            await self._store.async_save({})

    async def _async_update_data(self) -> CallState:
        """A manual refresh: a request only while a call is in progress."""
        if self._call is None or not self.data.active:
            return self.data
        return await self._fetch(self._call)

    # Placing calls.

    async def async_call(self, plan: DialPlan, *, wait: bool) -> DialResult:
        """Work through ``plan``: one number after another until one answers.

        Returns after the first poll of the first call, unless ``wait``; then
        once the outcome is known. Without ``wait`` the rest of a list (or a
        busy retry) runs in the background until a new dial or a hang-up.
        """
        generation = await self._supersede_plan()
        result = DialResult()
        first = await self._dial_attempt(plan, plan.destinations[0], result)
        result.status, result.status_code = self.data.status, self.data.code
        if wait:
            await self._run_plan(plan, result, first, generation)
        elif len(plan.destinations) > 1 or plan.retry_busy:
            self._plan_task = self.config_entry.async_create_background_task(
                self.hass,
                self._run_plan_in_background(plan, result, first, generation),
                f"{DOMAIN} call list",
            )
        return result

    async def _dial_attempt(
        self, plan: DialPlan, number: str, result: DialResult
    ) -> _Call:
        result.attempts.append({"destination": number, "outcome": None})
        return await self._dial(
            number,
            source=plan.source,
            mode=plan.mode,
            ring_timeout=plan.ring_timeout,
            max_duration=plan.max_duration,
        )

    async def _run_plan(
        self, plan: DialPlan, result: DialResult, call: _Call, generation: int
    ) -> None:
        """Follow the plan from its first call (already placed) to its outcome.

        A newer dial, a hang-up or the end of the session supersedes it: it
        then stops before placing another call.
        """
        numbers = list(plan.destinations)
        index, retries = 0, 0
        while True:
            outcome = await self._wait(call, plan.wait_bound)
            result.attempts[-1]["outcome"] = outcome
            result.outcome = outcome
            if outcome == OUTCOME_ANSWERED:
                result.answered_by = numbers[index]
                return
            if outcome == OUTCOME_BUSY and retries < plan.retry_busy:
                retries += 1
                await asyncio.sleep(plan.retry_delay)
            elif index + 1 < len(numbers):
                index, retries = index + 1, 0
            else:
                return
            if generation != self._plan_generation:
                return
            call = await self._dial_attempt(plan, numbers[index], result)

    async def _run_plan_in_background(
        self, plan: DialPlan, result: DialResult, call: _Call, generation: int
    ) -> None:
        try:
            await self._run_plan(plan, result, call, generation)
        except HomeAssistantError as err:
            # Nobody awaits this task: the log is where the failure goes.
            LOGGER.warning("Call list stopped: %s", err)

    async def _supersede_plan(self) -> int:
        """Stop any running list; returns the new plan generation."""
        self._plan_generation += 1
        if (task := self._plan_task) is not None:
            self._plan_task = None
            if task is not asyncio.current_task():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        return self._plan_generation

    async def _dial(
        self,
        destination: str,
        *,
        source: str,
        mode: CallMode,
        ring_timeout: float | None = None,
        max_duration: float | None = None,
    ) -> _Call:
        """Place a call (hanging up an active one first), poll it once.

        The first ``getStatus`` happens at once, the next ones at a steady
        cadence from the dial.
        """
        await self._stop_poller()
        async with self._lock:
            if self.data.active and (old := self._call) is not None:
                try:
                    with _api_errors():
                        await self._hang_up_locked(old, OUTCOME_ENDED)
                except HomeAssistantError:
                    self._schedule_poll(old)  # still on: keep following it
                    raise
                self._finish_locally(old, 4)
            with _api_errors():
                self._set_session(await self._place(destination, source, mode))
            self._call_ids += 1
            interval = float(
                self.config_entry.options.get(CONF_POLL_INTERVAL, DEFAULT_POLL_INTERVAL)
            )
            call = _Call(
                id=self._call_ids,
                started=self.hass.loop.time(),
                interval=interval,
                ring_timeout=ring_timeout,
                max_duration=max_duration,
            )
            self._call = call
            # The base of the first poll's state, published by that poll.
            self.data = CallState(
                status=STATE_UNKNOWN,
                call_id=call.id,
                destination=destination,
                dialled_at=dt_util.utcnow(),
            )
        await self._poll_now(call)
        return call

    async def _place(self, destination: str, source: str, mode: CallMode) -> Session:
        """``connect`` on the open session, else (or once it is gone) log in."""
        if self._session is not None:
            try:
                await self.client.connect(self._session, destination, source, mode)
            except ConnectCallSessionError as err:
                LOGGER.debug("Session gone (%s); logging in again", err.code)
                self._set_session(None)
            else:
                return self._session
        try:
            return await self.client.login(destination, source, mode)
        except ConnectCallAuthenticationError as err:
            self.config_entry.async_start_reauth(self.hass)
            raise _translated("auth_failed") from err

    async def _wait(self, call: _Call, bound: float) -> str:
        """Wait until the call is answered or over: ``answered`` or its outcome.

        Running out of time hangs up: ``no_answer``. Cancelling the wait
        (an automation restarting) leaves the call alone.
        """
        try:
            async with asyncio.timeout(bound):
                await call.settled.wait()
        except TimeoutError:
            if self._call is call and self.data.active:
                await self._stop_poller()
                async with self._lock:
                    with _api_errors():
                        await self._hang_up_locked(call, OUTCOME_NO_ANSWER)
                await self._poll_now(call)
        if call.answered is not None:
            return OUTCOME_ANSWERED
        # Not settled: the bound ran out (even if the hang-up's poll failed).
        return call.outcome or OUTCOME_NO_ANSWER

    async def async_hang_up(self) -> None:
        """Hang up the current call and stop a running list; no call: no-op."""
        await self._supersede_plan()
        call = self._call
        if call is None or not self.data.active:
            return
        await self._stop_poller()
        async with self._lock:
            with _api_errors():
                await self._hang_up_locked(call, OUTCOME_ENDED)
        await self._poll_now(call)

    async def async_end_session(self) -> None:
        """Log out; the next dial logs in again."""
        await self._supersede_plan()
        await self._stop_poller()
        async with self._lock:
            if self._call is not None and self.data.active:
                self._finish_locally(self._call, 4, OUTCOME_ENDED)
            session = self._session
            self._set_session(None)
            if session is not None:
                with _api_errors():
                    try:
                        await self.client.end(session)
                    except ConnectCallSessionError:
                        LOGGER.debug("Session had already ended")

    async def async_shutdown(self) -> None:
        """Unload and Home Assistant stop: end the session, bounded."""
        await super().async_shutdown()
        try:
            async with asyncio.timeout(SHUTDOWN_TIMEOUT):
                await self.async_end_session()
        except (TimeoutError, HomeAssistantError) as err:
            LOGGER.debug("Could not end the session on shutdown: %s", err)

    # Following calls.

    async def _stop_poller(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        task, self._tick_task = self._tick_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _schedule_poll(self, call: _Call) -> None:
        """Next poll on the call's grid (dial + n * interval), skipping missed ones.

        A timer, not a sleeping task: between polls nothing is pending.
        """
        loop = self.hass.loop
        call.tick = max(
            call.tick + 1, math.floor((loop.time() - call.started) / call.interval) + 1
        )
        self._timer = loop.call_at(
            call.started + call.tick * call.interval, self._on_poll_timer, call
        )

    @callback
    def _on_poll_timer(self, call: _Call) -> None:
        self._timer = None
        self._tick_task = self.config_entry.async_create_task(
            self.hass, self._poll_tick(call), f"{DOMAIN} poll"
        )

    async def _poll_tick(self, call: _Call) -> None:
        await self._enforce_bounds(call)
        await self._poll_now(call)

    async def _poll_now(self, call: _Call) -> None:
        """Poll, then keep the cadence while the call goes on."""
        await self._poll_once(call)
        if self._call is call and self.data.active:
            self._schedule_poll(call)

    async def _enforce_bounds(self, call: _Call) -> None:
        """``ring_timeout`` and ``max_duration`` hang up by themselves."""
        now = self.hass.loop.time()
        if call.answered is None:
            over = (
                call.ring_timeout is not None
                and now - call.started >= call.ring_timeout
            )
            outcome = OUTCOME_NO_ANSWER
        else:
            over = (
                call.max_duration is not None
                and now - call.answered >= call.max_duration
            )
            outcome = OUTCOME_ENDED
        if over and call.hang_up_outcome is None:
            async with self._lock:
                try:
                    await self._hang_up_locked(call, outcome)
                except ConnectCallError as err:
                    LOGGER.debug("Hang-up at the call's bound failed: %s", err)

    async def _hang_up_locked(self, call: _Call, outcome: str) -> None:
        """Hang up (lock held); a gone session has no call left to end."""
        if self._session is None:
            return
        try:
            await self.client.hang_up(self._session)
        except ConnectCallSessionError:
            self._set_session(None)
        call.hang_up_outcome = call.hang_up_outcome or outcome

    async def _poll_once(self, call: _Call) -> None:
        try:
            state = await self._fetch(call)
        except UpdateFailed as err:
            now = self.hass.loop.time()
            self._failing_since = self._failing_since or now
            self.async_set_update_error(err)
            if now - self._failing_since >= POLL_GIVE_UP:
                LOGGER.warning("Giving up following the call: the API keeps failing")
                self._finish_locally(call, 3)
            return
        if self._failing_since is not None:
            self._failing_since = None
            LOGGER.info("Connect Call API answers again")
        self.async_set_updated_data(state)

    async def _fetch(self, call: _Call) -> CallState:
        """One ``getStatus``, folded into the call's state."""
        async with self._lock:
            if self._call is not call or not self.data.active:
                return self.data
            if self._session is None:
                return self._finished(call, 4 if call.hang_up_outcome else 3)
            try:
                status = await self.client.get_status(self._session)
            except ConnectCallSessionError:
                self._set_session(None)
                LOGGER.warning("The login session ended during a call")
                return self._finished(call, 3)
            except ConnectCallError as err:
                raise UpdateFailed(
                    translation_domain=DOMAIN, translation_key="update_failed"
                ) from err
        if call.hang_up_outcome is not None and not status.is_final:
            # Our hang-up succeeded: the call is over whatever this server says.
            status = CallStatus(4, STATUS_TEXT[4])
        return self._advance(call, status)

    def _advance(self, call: _Call, status: CallStatus) -> CallState:
        now = dt_util.utcnow()
        state = replace(
            self.data,
            status=STATUS_STATES.get(status.code, STATE_UNKNOWN),
            code=status.code,
            message=status.message,
        )
        if status.is_answered and call.answered is None:
            call.answered = self.hass.loop.time()
            call.settled.set()
            state = replace(state, answered_at=now)
            async_call_answered(self.hass, self.config_entry.entry_id)
        if status.code == ACCOUNT_STATE_CODE and call.answered is None:
            call.account_problem = True
        if status.code in FUNDS_CODES:
            async_funds_seen(
                self.hass, self.config_entry.entry_id, self.config_entry.title
            )
        if status.is_final:
            call.outcome = self._outcome(call, state)
            state = replace(state, ended_at=now, outcome=call.outcome)
            call.settled.set()
        return state

    @staticmethod
    def _outcome(call: _Call, state: CallState) -> str:
        if state.answered_at is not None:
            return OUTCOME_ENDED
        if call.account_problem:
            return OUTCOME_FAILED
        if call.hang_up_outcome is not None:
            return call.hang_up_outcome
        if state.code == 4:
            return OUTCOME_ENDED
        return UNANSWERED_OUTCOMES.get(state.code or 0, OUTCOME_FAILED)

    def _finished(
        self, call: _Call, code: int, outcome: str | None = None
    ) -> CallState:
        """The call over by our own knowledge (no final code from the server)."""
        state = replace(
            self.data,
            status=STATUS_STATES.get(code, STATE_UNKNOWN),
            code=code,
            message=STATUS_TEXT[code],
            ended_at=dt_util.utcnow(),
        )
        call.outcome = outcome or self._outcome(call, state)
        call.settled.set()
        return replace(state, outcome=call.outcome)

    def _finish_locally(
        self, call: _Call, code: int, outcome: str | None = None
    ) -> None:
        self.async_set_updated_data(self._finished(call, code, outcome))
