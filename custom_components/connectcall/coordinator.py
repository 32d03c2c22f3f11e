"""The call coordinator: schedules the polls of each call and runs dial plans.

The stock scheduler does not fit: it aligns refreshes to whole seconds plus
a random offset and debounces requested refreshes for 10 s. Instead
``update_interval`` stays ``None`` and each call gets a timer that polls
``getStatus`` at a steady cadence from the dial (the first poll at once)
until a final state. Outside calls nothing is requested.

The rules of call safety live in the session keeper (``session.py``); what a
status code means for the call lives in the tracker (``call.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
import math
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .api import (
    PLACE_TIMEOUT,
    ConnectCallClient,
    ConnectCallError,
)
from .call import CallState, CallTotals, CallTracker
from .codes import (
    CODE_HUNG_UP,
    CODE_UNKNOWN,
    FINAL_STATUS_CODES,
    FUNDS_CODES,
    OUTCOME_ANSWERED,
    OUTCOME_ENDED,
    OUTCOME_NO_ANSWER,
)
from .const import (
    CONF_POLL_INTERVAL,
    DEFAULT_POLL_INTERVAL,
    DOMAIN,
    EVENT_CALL_ENDED,
    LOGGER,
    SHUTDOWN_TIMEOUT,
)
from .contacts import contact_name
from .errors import action_errors, poll_error, setup_error, translated
from .issues import async_call_answered, async_funds_seen
from .plans import DialPlan, DialResult, PlanRunner
from .session import (
    Placement,
    Resumed,
    SessionKeeper,
    SessionLostError,
)
from .storage import session_store, totals_store

type ConnectCallConfigEntry = ConfigEntry[ConnectCallCoordinator]


@dataclass(slots=True, eq=False)
class _Call:
    """A followed call: its tracker and its place on the poll grid."""

    tracker: CallTracker
    started: float  # loop time the poll grid counts from
    interval: float
    tick: int = 0  # polls are at started + tick * interval
    timer: asyncio.TimerHandle | None = None
    # Set once answered or over: what a waiting `dial` waits for.
    settled: asyncio.Event = field(default_factory=asyncio.Event)
    # In the Calls total. A call whose ``connect`` got no answer counts
    # once it shows a status of its own: the server may never have placed it.
    counted: bool = True
    # Its end was accounted for: talk time counted and announced, once. Also
    # set for a call found by its session alone (counted by an earlier run).
    reported: bool = False

    def snapshot(self) -> dict[str, Any]:
        """The tracker's snapshot and what was counted, for a restart."""
        return self.tracker.snapshot() | {
            "counted": self.counted,
            "reported": self.reported,
        }

    def cancel_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None


def _now() -> float:
    """The trackers' clock: Unix time, so a resumed call keeps its times."""
    return dt_util.utcnow().timestamp()


def _log_unawaited(task: asyncio.Task[object]) -> None:
    """A placement whose caller was cancelled: its failure goes to the log."""
    if not task.cancelled() and (err := task.exception()) is not None:
        LOGGER.warning("A dial whose caller stopped waiting failed: %s", err)


