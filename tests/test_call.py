"""CallTracker, one call's state machine: codes and times in, state out.

No Home Assistant: the tracker does no I/O, so these tests feed it status
codes at chosen seconds after the dial and read what follows. The numbers
(3 s, 4 h, 60 s, 300 s) and the tables are the README's, written out here
rather than imported, so a changed constant in call.py fails a test.
"""

from __future__ import annotations

from datetime import UTC, datetime
import json
from typing import Any

import pytest

from custom_components.connectcall.call import (
    MILESTONE_ANSWERED,
    MILESTONE_ENDED,
    MILESTONE_STARTED,
    CallState,
    CallTracker,
    Milestones,
    outcome_found,
    restore_tracker,
)
from custom_components.connectcall.codes import (
    FINAL_STATUS_CODES,
    STATUS_STATES,
    STATUS_TEXT,
)

# The dial, in Unix seconds (the coordinator's clock).
T0 = 1_750_000_000.0
HOUR = 3600.0

Timeline = list[tuple[float, int]]

# Type 1: the source rings, answers, then the destination rings.
RINGING: Timeline = [(0, 27), (3, 28), (4, 26)]
# ... and the destination answers at 8 s (29), both talk from 9 s (9).
TALKING: Timeline = [*RINGING, (8, 29), (9, 9)]

# README "Entities": code -> state.
README_STATES = {
    4: "hung_up",
    5: "account_state",
    7: "ended_insufficient_funds",
    9: "connected",
    10: "busy",
    11: "no_answer",
    12: "rejected",
    16: "insufficient_funds",
    24: "wrong_source_number",
    25: "wrong_destination_number",
    26: "destination_alerting",
    27: "source_alerting",
    28: "source_connected",
    29: "destination_connected",
    30: "destination_ended",
    31: "source_ended",
    32: "source_insufficient_funds",
    33: "destination_insufficient_funds",
}
README_FINAL = frozenset({4, 7, 10, 11, 12, 16, 24, 25, 30, 31, 32, 33})
# README "Entities": a final code before any answer -> the event type.
UNANSWERED_OUTCOME = {
    4: "canceled",
    30: "canceled",
    31: "canceled",
    10: "busy",
    11: "no_answer",
    12: "rejected",
    7: "failed",
    16: "failed",
    24: "failed",
    25: "failed",
    32: "failed",
    33: "failed",
}


@pytest.fixture(autouse=True)
def _custom_integrations() -> None:
    """Replaces conftest's autouse fixture: no Home Assistant is started here."""


def make(
    *,
    reused: bool = False,
    lingering: int | None = None,
    ring_timeout: float | None = None,
    max_duration: float | None = None,
) -> CallTracker:
    """A call dialled at T0 (``reused``: in a session that had a call before)."""
    return CallTracker(
        call_id=7,
        destination="0612345678",
        dialled=T0,
        reused_session=reused,
        lingering=lingering,
        ring_timeout=ring_timeout,
        max_duration=max_duration,
    )


def feed(call: CallTracker, timeline: Timeline) -> list[bool]:
    """Each (seconds after the dial, code) as a getStatus answer."""
    return [
        call.on_status(code, STATUS_TEXT.get(code, "Unknown status"), T0 + at)
        for at, code in timeline
    ]


def at(seconds: float) -> datetime:
    """The entities' datetime for ``seconds`` after the dial."""
    return datetime.fromtimestamp(T0 + seconds, UTC)


def test_readme_tables_match_the_code() -> None:
    """The README's tables (written out above) and the code's constants agree."""
    assert STATUS_STATES == README_STATES
    assert FINAL_STATUS_CODES == README_FINAL
    assert set(UNANSWERED_OUTCOME) == README_FINAL


# Outcomes (README "Entities").


