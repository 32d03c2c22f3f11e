"""Following calls: each call's ``getStatus`` polls on a steady grid.

The stock scheduler does not fit: it aligns refreshes to whole seconds plus
a random offset and debounces requested refreshes for 10 s. Instead the
coordinator's ``update_interval`` stays ``None`` and each followed call gets
a timer that polls at a steady cadence from the dial (the first poll at
once) until a final state, enforcing the call's bounds on the way. Outside
calls nothing is requested; between polls nothing is pending.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import math
from typing import TYPE_CHECKING, Any

from homeassistant.core import callback
from homeassistant.util import dt as dt_util

from .api import ConnectCallError
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
    # Its answer was announced (the call_answered trigger), once.
    answer_reported: bool = False

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
            old.cancel_timer()
        interval = float(
            co.config_entry.options.get(CONF_POLL_INTERVAL, DEFAULT_POLL_INTERVAL)
        )
        call = FollowedCall(
            tracker,
            co.hass.loop.time(),
            interval,
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
        co.data = tracker.state
        self.schedule(call)

    def schedule(self, call: FollowedCall) -> None:
        """Next poll on the call's grid (start + n * interval), skipping missed ones."""
        call.cancel_timer()
        if not self._co.is_current(call):
            return
        loop = self._co.hass.loop
        call.tick = max(
            call.tick + 1, math.floor((loop.time() - call.started) / call.interval) + 1
        )
        call.timer = loop.call_at(
            call.started + call.tick * call.interval, self._on_timer, call
        )

    @callback
    def _on_timer(self, call: FollowedCall) -> None:
        call.timer = None
        self._co.config_entry.async_create_task(
            self._co.hass, self._tick(call), f"{DOMAIN} poll"
        )

    async def _tick(self, call: FollowedCall) -> None:
        """A poll on the grid: enforce the call's bounds, then ask the server.

        The bounds are judged at the time the tick began: a slow hang-up at
        ``max_duration`` must not make the call look as if it outlasted them.
        """
        co, tracker, at = self._co, call.tracker, now()
        if tracker.due_hang_up(at) is not None:
            async with co.lock:
                # Checked again under the lock: a dial may have replaced the
                # call (its hang-up would end the new one), or a shutdown begun.
                outcome = tracker.due_hang_up(at)
                if co.is_current(call) and outcome is not None:
                    try:
                        await co.ending.hang_up_locked(call, outcome)
                    except ConnectCallError as err:
                        # Retried at the next poll: the call stays followed.
                        LOGGER.debug("Hang-up at the call's bound failed: %s", err)
        if tracker.follow_expired(at) and not tracker.over:
            LOGGER.warning("Stopped following a call that outlasted its bounds")
            tracker.end_locally(CODE_UNKNOWN, at)
            co.publish(call)
            return
        await self.poll_now(call)

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
        """Poll at once after an action changed the call; the grid goes on."""
        call.cancel_timer()
        await self.poll_now(call)

    async def poll_now(self, call: FollowedCall) -> None:
        """Poll, then keep the cadence while the call goes on."""
        await self._poll_once(call)
        self.schedule(call)

    async def _poll_once(self, call: FollowedCall) -> None:
        co, tracker = self._co, call.tracker
        async with co.lock:
            if not co.is_current(call):
                return
            try:
                status = await co.keeper.status()
            except SessionLostError:
                if not tracker.hung_up_by_us:
                    LOGGER.warning("The login session ended during a call")
                code = CODE_HUNG_UP if tracker.hung_up_by_us else CODE_UNKNOWN
                tracker.end_locally(code, now())
            except ConnectCallError as err:
                self._failed(call, err)
                return
            else:
                if status is None:
                    tracker.unchanged()
                else:
                    tracker.status(status.code, status.message, now())
        if self._api_down:
            self._api_down = False
            LOGGER.info("Connect Call API answers again")
        co.publish(call)

    def _failed(self, call: FollowedCall, err: ConnectCallError) -> None:
        self._api_down = True
        self._co.async_set_update_error(poll_error(err))
        if call.tracker.poll_failed(now()):
            LOGGER.warning("Giving up following the call: the API keeps failing")
            call.tracker.end_locally(CODE_UNKNOWN, now())
            self._co.publish(call)
