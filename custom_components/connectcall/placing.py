"""Placing calls: one ``login``/``connect`` per attempt, never cancelled mid-request.

"Always end the call before a new call is set up": the previous call is
hung up first (a failed hang-up fails the dial and keeps it followed). The
placement runs as a task of its own, so a cancelled caller (a newer dial,
a hang-up, an automation restart) never cuts a request that may be placing
a call; the task records and follows what it placed.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from .call import CallTracker
from .codes import CODE_HUNG_UP, OUTCOME_ANSWERED, OUTCOME_NO_ANSWER
from .const import DOMAIN, LOGGER
from .contacts import contact_name
from .errors import action_errors, translated
from .plans import DialPlan
from .schedule import FollowedCall, now
from .session import Placement

if TYPE_CHECKING:
    from .coordinator import ConnectCallCoordinator


def _log_unawaited(task: asyncio.Task[FollowedCall]) -> None:
    """A placement whose caller was cancelled: its failure goes to the log."""
    if not task.cancelled() and (err := task.exception()) is not None:
        LOGGER.warning("A dial whose caller stopped waiting failed: %s", err)


class CallPlacer:
    """Places calls through the session keeper and waits for their outcome."""

    def __init__(self, coordinator: ConnectCallCoordinator) -> None:
        """Nothing is placed until a dial."""
        self._co = coordinator
        # Placements in flight (they outlive a cancelled caller), each with
        # its plan's key.
        self.in_flight: dict[asyncio.Task[FollowedCall], str] = {}

    async def async_place(self, plan: DialPlan, destination: str) -> FollowedCall:
        """Place a call (hanging up a previous one first), poll it once."""
        co = self._co
        task = co.hass.async_create_task(
            self._place(plan, destination), f"{DOMAIN} dial"
        )
        # Counted until done, even if cancelled before it ran.
        self.in_flight[task] = plan.key
        task.add_done_callback(self._placed)
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            task.add_done_callback(_log_unawaited)
            raise

    def _placed(self, task: asyncio.Task[FollowedCall]) -> None:
        self.in_flight.pop(task, None)

    @property
    def holder_key(self) -> str | None:
        """The key of the plan whose call holds the line, if this run knows it.

        A placement in flight (the latest) first, else the followed call's
        (also one over by our knowledge alone, which may still be up).
        """
        if self.in_flight:
            return next(reversed(self.in_flight.values()))
        current = self._co.current
        return None if current is None else current.tracker.dial_key

    async def _place(self, plan: DialPlan, destination: str) -> FollowedCall:
        co = self._co
        async with co.lock:
            old = co.current
            # What the server last said of the call before (the hang-up
            # below changes our view of it, not the server's).
            previous = None if old is None else old.tracker.code
            if old is not None and not old.tracker.server_final:
                with action_errors(co.hass, co.config_entry):
                    await co.ending.end_call_locked(old)
                if not old.tracker.over:
                    old.tracker.end_locally(CODE_HUNG_UP, now())
                    co.publish(old)
            # Until the server answers, the call is as unsure as one whose
            # connect got no answer: kept for a crash while the request is out.
            record = self._tracker(
                plan, destination, co.keeper.is_open, previous
            ).snapshot()
            with action_errors(co.hass, co.config_entry):
                placement, settled = await co.keeper.place(
                    destination, plan.source, plan.mode, record | {"counted": False}
                )
            settling = placement is Placement.SETTLED
            tracker = self._tracker(
                plan,
                destination,
                placement.reused_session,
                # Unconfirmed by the server: its status alone can tell this
                # call from the one before, which may still be up.
                previous if settling else None,
            )
            co.call_ids = tracker.call_id
            if settled is not None:
                # The settling getStatus was this call's first status.
                tracker.status(settled.code, settled.message, now())
            call = co.schedule.follow(tracker, counted=not settling)
            # Its record before its count: a crash between the two writes
            # never counts it twice.
            await co.keeper.write_pending()
            if call.counted:
                co.activity.dialled(call)
            # The base of the first poll's state, published by that poll.
            co.data = call.tracker.state
        await co.schedule.poll_now(call)
        return call

    def _tracker(
        self,
        plan: DialPlan,
        destination: str,
        reused_session: bool,
        lingering: int | None,
    ) -> CallTracker:
        """The next call of ``plan`` to ``destination``, dialled now."""
        co = self._co
        return CallTracker(
            call_id=co.call_ids + 1,
            destination=destination,
            dialled=now(),
            reused_session=reused_session,
            lingering=lingering,
            # Named as dialled: a later edit of the contacts (or a second
            # contact with this number) does not rename it.
            contact=plan.contact or contact_name(co.config_entry, destination),
            ring_timeout=plan.ring_timeout,
            max_duration=plan.max_duration,
            dial_key=plan.key,
        )

    async def async_wait(self, call: FollowedCall, bound: float) -> str:
        """Wait until the call is answered or over: ``answered`` or its outcome.

        Running out of time hangs up: ``no_answer``. Cancelling the wait
        (an automation restarting) leaves the call alone.
        """
        co = self._co
        try:
            async with asyncio.timeout(bound):
                await call.settled.wait()
        except TimeoutError:
            async with co.lock:
                # Under the lock: a newer dial or an unload may have come;
                # a hang-up the server accepted is not sent again.
                if co.is_current(call) and not call.tracker.hung_up_by_us:
                    with action_errors(co.hass, co.config_entry):
                        await co.ending.hang_up_locked(call, OUTCOME_NO_ANSWER)
            await co.schedule.poll_again(call)
        if co.shut_down:
            # This run no longer follows the call (a reload goes on with it).
            raise translated("unloaded")
        if call.tracker.answered is not None:
            return OUTCOME_ANSWERED
        # Not settled: the bound ran out (even if the hang-up's poll failed).
        return call.tracker.outcome or OUTCOME_NO_ANSWER