@pytest.mark.parametrize(
    ("timeline", "duration"),
    [
        pytest.param([*TALKING, (39, 30)], 31.0, id="destination-ends"),
        pytest.param([*TALKING, (24, 31)], 16.0, id="source-ends"),
        pytest.param([*TALKING, (20, 7)], 12.0, id="funds-run-out"),
        pytest.param([*TALKING, (15, 4)], 7.0, id="hung-up"),
        pytest.param([*TALKING, (12, 33)], 4.0, id="failure-code-after-answer"),
        # Simultaneous: both ring, 29 then 9; 10 after an answer is no "busy".
        pytest.param([(0, 26), (4, 29), (5, 9), (6, 10)], 2.0, id="busy-after"),
        # Answered by 9 alone (no 29 seen): still answered.
        pytest.param([*RINGING, (9, 9), (10.5, 30)], 1.5, id="nine-only"),
        # 5 after the answer is no account problem of this call's dial.
        pytest.param([*TALKING, (10, 5), (11, 30)], 3.0, id="five-after-answer"),
    ],
)
def test_answered_then_final_is_answered_with_duration(
    timeline: Timeline, duration: float
) -> None:
    call = make()
    assert all(feed(call, timeline))
    end = timeline[-1][0]
    state = call.state
    assert call.over
    assert call.server_final
    assert call.outcome == state.outcome == "answered"
    assert state.ended_at == at(end)
    assert state.duration == duration
    assert not state.active
    assert state.code == timeline[-1][1]
    assert state.status == README_STATES[timeline[-1][1]]


@pytest.mark.parametrize(
    ("code", "outcome"), sorted(UNANSWERED_OUTCOME.items()), ids=str
)
@pytest.mark.parametrize(
    "before",
    [pytest.param(RINGING, id="after-ringing"), pytest.param([], id="at-once")],
)
def test_final_before_an_answer(code: int, outcome: str, before: Timeline) -> None:
    call = make()
    assert all(feed(call, [*before, (6, code)]))
    state = call.state
    assert call.over
    assert call.server_final
    assert call.answered is None
    assert call.outcome == state.outcome == outcome
    assert state.duration is None
    assert state.answered_at is None
    assert state.ended_at == at(6)
    assert (state.code, state.status) == (code, README_STATES[code])
    assert state.message == STATUS_TEXT[code]


@pytest.mark.parametrize("final", [4, 30, 31])
def test_account_state_then_final_is_failed(final: int) -> None:
    """5 is not final; a call that showed it before an answer has failed."""
    call = make()
    feed(call, [(1, 5)])
    # (Tuples: mypy would narrow call.over and call.outcome for good.)
    assert (call.over, call.outcome) == (False, None)
    assert call.state.status == "account_state"
    feed(call, [(3, final)])
    assert call.over
    assert call.outcome == "failed"
    assert call.state.status == README_STATES[final]


def test_answered_at_first_29_or_9() -> None:
    call = make()
    feed(call, RINGING)
    ringing = call.state
    assert ringing.answered_at is None
    feed(call, [(8, 29), (9, 9), (30, 29)])
    assert call.answered == T0 + 8
    assert call.state.answered_at == at(8)
    assert call.state.active
    assert call.outcome is None


# Our own hang-up.


@pytest.mark.parametrize(
    ("server", "status", "server_final"),
    [
        pytest.param(4, "hung_up", True, id="server-says-4"),
        pytest.param(30, "destination_ended", True, id="server-says-30"),
        # A lagging server still rings: over all the same, shown as 4.
        pytest.param(26, "hung_up", False, id="server-lags-26"),
    ],
)
def test_ring_timeout_hang_up_is_no_answer(
    server: int, status: str, server_final: bool
) -> None:
    call = make(ring_timeout=30)
    feed(call, RINGING)
    assert call.due_hang_up(T0 + 30) == "no_answer"
    call.hung_up("no_answer")
    assert (call.hung_up_by_us, call.over) == (True, False)  # over at a status
    assert call.on_status(server, STATUS_TEXT[server], T0 + 31)
    assert call.over
    assert call.outcome == "no_answer"
    assert call.server_final is server_final
    assert call.state.status == status
    assert call.state.ended_at == at(31)


