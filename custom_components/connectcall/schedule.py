"""Following calls: each call's ``getStatus`` polls at its own cadence.

The stock scheduler does not fit: it aligns refreshes to whole seconds plus
a random offset, polls at one fixed interval and debounces requested
refreshes for 10 s. Instead the coordinator's ``update_interval`` stays
``None`` and each followed call gets a timer: the first poll at once, then
fast or slow as ``cadence.py`` says, until a final state. The call's bounds
(ring timeout, ``max_duration``) have a timer of their own, so slow polling
never delays their hang-up. Outside calls nothing is requested; between
polls nothing is pending.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from homeassistant.core import callback
from homeassistant.util import dt as dt_util

from .api import ConnectCallError
from .cadence import FLOOR, Cadence
from .call import CallTracker
from .codes import CODE_HUNG_UP, CODE_UNKNOWN, FINAL_STATUS_CODES
from .const import CONF_POLL_INTERVAL, DEFAULT_POLL_INTERVAL, DOMAIN, LOGGER
from .contacts import contact_name
from .errors import poll_error
from .session import Resumed, SessionLostError

if TYPE_CHECKING:
    from .coordinator import ConnectCallCoordinator


def now() -> float:
    """The trackers' clock: Unix time, so a resumed call keeps its times."""
    return dt_util.utcnow().timestamp()


