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