class ConnectCallCoordinator(DataUpdateCoordinator[CallState]):
    """Places calls through the session keeper and follows them."""

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
        self.totals = CallTotals()
        self._totals_store = totals_store(hass, entry.entry_id)
        self._keeper = SessionKeeper(client, session_store(hass, entry.entry_id))
        # Held around every request about calls: one at a time, in order.
        self._lock = asyncio.Lock()
        self._call: _Call | None = None
        # Placements in flight: they outlive a cancelled caller.
        self._placements: set[asyncio.Task[_Call]] = set()
        self.plans = PlanRunner(self)
        self._call_ids = 0
        self._api_down = False
        self._shut_down = False

    @property
    def session_open(self) -> bool:
        """A login session is open (diagnostics; never the GUID itself)."""
        return self._keeper.is_open

    @property
    def call_in_progress(self) -> bool:
        """A call rings or talks, is being placed, or a list still goes on."""
        return self.plans.in_progress or self.busy

    async def _async_setup(self) -> None:
        """Resume a call the last run left; else probe the credentials once.

        A live session proves the credentials, and a probe (a login) could
        end it on a server that keeps one session per account.
        """
        if stored := await self._totals_store.async_load():
            try:
                self.totals = CallTotals(
                    int(stored["calls"]), float(stored["talk_time"])
                )
            except KeyError, TypeError, ValueError:
                # Never in the way of the setup (and of a call to resume).
                LOGGER.warning("The stored call totals are unreadable; from 0")
        try:
            if (resumed := await self._keeper.resume()) is None:
                await self.client.verify()
        except ConnectCallError as err:
            # Unreachable: a stored GUID stays stored for the next attempt.
            raise setup_error(err) from err
        if resumed is not None:
            self._resume(resumed)

    def _resume(self, resumed: Resumed) -> None:
        """Follow the call the last run left; its started/answered are past."""
        now = _now()
        if (record := resumed.call) is not None:
            tracker = CallTracker.restore(record)
            if "contact" not in record:
                # Recorded by a version that named the contact at the end.
                tracker.contact = contact_name(self.config_entry, tracker.destination)
        else:
            tracker = CallTracker(
                call_id=1, destination=None, dialled=now, reused_session=False
            )
        if resumed.status is not None:
            tracker.status(resumed.status.code, resumed.status.message, now)
        self._call_ids = tracker.call_id
        call = self._follow(
            tracker,
            counted=record is None or record.get("counted", True),
            # A call known only by its session (its record was over, or
            # written by an older version) was accounted for by its own run.
            reported=record is None or record.get("reported", False),
        )
        self.data = tracker.state
        self._schedule_poll(call)

    def _follow(
        self, tracker: CallTracker, *, counted: bool, reported: bool = False
    ) -> _Call:
        """Make ``tracker`` the current call, on a poll grid from now."""
        if (old := self._call) is not None:
            old.cancel_timer()
        interval = float(
            self.config_entry.options.get(CONF_POLL_INTERVAL, DEFAULT_POLL_INTERVAL)
        )
        call = _Call(
            tracker,
            self.hass.loop.time(),
            interval,
            counted=counted,
            reported=reported,
        )
        self._call = call
        self._keeper.track(call.snapshot())
        return call

    async def _async_update_data(self) -> CallState:
        """Polls are the calls' own timers; a refresh only reads."""
        return self.data

    # Placing calls.

    async def async_call(
        self,
        plan: DialPlan,
        result: DialResult,
        *,
        wait: bool,
        keep_active_call: bool = False,
    ) -> None:
        """Work ``plan`` through into ``result`` (see ``PlanRunner``)."""
        await self.plans.async_run(
            plan, result, wait=wait, keep_active_call=keep_active_call
        )

    @property
    def busy(self) -> bool:
        """A call not yet over, or a placement in flight (``CallLine``)."""
        return bool(
            self._placements or (self._call is not None and not self._call.tracker.over)
        )

    def create_background_task(
        self, coro: Coroutine[Any, Any, None], name: str
    ) -> asyncio.Task[None]:
        """A task the config entry ends at unload (``CallLine``)."""
        return self.config_entry.async_create_background_task(self.hass, coro, name)

    async def async_unconfirmed_end_still_up(self) -> bool:
        """Whether a call over by our own knowledge only is still up.

        Given up after failing polls, or ended by a hang-up the server never
        confirmed: the server is asked once. Unsure is "up": a keep dial
        never cuts a call.
        """
        async with self._lock:
            call = self._call
            if (
                call is None
                or not call.tracker.over
                or call.tracker.server_final
                or not self._keeper.is_open
            ):
                return False
            try:
                status = await self._keeper.status()
            except SessionLostError:
                return False
            except ConnectCallError:
                return True
            if status is None or status.code not in FINAL_STATUS_CODES:
                return True
            call.tracker.server_final = True
            return False

    async def async_place(self, plan: DialPlan, destination: str) -> _Call:
        """Place a call (hanging up a previous one first), poll it once.

        The placement is a task of its own: cancelling the caller (a newer
        dial, a hang-up, an automation restart) never cancels a ``login`` or
        ``connect`` mid-request; the task records and follows what it placed.
        """
        task = self.hass.async_create_task(
            self._place(plan, destination), f"{DOMAIN} dial"
        )
        # Counted until done, even if cancelled before it ran.
        self._placements.add(task)
        task.add_done_callback(self._placements.discard)
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            task.add_done_callback(_log_unawaited)
            raise

    async def _place(self, plan: DialPlan, destination: str) -> _Call:
        async with self._lock:
            old = self._call
            # What the server last said of the call before (the hang-up
            # below changes our view of it, not the server's).
            previous = None if old is None else old.tracker.code
            if old is not None and not old.tracker.server_final:
                # "Always end the call before a new call is set up." A failed
                # hang-up fails the dial; the old call stays followed.
                with action_errors(self.hass, self.config_entry):
                    await self._end_call_locked(old)
                if not old.tracker.over:
                    old.tracker.end_locally(CODE_HUNG_UP, _now())
                    self._publish(old)
            with action_errors(self.hass, self.config_entry):
                placement, settled = await self._keeper.place(
                    destination, plan.source, plan.mode
                )
            self._call_ids += 1
            settling = placement is Placement.SETTLED
            tracker = CallTracker(
                call_id=self._call_ids,
                destination=destination,
                dialled=_now(),
                reused_session=placement.reused_session,
                # Unconfirmed by the server: its status alone can tell this
                # call from the one before, which may still be up.
                lingering=previous if settling else None,
                # Named as dialled: a later edit of the contacts (or a second
                # contact with this number) does not rename it.
                contact=plan.contact or contact_name(self.config_entry, destination),
                ring_timeout=plan.ring_timeout,
                max_duration=plan.max_duration,
            )
            if settled is not None:
                # The settling getStatus was this call's first status.
                tracker.status(settled.code, settled.message, _now())
            call = self._follow(tracker, counted=not settling)
            if call.counted:
                self._set_totals(self.totals.dialled())
            # The base of the first poll's state, published by that poll.
            self.data = call.tracker.state
        await self._poll_now(call)
        return call

    async def async_wait(self, call: _Call, bound: float) -> str:
        """Wait until the call is answered or over: ``answered`` or its outcome.

        Running out of time hangs up: ``no_answer``. Cancelling the wait
        (an automation restarting) leaves the call alone.
        """
        try:
            async with asyncio.timeout(bound):
                await call.settled.wait()
        except TimeoutError:
            async with self._lock:
                # Under the lock: a newer dial or an unload may have come.
                if self._is_current(call):
                    with action_errors(self.hass, self.config_entry):
                        await self._hang_up_locked(call, OUTCOME_NO_ANSWER)
            await self._poll_again(call)
        if self._shut_down:
            # This run no longer follows the call (a reload goes on with it).
            raise translated("unloaded")
        if call.tracker.answered is not None:
            return OUTCOME_ANSWERED
        # Not settled: the bound ran out (even if the hang-up's poll failed).
        return call.tracker.outcome or OUTCOME_NO_ANSWER

    async def async_hang_up(self) -> None:
        """Hang up the current call and stop a running list; no call: no-op.

        A call over only by our own knowledge (the API kept failing) is hung
        up too: the server never said it ended.
        """
        await self.plans.async_supersede()
        async with self._lock:
            call = self._call
            if call is None or call.tracker.server_final:
                return
            with action_errors(self.hass, self.config_entry):
                await self._hang_up_locked(call, OUTCOME_ENDED)
        await self._poll_again(call)

    async def async_end_session(self) -> None:
        """Hang up a call that may be active, log out; the next dial logs in."""
        await self.plans.async_supersede()
        async with self._lock:
            call = self._call
            if call is not None and not call.tracker.server_final:
                with action_errors(self.hass, self.config_entry):
                    await self._end_call_locked(call)
                if not call.tracker.over:
                    call.tracker.end_locally(CODE_HUNG_UP, _now())
                    self._publish(call)
            await self._keeper.close(hang_up=False)

    async def async_shutdown(self) -> None:
        """Unload and Home Assistant stop.

        A call in progress is left alone, its session kept in ``.storage``
        for the next start; otherwise the session ends. An in-flight
        placement is waited for (and recorded) first. Bounded.
        """
        await super().async_shutdown()
        if self._shut_down:
            return
        self._shut_down = True
        # Written now, not later: the next run reads them at its setup.
        await self._totals_store.async_save(self._totals_data())
        await self.plans.async_supersede()
        try:
            async with asyncio.timeout(PLACE_TIMEOUT + SHUTDOWN_TIMEOUT):
                async with self._lock:
                    call = self._call
                    if call is not None:
                        call.cancel_timer()
                        call.settled.set()  # a waiting dial stops waiting
                        if not call.tracker.server_final:
                            await self._keeper.leave()
                            return
                    async with asyncio.timeout(SHUTDOWN_TIMEOUT):
                        await self._keeper.close(hang_up=False)
        except TimeoutError:
            LOGGER.debug("Could not end the session on shutdown in time")

    def _is_current(self, call: _Call) -> bool:
        """``call`` is the one followed, not over, and this run goes on."""
        return self._call is call and not call.tracker.over and not self._shut_down

    async def _hang_up_locked(self, call: _Call, outcome: str) -> None:
        """Hang up (lock held); raises and changes nothing when it fails."""
        await self._keeper.hang_up(final_trusted=call.tracker.final_trusted(_now()))
        call.tracker.hung_up(outcome)

    async def _end_call_locked(self, call: _Call) -> None:
        """Hang up before a new call or a logout (lock held).

        A call given up on (the API kept failing) must not block every later
        dial: if its hang-up fails too and the GUID is dead (error pages while
        the server answers without it), the session is closed the safe way
        and the next dial logs in. An overloaded or unreachable server raises.
        """
        try:
            await self._hang_up_locked(call, OUTCOME_ENDED)
        except ConnectCallError:
            if (
                not call.tracker.over
                or not await self._keeper.guid_dead()
                or not await self._keeper.close()
            ):
                raise

    # Following calls.

    def _schedule_poll(self, call: _Call) -> None:
        """Next poll on the call's grid (start + n * interval), skipping missed ones.

        A timer, not a sleeping task: between polls nothing is pending.
        """
        call.cancel_timer()
        if self._call is not call or call.tracker.over or self._shut_down:
            return
        loop = self.hass.loop
        call.tick = max(
            call.tick + 1, math.floor((loop.time() - call.started) / call.interval) + 1
        )
        call.timer = loop.call_at(
            call.started + call.tick * call.interval, self._on_poll_timer, call
        )

    @callback
    def _on_poll_timer(self, call: _Call) -> None:
        call.timer = None
        self.config_entry.async_create_task(
            self.hass, self._poll_tick(call), f"{DOMAIN} poll"
        )

    async def _poll_tick(self, call: _Call) -> None:
        """A poll on the grid: enforce the call's bounds, then ask the server."""
        tracker = call.tracker
        now = _now()
        if tracker.due_hang_up(now) is not None:
            async with self._lock:
                # Checked again under the lock: a dial may have replaced the
                # call (its hang-up would end the new one).
                outcome = tracker.due_hang_up(_now())
                if self._is_current(call) and outcome is not None:
                    try:
                        await self._hang_up_locked(call, outcome)
                    except ConnectCallError as err:
                        # Retried at the next poll: the call stays followed.
                        LOGGER.debug("Hang-up at the call's bound failed: %s", err)
        if tracker.follow_expired(now) and not tracker.over:
            LOGGER.warning("Stopped following a call that outlasted its bounds")
            tracker.end_locally(CODE_UNKNOWN, now)
            self._publish(call)
            return
        await self._poll_now(call)

    async def _poll_again(self, call: _Call) -> None:
        """Poll at once after an action changed the call; the grid goes on."""
        call.cancel_timer()
        await self._poll_now(call)

    async def _poll_now(self, call: _Call) -> None:
        """Poll, then keep the cadence while the call goes on."""
        await self._poll_once(call)
        self._schedule_poll(call)

    async def _poll_once(self, call: _Call) -> None:
        tracker = call.tracker
        async with self._lock:
            if self._call is not call or tracker.over or self._shut_down:
                return
            try:
                status = await self._keeper.status()
            except SessionLostError:
                if not tracker.hung_up_by_us:
                    LOGGER.warning("The login session ended during a call")
                code = CODE_HUNG_UP if tracker.hung_up_by_us else CODE_UNKNOWN
                tracker.end_locally(code, _now())
            except ConnectCallError as err:
                self._poll_failed(call, err)
                return
            else:
                if status is None:
                    tracker.unchanged()
                else:
                    tracker.status(status.code, status.message, _now())
        if self._api_down:
            self._api_down = False
            LOGGER.info("Connect Call API answers again")
        self._publish(call)

    def _poll_failed(self, call: _Call, err: ConnectCallError) -> None:
        self._api_down = True
        self.async_set_update_error(poll_error(err))
        if call.tracker.poll_failed(_now()):
            LOGGER.warning("Giving up following the call: the API keeps failing")
            call.tracker.end_locally(CODE_UNKNOWN, _now())
            self._publish(call)

    def _publish(self, call: _Call) -> None:
        """Hand the tracker's state to the entities, with its side effects."""
        state = call.tracker.state
        if state.answered_at is not None and self.data.answered_at is None:
            async_call_answered(self.hass, self.config_entry.entry_id)
        if state.code in FUNDS_CODES:
            async_funds_seen(
                self.hass, self.config_entry.entry_id, self.config_entry.title
            )
        if state.answered_at is not None or state.ended_at is not None:
            call.settled.set()
        if not call.counted and call.tracker.progressed:
            call.counted = True
            self._set_totals(self.totals.dialled())
        if state.ended_at is not None and not call.reported:
            call.reported = True
            if call.counted:
                self._set_totals(self.totals.ended(state))
                self._announce_end(state)
        if self._call is call:
            self._keeper.track(None if state.ended_at else call.snapshot())
        self.async_set_updated_data(state)

    def _set_totals(self, totals: CallTotals) -> None:
        """New totals, saved at once (a crash must not count a call again)."""
        self.totals = totals
        self._totals_store.async_delay_save(self._totals_data, 0)

    def _totals_data(self) -> dict[str, Any]:
        return {"calls": self.totals.calls, "talk_time": self.totals.talk_time}

    def _announce_end(self, state: CallState) -> None:
        """The bus event of a finished call (the logbook's line, a trigger)."""
        entry = self.config_entry
        device = dr.async_get(self.hass).async_get_device_by_identifier(
            (DOMAIN, entry.entry_id), entry.entry_id
        )
        self.hass.bus.async_fire(
            EVENT_CALL_ENDED,
            {
                "config_entry_id": entry.entry_id,
                "device_id": device.id if device else None,
                # The account's call event entity: a logbook card filtered to
                # it shows this line (logbook cards filter by entity only).
                "entity_id": er.async_get(self.hass).async_get_entity_id(
                    "event", DOMAIN, f"{entry.entry_id}_call"
                ),
                "destination": state.destination,
                "contact": state.contact,
                # As `dial` reports it: an answered call is "answered".
                "outcome": OUTCOME_ANSWERED
                if state.answered_at is not None
                else state.outcome,
                "duration": state.duration or 0,
            },
        )
