"""How often a call's status is asked: fast where a change is due, slow where none is.

A call's statuses change in bursts: right after the dial (27 -> 28 -> 26
within seconds) and around the answer (26 -> 29 -> 9); while both people
talk nothing changes for minutes. So a call is polled at half the user's
interval while it rings, while our hang-up is on its way and for a few
seconds after any change, and at three times the interval (at most 10 s)
while it is connected and quiet. A typical call (it talks at least about
twice as long as it rang) asks no more than a fixed poll at the interval
would; a call that is never answered asks at most twice that, and its ring
time is bounded. Failing polls back off.

No I/O and no Home Assistant: times (seconds on one clock) in, the time
of the next poll out. The schedule (``schedule.py``) adds what concerns
all calls: never closer than ``FLOOR`` to the previous request, never two
at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# Never two status requests closer than this: the API page suggests about
# one a second; twice that, in bursts, is the most we take.
FLOOR: Final = 0.5
# The slowest cadence while a call is connected and quiet: a hang-up by the
# other party shows within this.
SLOW_MAX: Final = 10.0
# A failing server is asked at most this rarely (it is given up after
# ``call.POLL_GIVE_UP`` of failures).
BACK_OFF_MAX: Final = 30.0


@dataclass(frozen=True, slots=True)
class Cadence:
    """The poll spacing that follows from the user's status interval."""

    interval: float

    @property
    def fast(self) -> float:
        """While a change is due: half the interval, never under the floor."""
        return max(FLOOR, self.interval / 2)

    @property
    def slow(self) -> float:
        """While connected and quiet: three times the interval, at most 10 s."""
        return max(self.fast, min(SLOW_MAX, 3 * self.interval))

    @property
    def quick_after_change(self) -> float:
        """Polled fast this long after a change was seen."""
        return 2 * self.interval

    def next_poll(
        self, *, polled: float, changed: float, busy: bool, failures: int
    ) -> float:
        """When to ask next.

        ``polled``: when the last request was sent; ``changed``: when a
        change was last seen (or the call followed); ``busy``: a change is
        due (ringing, our hang-up on its way); ``failures``: polls failed in
        a row. Failures double the spacing, never below the interval.
        """
        quick = busy or polled - changed < self.quick_after_change
        gap = self.fast if quick else self.slow
        if failures:
            doubled = max(gap, self.interval) * 2 ** min(failures - 1, 8)
            gap = min(BACK_OFF_MAX, doubled)
        return polled + gap

    def bound_retry(
        self, *, now: float, polled: float, changed: float, failures: int, judged: bool
    ) -> float:
        """When to hang up at a ring timeout or ``max_duration`` that ran out.

        ``judged``: a tick judged the bound since it ran out, so its hang-up
        failed. Not judged: at once. Failed: again an interval after the
        last try, later while polls back off; never faster into errors.
        """
        if not judged:
            return now
        return max(
            polled + self.interval,
            self.next_poll(
                polled=polled, changed=changed, busy=True, failures=failures
            ),
        )