@pytest.mark.parametrize("server", [4, 31])
def test_our_hang_up_before_an_answer_not_ring_timeout_is_canceled(server: int) -> None:
    call = make(ring_timeout=30)
    feed(call, RINGING)
    call.hung_up("canceled")  # the user's hang_up, at 10 s
    feed(call, [(11, server)])
    assert call.outcome == "canceled"


def test_first_hang_up_reason_is_the_outcome() -> None:
    call = make(ring_timeout=30)
    feed(call, RINGING)
    call.hung_up("no_answer")
    call.hung_up("canceled")
    feed(call, [(31, 4)])
    assert call.outcome == "no_answer"


def test_hang_up_accepted_while_server_still_says_connected() -> None:
    """max_duration ran out, hangUp accepted, the server still says 9."""
    call = make(reused=True, max_duration=60)
    feed(call, TALKING)
    assert call.due_hang_up(T0 + 67.9) is None
    assert call.due_hang_up(T0 + 68) == "answered"  # 60 s after the 29 at 8 s
    call.hung_up("answered")
    assert call.due_hang_up(T0 + 69) is None
    assert call.on_status(9, "Clients connected", T0 + 69)
    state = call.state
    assert call.over
    assert not call.server_final  # the next dial hangs up first
    assert (state.status, state.code, state.message) == ("hung_up", 4, "Hang Up")
    assert call.outcome == state.outcome == "answered"
    assert state.duration == 61.0
    # Over: the server's later 4 is no news.
    assert not call.on_status(4, "Hang Up", T0 + 70)
    assert call.state == state
    assert not call.server_final


def test_hang_up_then_server_final_counts_as_server_final() -> None:
    call = make(reused=True, max_duration=60)
    feed(call, TALKING)
    call.hung_up("answered")
    assert call.on_status(4, "Hang Up", T0 + 69)
    assert call.server_final
    assert call.state.status == "hung_up"
    assert call.outcome == "answered"


# The lag guard (CONTRIBUTING.md: a reused session).


@pytest.mark.parametrize("code", sorted(README_FINAL))
@pytest.mark.parametrize("seconds", [0.0, 1.0, 2.99])
def test_lag_guard_ignores_an_early_final_code(code: int, seconds: float) -> None:
    call = make(reused=True, ring_timeout=30)
    before = call.state
    assert not call.on_status(code, STATUS_TEXT[code], T0 + seconds)
    assert call.state == before
    assert (call.over, call.server_final, call.outcome) == (False, False, None)
    assert (call.code, call.state.status) == (None, "status_unknown")
    # The call goes on normally afterwards.
    assert all(feed(call, [(3.5, 27), (4, code)]))
    assert call.over
    assert call.outcome == UNANSWERED_OUTCOME[code]


@pytest.mark.parametrize(
    ("reused", "progress", "hung_up", "seconds", "counts"),
    [
        pytest.param(True, None, False, 2.999, False, id="reused-2.999s"),
        pytest.param(True, None, False, 3.0, True, id="reused-at-3s"),
        pytest.param(True, None, False, 10.0, True, id="reused-later"),
        pytest.param(True, 27, False, 1.0, True, id="reused-after-27"),
        pytest.param(True, 5, False, 1.0, True, id="reused-after-5"),
        pytest.param(True, 42, False, 1.0, True, id="reused-after-unknown-code"),
        pytest.param(True, None, True, 0.5, True, id="reused-our-hang-up"),
        pytest.param(False, None, False, 0.0, True, id="new-session-at-once"),
        pytest.param(False, None, False, 2.999, True, id="new-session-2.999s"),
    ],
)
def test_lag_guard(
    reused: bool,
    progress: int | None,
    hung_up: bool,
    seconds: float,
    counts: bool,
) -> None:
    call = make(reused=reused)
    if progress is not None:
        assert feed(call, [(0.5, progress)]) == [True]
    if hung_up:
        call.hung_up("canceled")
    assert call.on_status(30, STATUS_TEXT[30], T0 + seconds) is counts
    assert call.over is counts
    assert call.server_final is counts
    if counts:
        assert call.state.status == "destination_ended"
        assert call.state.ended_at == at(seconds)


