"""One account's line: what the parts of its coordinator share.

The lock around every request about calls, the session keeper (every such
request goes through it), the followed call and the way its state is
published. The parts (``placing.py``, ``schedule.py``, ``ending.py``) get
the line and change what it holds through its methods only.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Protocol

from homeassistant.util import dt as dt_util

from .api import ConnectCallError
from .cadence import Cadence
from .call import CallTracker, Milestones
from .codes import CODE_HUNG_UP, OUTCOME_CANCELED
from .session import SessionKeeper


def wall_time() -> float:
    """The trackers' clock: Unix time, so a resumed call keeps its times."""
    return dt_util.utcnow().timestamp()


class LineClosedError(ConnectCallError):
    """The line stopped (an unload or a stop) while a dial waited on it."""


@dataclass(slots=True, eq=False)
class FollowedCall:
    """A followed call: its tracker, what was told of it, its polls (loop time)."""

    tracker: CallTracker
    milestones: Milestones
    cadence: Cadence
    # When a change was last seen (or the call followed, or an action such
    # as our hang-up changed it): polled fast for a while after it.
    changed: float
    polled: float | None = None  # when the last poll was sent
    failures: int = 0  # polls failed in a row: the back-off
    timer: asyncio.TimerHandle | None = None  # the next poll
    # The ring timeout, max_duration or the end of following, the soonest.
    bound_timer: asyncio.TimerHandle | None = None
    ticking: bool = False  # a poll (with its bound check) is under way
    bounds_judged: float = 0.0  # Unix time the last tick judged the bounds at
    # Set once answered or over: what a waiting ``dial`` waits for.
    outcome_known: asyncio.Event = field(default_factory=asyncio.Event)

    def snapshot(self) -> dict[str, Any]:
        """The tracker's snapshot and what was told, for a restart."""
        return self.tracker.snapshot() | self.milestones.snapshot()

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


def _wake_a_waiting_dial(call: FollowedCall) -> None:
    """A dial waiting for the call's outcome wakes once it is answered or over.

    Before the news is told: a listener that fails must not keep it asleep.
    """
    if call.tracker.answered is not None or call.tracker.over:
        call.outcome_known.set()


class CallPublisher(Protocol):
    """Where a call's news goes (the coordinator)."""

    def tell(self, call: FollowedCall) -> None:
        """Tell the milestones the call reached (its state unchanged)."""

    def publish(self, call: FollowedCall) -> None:
        """Tell its milestones and show its state."""


class Line:
    """One account's line: one call followed at a time, one request at a time."""

    def __init__(self, keeper: SessionKeeper, publisher: CallPublisher) -> None:
        """Nothing is followed yet; ``publisher`` shows what calls do."""
        self.keeper = keeper
        # Held around every request about calls: one at a time, in order.
        self.lock = asyncio.Lock()
        # The followed call (the last one placed or resumed): set by follow().
        self.current: FollowedCall | None = None
        # Unloaded or stopping: no timer, poll or bound sends anything.
        self.stopped = False
        self._publisher = publisher
        self._last_call_id = 0

    @property
    def next_call_id(self) -> int:
        """The ID the next call placed gets."""
        return self._last_call_id + 1

    def is_current(self, call: FollowedCall) -> bool:
        """``call`` is the one followed, not over, and the line is open."""
        return self.current is call and not call.tracker.over and not self.stopped

    def follow(self, call: FollowedCall) -> None:
        """Make ``call`` the followed one; the one before is polled no more."""
        if (old := self.current) is not None:
            old.cancel_timers()
        self.current = call
        self._last_call_id = call.tracker.call_id
        self.keeper.track(call.snapshot())

    def tell(self, call: FollowedCall) -> None:
        """Tell what ``call`` reached, though no new state could be read."""
        _wake_a_waiting_dial(call)
        self._publisher.tell(call)

    def publish(self, call: FollowedCall) -> None:
        """Show ``call``'s state and tell what it reached."""
        _wake_a_waiting_dial(call)
        self._publisher.publish(call)

    def stop(self) -> None:
        """From now on nothing is sent for the followed call."""
        self.stopped = True
        if (call := self.current) is not None:
            call.cancel_timers()
            call.outcome_known.set()  # a waiting dial stops waiting

    def end_locally(self, call: FollowedCall, code: int) -> None:
        """Over by our own knowledge (see ``CallTracker.end_locally``): published."""
        if not call.tracker.over:
            call.tracker.end_locally(code, wall_time())
            self.publish(call)

    async def hang_up_locked(self, call: FollowedCall, outcome: str) -> None:
        """Hang up (lock held); raises and changes nothing when it fails."""
        await self.keeper.hang_up(final_trusted=call.tracker.final_trusted(wall_time()))
        call.tracker.hung_up(outcome)

    async def end_current_locked(self) -> None:
        """Hang up and end the followed call before a new call or a logout.

        The lock is held. A call the server ended is left as it is; the end
        of one hung up here is published.

        A call given up on (the API kept failing) must not block every later
        dial: if its hang-up fails too and the GUID is dead (error pages while
        the server answers without it), the session is closed the safe way
        and the next dial logs in. An overloaded or unreachable server raises.
        """
        call = self.current
        if call is None or call.tracker.server_final:
            return
        try:
            await self.hang_up_locked(call, OUTCOME_CANCELED)
        except ConnectCallError:
            if (
                not call.tracker.over
                or not await self.keeper.guid_dead()
                or not await self.keeper.close()
            ):
                raise
        self.end_locally(call, CODE_HUNG_UP)
