"""The cadence alone (cadence.py): times in, the next poll's time out."""

from __future__ import annotations

import math

import pytest

from custom_components.connectcall.cadence import BACK_OFF_MAX, FLOOR, Cadence


@pytest.mark.parametrize(
    ("interval", "fast", "slow", "quick_after_change"),
    [
        (1, 0.5, 3, 2),
        (2, 1, 6, 4),
        (3, 1.5, 9, 6),
        (4, 2, 10, 8),  # slow at most 10 s
        (10, 5, 10, 20),
    ],
)
def test_the_option_scales_both_paces(
    interval: float, fast: float, slow: float, quick_after_change: float
) -> None:
    cadence = Cadence(interval)
    assert (cadence.fast, cadence.slow, cadence.quick_after_change) == (
        fast,
        slow,
        quick_after_change,
    )


def test_fast_never_under_the_floor() -> None:
    assert Cadence(0.5).fast == FLOOR


def test_fast_while_a_change_is_due() -> None:
    cadence = Cadence(1)
    # Ringing (or our hang-up on its way), long after the last change.
    assert cadence.next_poll(polled=100, changed=0, busy=True, failures=0) == 100.5


def test_fast_for_a_while_after_a_change_then_slow() -> None:
    cadence = Cadence(1)
    polls = [10.0]  # the poll that saw the change
    while len(polls) < 8:
        polls.append(
            cadence.next_poll(polled=polls[-1], changed=10, busy=False, failures=0)
        )
    assert polls == [10, 10.5, 11, 11.5, 12, 15, 18, 21]


@pytest.mark.parametrize("busy", [True, False])
def test_failures_back_off_never_faster_than_the_interval(busy: bool) -> None:
    cadence = Cadence(1)
    gaps = [
        cadence.next_poll(polled=0, changed=-100, busy=busy, failures=n)
        for n in range(1, 9)
    ]
    base = 1 if busy else 3
    assert gaps == [min(BACK_OFF_MAX, base * 2**n) for n in range(8)]
    assert gaps[-1] == BACK_OFF_MAX


def test_many_failures_stay_at_the_cap() -> None:
    gap = Cadence(1).next_poll(polled=0, changed=0, busy=True, failures=10_000)
    assert gap == BACK_OFF_MAX
    assert math.isfinite(gap)


def requests(cadence: Cadence, ring: float, talk: float | None) -> int:
    """Polls of a call that rings ``ring`` s, then talks ``talk`` s (None: never
    answered, over at ``ring``), the first at the dial; the call's changes come
    when it is answered (and 1 s later, connected)."""
    at, changed, count = 0.0, 0.0, 1
    end = ring if talk is None else ring + 1 + talk
    seen_code = "ringing"
    while True:
        at = cadence.next_poll(
            polled=at, changed=changed, busy=seen_code == "ringing", failures=0
        )
        count += 1
        code = (
            "over"
            if at >= end
            else "ringing"
            if at < ring
            else "answered"
            if at < ring + 1
            else "connected"
        )
        if code != seen_code:
            seen_code, changed = code, at
        if code == "over":
            return count


@pytest.mark.parametrize(("ring", "talk"), [(5, 30), (10, 30), (10, 60), (20, 90)])
def test_a_typical_call_costs_no_more_than_a_fixed_poll(
    ring: float, talk: float
) -> None:
    """A call that talks at least twice as long as it rang (+ the answer)."""
    fixed = 1 + math.ceil(ring + 1 + talk)  # every 1 s from the dial
    assert requests(Cadence(1), ring, talk) <= fixed


@pytest.mark.parametrize("ring", [5, 17.3, 30, 60])
def test_a_call_never_answered_costs_at_most_twice_a_fixed_poll(ring: float) -> None:
    assert requests(Cadence(1), ring, None) <= 2 * (1 + math.ceil(ring))


# A ring timeout or max_duration that ran out: when its hang-up is tried.


def test_a_bound_not_yet_judged_is_hung_up_at_once() -> None:
    assert (
        Cadence(1).bound_retry(
            now=50.0, polled=49.5, changed=40.0, failures=0, judged=False
        )
        == 50.0
    )


@pytest.mark.parametrize(
    ("interval", "failures", "due"),
    [
        (1, 0, 11.0),  # an interval after the failed try, not the fast 0.5 s
        (2, 0, 12.0),
        (1, 3, 14.0),  # polls back off: 1 s doubled twice
        (1, 9, 10 + BACK_OFF_MAX),  # never later than the back-off's cap
    ],
)
def test_a_failed_bound_hang_up_is_retried_never_faster_into_errors(
    interval: float, failures: int, due: float
) -> None:
    """Its hang-up failed (a tick judged the bound): again an interval after
    the last try, or later while polls back off; a failing server is not
    asked at the fast pace a ringing call gets."""
    assert (
        Cadence(interval).bound_retry(
            now=10.2, polled=10.0, changed=0.0, failures=failures, judged=True
        )
        == due
    )