def test_lag_guard_off_for_a_call_known_answered() -> None:
    """An answer is progress: a call handed over answered has no guard."""
    call = CallTracker(
        call_id=7,
        destination=None,
        dialled=T0,
        reused_session=True,
        answered=T0 + 0.5,
    )
    assert call.on_status(30, STATUS_TEXT[30], T0 + 1)
    assert call.outcome == "answered"
    assert call.state.duration == 0.5


def test_lag_guard_lets_non_final_codes_through() -> None:
    call = make(reused=True)
    assert feed(call, [(0, 27), (0.5, 28)]) == [True, True]
    assert call.state.status == "source_connected"


# Bounds: ring_timeout, max_duration, following limits.


@pytest.mark.parametrize(
    ("ring_timeout", "max_duration", "answer", "seconds", "due"),
    [
        pytest.param(30, None, None, 29.999, None, id="ring-before"),
        pytest.param(30, None, None, 30, "no_answer", id="ring-at"),
        pytest.param(30, None, None, 500, "no_answer", id="ring-after"),
        pytest.param(30, 60, 10, 40, None, id="ring-off-once-answered"),
        pytest.param(30, 60, 10, 69.999, None, id="max-before"),
        pytest.param(30, 60, 10, 70, "answered", id="max-at"),
        pytest.param(None, 60, 10, 100, "answered", id="max-after"),
        pytest.param(None, 60, None, 100, None, id="max-waits-for-answer"),
        pytest.param(None, None, None, 4 * HOUR, None, id="no-bounds"),
        pytest.param(None, None, 10, 4 * HOUR, None, id="no-bounds-answered"),
    ],
)
def test_due_hang_up(
    ring_timeout: float | None,
    max_duration: float | None,
    answer: float | None,
    seconds: float,
    due: str | None,
) -> None:
    call = make(ring_timeout=ring_timeout, max_duration=max_duration)
    feed(call, [(0, 27)] if answer is None else [(0, 27), (answer, 29)])
    assert call.due_hang_up(T0 + seconds) == due


@pytest.mark.parametrize("answered", [False, True])
def test_due_hang_up_none_after_our_hang_up(answered: bool) -> None:
    call = make(ring_timeout=30, max_duration=60)
    feed(call, TALKING if answered else RINGING)
    late = T0 + 1000
    assert call.due_hang_up(late) == ("answered" if answered else "no_answer")
    call.hung_up("answered" if answered else "no_answer")
    assert call.due_hang_up(late) is None


def test_due_hang_up_none_when_over() -> None:
    call = make(ring_timeout=30)
    feed(call, [*RINGING, (6, 10)])
    assert call.due_hang_up(T0 + 1000) is None
    call = make(ring_timeout=30)
    call.end_locally(3, T0 + 5)
    assert call.due_hang_up(T0 + 1000) is None


@pytest.mark.parametrize(
    ("max_duration", "answer", "seconds", "expired"),
    [
        pytest.param(None, None, 4 * HOUR - 0.001, False, id="4h-before"),
        pytest.param(None, None, 4 * HOUR, True, id="4h-at"),
        pytest.param(60, None, 4 * HOUR - 0.001, False, id="unanswered-max-4h"),
        pytest.param(60, None, 4 * HOUR, True, id="unanswered-max-4h-at"),
        pytest.param(None, 10, 4 * HOUR - 0.001, False, id="answered-no-max"),
        pytest.param(None, 10, 4 * HOUR, True, id="answered-no-max-4h"),
        pytest.param(60, 10, 129.999, False, id="max+60-before"),
        pytest.param(60, 10, 130, True, id="max+60-at"),
        pytest.param(86400, 10, 4 * HOUR, True, id="4h-before-max+60"),
    ],
)
def test_follow_expired(
    max_duration: float | None, answer: float | None, seconds: float, expired: bool
) -> None:
    call = make(max_duration=max_duration)
    feed(call, [(0, 27)] if answer is None else [(0, 27), (answer, 9)])
    assert call.follow_expired(T0 + seconds) is expired


