"""Following calls: each call's ``getStatus`` polls at its own cadence.

The stock scheduler does not fit: it aligns refreshes to whole seconds plus
a random offset, polls at one fixed interval and debounces requested
refreshes for 10 s. Instead the coordinator's ``update_interval`` stays
``None`` and each followed call gets a timer: the first poll at once, then
fast or slow as ``cadence.py`` says, until a final state. The call's bounds
(ring timeout, ``max_duration``) have a timer of their own, so slow polling
never delays their hang-up. Outside calls nothing is requested; between
polls nothing is pending.

Two clocks: ``at`` is Unix time, the tracker's (its times survive a
restart); ``now`` and a call's ``polled`` and ``changed`` are the event
loop's, the timers'.
"""

from __future__ import annotations

from collections.abc import Callable

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback

from .api import ConnectCallError
from .cadence import FLOOR, Cadence
from .call import CallTracker, Milestones
from .codes import CODE_HUNG_UP, CODE_UNKNOWN
from .const import CONF_POLL_INTERVAL, DEFAULT_POLL_INTERVAL, DOMAIN, LOGGER
from .line import FollowedCall, Line, wall_time
from .session import SessionLostError


def _next_wake(tracker: CallTracker, at: float) -> float | None:
    """When the call's bound runs out, or its following ends, after ``at``.

    On time, not at the next poll (which a failing server may put 30 s off).
    """
    return min(
        (
            moment
            for moment in (tracker.next_bound(), tracker.follow_limit())
            if moment is not None and moment > at
        ),
        default=None,
    )


class PollSchedule:
    """Follows a call: polls it on its cadence and enforces its bounds."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        line: Line,
        poll_failed: Callable[[ConnectCallError], None],
    ) -> None:
        """Nothing is polled yet; ``poll_failed`` is told each failed poll."""
        self._hass = hass
        self._entry = entry
        self._line = line
        self._poll_failed = poll_failed
        self._api_down = False

    def follow(
        self, tracker: CallTracker, milestones: Milestones, *, resumed: bool = False
    ) -> FollowedCall:
        """Make ``tracker`` the line's call, on a poll grid from now.

        ``resumed``: left by the last run; the setup's getStatus polled it.
        """
        interval = float(
            self._entry.options.get(CONF_POLL_INTERVAL, DEFAULT_POLL_INTERVAL)
        )
        call = FollowedCall(
            tracker, milestones, Cadence(interval), self._hass.loop.time()
        )
        self._line.follow(call)
        if resumed:
            call.polled = self._line.keeper.last_status_sent
            self.arm(call)
        return call

    def arm(self, call: FollowedCall) -> None:
        """Arm the call's next poll (its cadence, the floor) and its bound."""
        call.cancel_timers()
        if not self._line.is_current(call):
            return
        tracker, at, loop = call.tracker, wall_time(), self._hass.loop
        bound = tracker.next_bound()
        if (wake := _next_wake(tracker, at)) is not None:
            # The tracker counts in Unix time, the timers in loop time.
            call.bound_timer = loop.call_at(
                loop.time() + wake - at, self._on_bound, call
            )
        if call.polled is None or tracker.follow_expired(at):
            # The first poll; or following ends now (its timer may have come
            # while a poll was under way).
            due = loop.time()
        elif bound is not None and bound <= at:
            due = call.cadence.bound_retry(
                now=loop.time(),
                polled=call.polled,
                changed=call.changed,
                failures=call.failures,
                judged=call.bounds_judged >= bound,
            )
        else:
            due = call.cadence.next_poll(
                polled=call.polled,
                changed=call.changed,
                # Ringing: a change is due; not for a call known by its
                # session alone (answering 105): fast only after a change.
                busy=tracker.answered is None
                and not (tracker.destination is None and tracker.code is None),
                failures=call.failures,
            )
        if (sent := self._line.keeper.last_status_sent) is not None:
            due = max(due, sent + FLOOR)
        call.timer = loop.call_at(due, self._on_timer, call)

    @callback
    def _on_timer(self, call: FollowedCall) -> None:
        call.timer = None  # fired
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
        self._entry.async_create_task(
            self._hass, self._tick_once(call), f"{DOMAIN} poll"
        )

    async def _tick_once(self, call: FollowedCall) -> None:
        """Enforce the call's bounds, then ask the server.

        The bounds are judged at the time the tick began: a slow hang-up at
        ``max_duration`` must not make the call look as if it outlasted them.
        A bound hang-up that failed is tried again at the next poll.
        """
        try:
            line, tracker, at = self._line, call.tracker, wall_time()
            call.bounds_judged = at
            if tracker.due_hang_up(at) is not None:
                async with line.lock:
                    # Checked again under the lock: a dial may have replaced
                    # the call (its hang-up would end the new one), or a
                    # shutdown begun.
                    outcome = tracker.due_hang_up(at)
                    if line.is_current(call) and outcome is not None:
                        try:
                            await line.hang_up_locked(call, outcome)
                        except ConnectCallError as err:
                            # Retried an interval later: the call stays followed.
                            LOGGER.debug("Hang-up at a bound failed: %s", err)
                        else:
                            # Its end is on its way: fast, as after a change.
                            call.changed = self._hass.loop.time()
            if tracker.follow_expired(at):
                if line.is_current(call):
                    LOGGER.warning("Stopped following a call that outlasted its bounds")
                    line.end_locally(call, CODE_UNKNOWN)
                return
            if await self._poll_once(call, spaced=True):
                self.arm(call)
        finally:
            call.ticking = False

    async def poll_now(self, call: FollowedCall) -> None:
        """Poll at once, even within the floor, then keep the cadence.

        The poll confirms the action asking for it (a dial, a hang-up).
        """
        call.cancel_timer()
        # The action changed the call: polled fast for a while.
        call.changed = self._hass.loop.time()
        if await self._poll_once(call, spaced=False):
            self.arm(call)

    async def _poll_once(self, call: FollowedCall, *, spaced: bool) -> bool:
        """One poll; False if none was sent (not current, or too soon).

        ``spaced``: a poll of the cadence keeps the floor from the last
        request, also one sent while it waited for the lock.
        """
        line, tracker = self._line, call.tracker
        async with line.lock:
            if not line.is_current(call):
                return False
            now = self._hass.loop.time()
            sent = line.keeper.last_status_sent
            if spaced and sent is not None and now < sent + FLOOR:
                # Another getStatus went out meanwhile: the cadence from it.
                call.polled = sent
                self.arm(call)
                return False
            call.polled = now
            before = tracker.code
            try:
                status = await line.keeper.get_status()
            except SessionLostError:
                if not tracker.hung_up_by_us:
                    LOGGER.warning("The login session ended during a call")
                line.end_locally(
                    call, CODE_HUNG_UP if tracker.hung_up_by_us else CODE_UNKNOWN
                )
            except ConnectCallError as err:
                self._failed(call, err)
                return True
            else:
                if status is None:
                    tracker.unchanged()
                else:
                    tracker.on_status(status.code, status.message, wall_time())
            call.failures = 0
            if tracker.code != before:
                call.changed = now
        if self._api_down:
            self._api_down = False
            LOGGER.info("Connect Call API answers again")
        line.publish(call)
        return True

    def _failed(self, call: FollowedCall, err: ConnectCallError) -> None:
        call.failures += 1
        self._api_down = True
        self._poll_failed(err)
        if call.tracker.poll_failed(wall_time()):
            LOGGER.warning("Giving up following the call: the API keeps failing")
            self._line.end_locally(call, CODE_UNKNOWN)
        else:
            # A call placed is told (started) even when its first poll fails.
            self._line.tell(call)