@dataclass(slots=True, eq=False)
class FollowedCall:
    """A followed call: its tracker and where its polls stand (loop time)."""

    tracker: CallTracker
    cadence: Cadence
    # When a change was last seen (or the call followed): fast for a while.
    changed: float
    polled: float | None = None  # when the last poll was sent
    failures: int = 0  # polls failed in a row: the back-off
    timer: asyncio.TimerHandle | None = None  # the next poll
    # The ring timeout, max_duration or the end of following, the soonest.
    bound_timer: asyncio.TimerHandle | None = None
    ticking: bool = False  # a poll (with its bound check) is under way
    bounds_judged: float = 0.0  # Unix time the last tick judged the bounds at
    # Set once answered or over: what a waiting `dial` waits for.
    settled: asyncio.Event = field(default_factory=asyncio.Event)
    # In the Calls total. A call whose ``connect`` got no answer counts
    # once it shows a status of its own: the server may never have placed it.
    counted: bool = True
    # Its end was accounted for: talk time counted and announced, once. Also
    # set for a call found by its session alone (counted by an earlier run).
    reported: bool = False
    # Its answer was announced (the call_answered trigger), once.
    answer_reported: bool = False
    # Found by its session alone at a start-up: nothing known of it.
    unrecorded: bool = False

    def snapshot(self) -> dict[str, Any]:
        """The tracker's snapshot and what was announced, for a restart."""
        return self.tracker.snapshot() | {
            "counted": self.counted,
            "reported": self.reported,
            "answer_reported": self.answer_reported,
        }

    def cancel_timer(self) -> None:
        """No poll pending."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def cancel_timers(self) -> None:
        """Nothing pending: no poll, no bound."""
        self.cancel_timer()
        if self.bound_timer is not None:
            self.bound_timer.cancel()
            self.bound_timer = None


class PollSchedule:
    """Makes a call the followed one and polls it until it is over."""

    def __init__(self, coordinator: ConnectCallCoordinator) -> None:
        """Nothing is polled until a call is followed."""
        self._co = coordinator
        self._api_down = False

    def follow(
        self,
        tracker: CallTracker,
        *,
        counted: bool,
        reported: bool = False,
        answer_reported: bool = False,
    ) -> FollowedCall:
        """Make ``tracker`` the current call, on a poll grid from now."""
        co = self._co
        if (old := co.current) is not None:
            old.cancel_timers()
        interval = float(
            co.config_entry.options.get(CONF_POLL_INTERVAL, DEFAULT_POLL_INTERVAL)
        )
        call = FollowedCall(
            tracker,
            Cadence(interval),
            co.hass.loop.time(),
            counted=counted,
            reported=reported,
            answer_reported=answer_reported,
        )
        co.current = call
        co.keeper.track(call.snapshot())
        return call

    def resume(self, resumed: Resumed) -> None:
        """Follow the call the last run left; its started/answered are past."""
        co = self._co
        at = now()
        if (record := resumed.call) is not None:
            tracker = CallTracker.restore(record)
            if "contact" not in record:
                # Recorded by a version that named the contact at the end.
                tracker.contact = contact_name(co.config_entry, tracker.destination)
        else:
            tracker = CallTracker(
                call_id=1, destination=None, dialled=at, reused_session=False
            )
        if resumed.status is not None:
            tracker.status(resumed.status.code, resumed.status.message, at)
        co.call_ids = tracker.call_id
        call = self.follow(
            tracker,
            counted=record is None or record.get("counted", True),
            # A call known only by its session (its record was over, or
            # written by an older version) was accounted for by its own run.
            reported=record is None or record.get("reported", False),
            # Recorded by an older version: an answer it knew, it announced.
            answer_reported=record is None
            or record.get("answer_reported", record.get("answered") is not None),
        )
        call.unrecorded = record is None
        co.data = tracker.state
        # The keeper's getStatus at setup was this call's first poll.
        call.polled = co.client.last_status_sent
        self.schedule(call)

    def schedule(self, call: FollowedCall) -> None:
        """Arm the call's next poll (its cadence, the floor) and its bound."""
        call.cancel_timers()
        if not self._co.is_current(call) or call.tracker.over:
            return
        tracker, at, loop = call.tracker, now(), self._co.hass.loop
        bound = tracker.next_bound()
        # The bound's hang-up, or the end of following: on time, not at the
        # next poll (which a failing server may put 30 s off).
        wake = min(
            (
                moment
                for moment in (bound, tracker.follow_limit())
                if moment is not None and moment > at
            ),
            default=None,
        )
        if wake is not None:
            # The tracker counts in Unix time, the timers in loop time.
            call.bound_timer = loop.call_at(
                loop.time() + wake - at, self._on_bound, call
            )
        if call.polled is None or tracker.follow_expired(at):
            # The first poll; or following ends now (its timer may have come
            # while a poll was under way).
            due = loop.time()
        elif bound is not None and bound <= at:
            # Its hang-up is due: at once if no tick judged it since it ran
            # out; else that hang-up failed: again an interval after the last
            # try (or later, while polls back off), never faster into errors.
            due = (
                loop.time()
                if call.bounds_judged < bound
                else max(
                    call.polled + call.cadence.interval,
                    call.cadence.next_poll(
                        polled=call.polled,
                        changed=call.changed,
                        busy=True,
                        failures=call.failures,
                    ),
                )
            )
        else:
            due = call.cadence.next_poll(
                polled=call.polled,
                changed=call.changed,
                # Ringing: a change is due. Nothing known of the call (a
                # session resumed without its record, answering 105): fast
                # only after a change.
                busy=tracker.answered is None
                and not (call.unrecorded and tracker.code is None),
                failures=call.failures,
            )
        self._arm(call, due)

    def _arm(self, call: FollowedCall, due: float) -> None:
        call.cancel_timer()
        if (sent := self._co.client.last_status_sent) is not None:
            due = max(due, sent + FLOOR)
        call.timer = self._co.hass.loop.call_at(due, self._on_timer, call)

    def paced_up(self, call: FollowedCall) -> None:
        """Our hang-up was accepted: fast for a while, as after a change."""
        call.changed = self._co.hass.loop.time()

    @callback
    def _on_timer(self, call: FollowedCall) -> None:
        call.timer = None
        self._start_tick(call)

    @callback
    def _on_bound(self, call: FollowedCall) -> None:
        """A bound ran out, or following ends: judged by a tick now.

        A bound's hang-up is followed by a poll (fast: a hang-up is on its way).
        """
        call.bound_timer = None
        call.cancel_timer()
        self._start_tick(call)

    @callback
    def _start_tick(self, call: FollowedCall) -> None:
        # One tick at a time: a poll and a bound due together are one tick
        # (two would hang up twice); the running tick schedules what follows.
        if call.ticking:
            return
        call.ticking = True
        self._co.config_entry.async_create_task(
            self._co.hass, self._tick(call), f"{DOMAIN} poll"
        )

    async def _tick(self, call: FollowedCall) -> None:
        try:
            await self._tick_once(call)
        finally:
            call.ticking = False

    async def _tick_once(self, call: FollowedCall) -> None:
        """Enforce the call's bounds, then ask the server.

        The bounds are judged at the time the tick began: a slow hang-up at
        ``max_duration`` must not make the call look as if it outlasted them.
        A bound hang-up that failed is tried again at the next poll.
        """
        co, tracker, at = self._co, call.tracker, now()
        call.bounds_judged = at
        if tracker.due_hang_up(at) is not None:
            async with co.lock:
                # Checked again under the lock: a dial may have replaced the
                # call (its hang-up would end the new one), or a shutdown begun.
                outcome = tracker.due_hang_up(at)
                if co.is_current(call) and outcome is not None:
                    try:
                        await co.ending.hang_up_locked(call, outcome)
                    except ConnectCallError as err:
                        # Retried an interval later: the call stays followed.
                        LOGGER.debug("Hang-up at the call's bound failed: %s", err)
        if tracker.follow_expired(at):
            if co.is_current(call):
                LOGGER.warning("Stopped following a call that outlasted its bounds")
                tracker.end_locally(CODE_UNKNOWN, at)
                co.publish(call)
            return
        if await self._poll_once(call, spaced=True):
            self.schedule(call)

    async def async_unconfirmed_end_still_up(self) -> bool:
        """Whether a call over by our own knowledge only is still up.

        Given up after failing polls, or ended by a hang-up the server never
        confirmed: the server is asked once. Unsure is "up": a keep dial
        never cuts a call.
        """
        co = self._co
        async with co.lock:
            call = co.current
            if (
                call is None
                or not call.tracker.over
                or call.tracker.server_final
                or not co.keeper.is_open
            ):
                return False
            try:
                status = await co.keeper.status()
            except SessionLostError:
                return False
            except ConnectCallError:
                return True
            if status is None or status.code not in FINAL_STATUS_CODES:
                return True
            call.tracker.server_final = True
            return False

    async def poll_again(self, call: FollowedCall) -> None:
        """Poll at once after an action changed the call; the cadence goes on."""
        call.cancel_timer()
        await self.poll_now(call)

    async def poll_now(self, call: FollowedCall) -> None:
        """Poll, then keep the cadence while the call goes on.

        At once, even within the floor: the action that asks for it (a dial,
        a hang-up) is confirmed by it. The cadence keeps the floor from it.
        """
        if await self._poll_once(call, spaced=False):
            self.schedule(call)

    async def _poll_once(self, call: FollowedCall, *, spaced: bool) -> bool:
        """One poll; False if none was sent (not current, or too soon).

        ``spaced``: a poll of the cadence keeps the floor from the last
        request, also one sent while it waited for the lock.
        """
        co, tracker = self._co, call.tracker
        async with co.lock:
            if not co.is_current(call):
                return False
            at = co.hass.loop.time()
            sent = co.client.last_status_sent
            if spaced and sent is not None and at < sent + FLOOR:
                # Another getStatus went out meanwhile: the cadence from it.
                call.polled = sent
                self.schedule(call)
                return False
            call.polled = at
            before = tracker.code
            try:
                status = await co.keeper.status()
            except SessionLostError:
                if not tracker.hung_up_by_us:
                    LOGGER.warning("The login session ended during a call")
                code = CODE_HUNG_UP if tracker.hung_up_by_us else CODE_UNKNOWN
                tracker.end_locally(code, now())
            except ConnectCallError as err:
                self._failed(call, err)
                return True
            else:
                if status is None:
                    tracker.unchanged()
                else:
                    tracker.status(status.code, status.message, now())
            call.failures = 0
            if tracker.code != before:
                call.changed = at
        if self._api_down:
            self._api_down = False
            LOGGER.info("Connect Call API answers again")
        co.publish(call)
        return True

    def _failed(self, call: FollowedCall, err: ConnectCallError) -> None:
        call.failures += 1
        self._api_down = True
        self._co.async_set_update_error(poll_error(err))
        if call.tracker.poll_failed(now()):
            LOGGER.warning("Giving up following the call: the API keeps failing")
            call.tracker.end_locally(CODE_UNKNOWN, now())
            self._co.publish(call)