# Failing polls (CONTRIBUTING.md: the 5 min API-failure give-up counts per call).


def test_poll_failed_gives_up_after_300s_continuous() -> None:
    call = make()
    feed(call, [(0, 27)])
    results = {s: call.poll_failed(T0 + s) for s in range(5, 306)}
    assert not any(results[s] for s in range(5, 305))
    assert results[305]  # 300 s after the first failure
    assert not call.over  # the caller ends it (end_locally)


@pytest.mark.parametrize("reset", ["status", "unchanged"])
def test_poll_failed_reset_by_an_answer(reset: str) -> None:
    call = make()
    feed(call, [(0, 27)])
    assert not call.poll_failed(T0 + 5)
    assert not call.poll_failed(T0 + 250)
    if reset == "status":
        feed(call, [(251, 26)])
    else:
        call.unchanged()
    assert not call.poll_failed(T0 + 252)
    assert not call.poll_failed(T0 + 305)  # would have given up without reset
    assert not call.poll_failed(T0 + 551.999)
    assert call.poll_failed(T0 + 552)


def test_poll_failed_counts_per_call() -> None:
    old = make()
    assert not old.poll_failed(T0 + 1)
    new = make()
    assert not new.poll_failed(T0 + 299)
    assert old.poll_failed(T0 + 301)


# end_locally: over by our own knowledge.


@pytest.mark.parametrize(
    ("timeline", "hung_up", "code", "expected", "status"),
    [
        pytest.param(
            RINGING, None, 3, "failed", "status_unknown", id="gave-up-ringing"
        ),
        pytest.param(
            RINGING, "no_answer", 4, "no_answer", "hung_up", id="ring-timeout"
        ),
        pytest.param(RINGING, "canceled", 4, "canceled", "hung_up", id="hung-up"),
        pytest.param(
            TALKING, None, 3, "answered", "status_unknown", id="gave-up-talking"
        ),
        pytest.param(
            TALKING, "answered", 4, "answered", "hung_up", id="hung-up-talking"
        ),
    ],
)
def test_end_locally(
    timeline: Timeline,
    hung_up: str | None,
    code: int,
    expected: str,
    status: str,
) -> None:
    call = make()
    feed(call, timeline)
    if hung_up is not None:
        call.hung_up(hung_up)
    call.end_locally(code, T0 + 20)
    state = call.state
    assert call.over
    assert not call.server_final
    assert call.outcome == state.outcome == expected
    assert (state.status, state.code) == (status, code)
    assert state.message == STATUS_TEXT[code]
    assert state.ended_at == at(20)
    assert state.duration == (12.0 if call.answered is not None else None)
    # Over: later answers change nothing.
    assert not call.on_status(9, "Clients connected", T0 + 21)
    assert call.state == state


def test_end_locally_on_an_over_call_changes_nothing() -> None:
    call = make()
    feed(call, [*RINGING, (6, 10)])
    before = call.state
    call.end_locally(3, T0 + 10)
    call.end_locally(4, T0 + 11)
    assert call.state == before
    assert call.outcome == "busy"
    assert call.server_final


# The state the entities show.


def test_initial_state() -> None:
    call = make(reused=True)
    state = call.state
    assert state.status == "status_unknown"
    assert (state.code, state.message, state.outcome) == (None, None, None)
    assert (state.call_id, state.destination) == (7, "0612345678")
    assert state.dialled_at == at(0)
    assert (state.answered_at, state.ended_at, state.duration) == (None, None, None)
    assert state.active
    assert not call.over
    assert not call.server_final
    assert not call.hung_up_by_us


def test_idle_is_only_the_no_call_default() -> None:
    assert CallState().status == "idle"
    assert not CallState().active


@pytest.mark.parametrize(("code", "status"), sorted(README_STATES.items()))
def test_state_of_each_code(code: int, status: str) -> None:
    call = make()
    assert call.on_status(code, STATUS_TEXT[code], T0 + 5)
    state = call.state
    assert (state.status, state.code, state.message) == (
        status,
        code,
        STATUS_TEXT[code],
    )
    assert call.over is (code in README_FINAL)
    assert state.active is (code not in README_FINAL)
    assert state.status != "idle"


@pytest.mark.parametrize("code", [3, 42, 0, 99])
def test_unknown_code_is_status_unknown_not_over(code: int) -> None:
    call = make()
    assert call.on_status(code, "Unknown status", T0 + 2)
    state = call.state
    assert (state.status, state.code, state.message) == (
        "status_unknown",
        code,
        "Unknown status",
    )
    assert not call.over
    assert state.active
    assert call.outcome is None


# Kept across a restart.


def test_snapshot_restore_round_trip() -> None:
    call = make(reused=True, ring_timeout=30, max_duration=600)
    feed(call, TALKING)
    # Stored as JSON in .storage.
    data = json.loads(json.dumps(call.snapshot()))
    restored = restore_tracker(data)
    assert restored.snapshot() == call.snapshot()
    assert restored.call_id == 7
    assert restored.destination == "0612345678"
    assert restored.dialled == T0
    assert restored.answered == T0 + 8
    assert restored.state.dialled_at == at(0)
    assert restored.state.answered_at == at(8)
    assert not restored.over
    assert restored.code is None  # the next getStatus tells
    # Bounds go on from the original dial and answer.
    assert restored.due_hang_up(T0 + 607.9) is None
    assert restored.due_hang_up(T0 + 608) == "answered"
    assert restored.follow_expired(T0 + 668)
    assert not restored.follow_expired(T0 + 667.9)
    feed(restored, [(100, 31)])
    assert restored.outcome == "answered"
    assert restored.state.duration == 92.0


def test_restored_call_keeps_its_lag_guard() -> None:
    """A restart within 3 s of a dial into a reused session: the previous
    call's final code is still no news of this one."""
    call = make(reused=True, ring_timeout=30)
    restored = restore_tracker(json.loads(json.dumps(call.snapshot())))
    assert restored.answered is None
    assert restored.due_hang_up(T0 + 30) == "no_answer"
    assert not restored.on_status(11, "No answer", T0 + 1)
    assert not restored.over
    assert restored.on_status(11, "No answer", T0 + 3)
    assert restored.outcome == "no_answer"


def test_restored_progressed_call_trusts_a_final_code() -> None:
    call = make(reused=True, ring_timeout=30)
    assert call.on_status(27, "Source is alerting", T0 + 1)
    restored = restore_tracker(json.loads(json.dumps(call.snapshot())))
    assert restored.on_status(11, "No answer", T0 + 1.5)
    assert restored.outcome == "no_answer"


def test_lingering_code_is_no_progress() -> None:
    """An unconfirmed call in a session whose previous call may still be up."""
    call = make(reused=True, lingering=9)
    assert not call.on_status(9, "Clients connected", T0 + 1)
    assert call.state.answered_at is None
    assert call.on_status(27, "Source is alerting", T0 + 2)
    assert call.progressed
    assert call.on_status(9, "Clients connected", T0 + 20)
    assert call.state.answered_at == at(20)
    # Kept across a restart.
    fresh = restore_tracker(make(reused=True, lingering=9).snapshot())
    assert not fresh.on_status(9, "Clients connected", T0 + 1)


def test_restore_minimal_snapshot() -> None:
    restored = restore_tracker({"call_id": "3", "dialled": T0})
    assert restored.call_id == 3
    assert restored.destination is None
    assert restored.answered is None
    assert restored.due_hang_up(T0 + 4 * HOUR) is None
    assert restored.follow_expired(T0 + 4 * HOUR)


# Milestones: which of a call's milestones are told, each once.


def test_a_placed_call_starts_at_its_first_news_and_ends_once() -> None:
    """Started at the first publish, answered once, ended once with its
    outcome: whatever the number of publishes in between. The server
    accepted it: it counts before any status of its own (a reused session)."""
    call, told = make(reused=True), Milestones()
    assert told.due(call) == (MILESTONE_STARTED,)
    assert told.due(call) == ()
    call.on_status(9, "Clients connected", T0 + 5)
    assert told.due(call) == (MILESTONE_ANSWERED,)
    call.on_status(30, "Destination ended", T0 + 9)
    assert told.due(call) == (MILESTONE_ENDED,)
    assert told.due(call) == ()
    assert (told.counted, told.answer_told, told.end_told) == (True, True, True)


def test_an_unconfirmed_call_starts_only_with_a_status_of_its_own() -> None:
    """A connect that got no answer may never have placed a call: it counts
    once it shows progress; over without any, it is neither counted nor is
    its end told."""
    call, told = make(reused=True, lingering=4), Milestones(sure=False)
    assert told.due(call) == ()
    call.on_status(27, "Calling source", T0 + 1)
    assert told.due(call) == (MILESTONE_STARTED,)
    never, untold = make(reused=True), Milestones(sure=False)
    never.end_locally(3, T0 + 300)  # given up: status unknown
    assert untold.due(never) == ()
    assert not untold.counted


def test_an_answer_and_end_seen_at_once_are_told_in_order() -> None:
    call, told = make(), Milestones()
    call.on_status(9, "Clients connected", T0 + 5)
    call.on_status(30, "Destination ended", T0 + 9)
    assert told.due(call) == (MILESTONE_STARTED, MILESTONE_ANSWERED, MILESTONE_ENDED)


@pytest.mark.parametrize(
    ("record", "told"),
    [
        # No record (a session found alone): its own run told everything.
        (None, (True, True, True)),
        # An older version's record without the flags: what it knew.
        ({"call_id": 1, "dialled": T0}, (True, False, False)),
        ({"call_id": 1, "dialled": T0, "answered": T0 + 5}, (True, True, False)),
        (
            {"counted": False, "answer_reported": False, "reported": False},
            (False, False, False),
        ),
        ({"counted": True, "answer_reported": True, "reported": True}, (True,) * 3),
    ],
)
def test_restored_milestones_are_not_told_again(
    record: dict[str, Any] | None, told: tuple[bool, bool, bool]
) -> None:
    restored = Milestones.restore(record)
    assert (restored.counted, restored.answer_told, restored.end_told) == told
    if record is not None:
        assert Milestones.restore(restored.snapshot()).snapshot() == restored.snapshot()


@pytest.mark.parametrize(
    ("record", "due"),
    [
        ({"counted": True, "reported": False}, (MILESTONE_ENDED,)),
        ({"counted": True, "reported": True}, ()),  # its run told it
        ({"counted": False, "sure": False}, ()),  # maybe never placed
        # Accepted by the server; the last run stopped before its first poll.
        ({"counted": False, "sure": True}, (MILESTONE_STARTED, MILESTONE_ENDED)),
    ],
)
def test_a_call_found_over_at_start_up_is_told_once(
    record: dict[str, Any], due: tuple[str, ...]
) -> None:
    found = Milestones.restore(record)
    assert found.ended_while_away() == due
    assert found.ended_while_away() == ()


@pytest.mark.parametrize(
    ("record", "code", "outcome"),
    [
        ({"answered": T0}, None, "answered"),
        ({}, 10, "busy"),
        ({}, 4, None),  # ends answered calls and unanswered ones alike
        ({}, None, None),  # its session was gone: nothing is known
        # Our hang-up, accepted before the stop, ended it: its reason.
        ({"hung_up": "no_answer"}, 4, "no_answer"),
        ({"hung_up": "canceled"}, 28, "canceled"),
        ({"answered": T0, "hung_up": "canceled"}, 9, "answered"),
    ],
)
def test_the_outcome_of_a_call_found_over(
    record: dict[str, Any], code: int | None, outcome: str | None
) -> None:
    assert outcome_found(record, code) == outcome
