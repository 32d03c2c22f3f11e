"""One call's life, without I/O: status codes and time in; state out.

Shaped like h11's state machine: a plain class fed what happened (a status,
an unchanged poll, a failed poll, our own hang-up), answering what follows
(the state the entities show, the outcome, "hang up now", "stop following").
No Home Assistant and no aiohttp import: the schedule and the placer do the
I/O around it, and the tests drive it with codes and times alone. What a
call reached (``Milestones``) and the account's totals (``CallTotals``) are
decided here too.

Times (``now``) are Unix time, so a call resumed after a restart keeps its
dial and answer times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from .codes import (
    ACCOUNT_STATE_CODE,
    ANSWERED_STATUS_CODES,
    CODE_HUNG_UP,
    FINAL_STATUS_CODES,
    HANG_UP_ENDS,
    OUTCOME_ANSWERED,
    OUTCOME_FAILED,
    OUTCOME_NO_ANSWER,
    STATE_IDLE,
    STATE_UNKNOWN,
    STATUS_STATES,
    STATUS_TEXT,
    UNANSWERED_OUTCOMES,
)

# In a reused session getStatus may still show the previous call's last code
# for a moment: a final code this soon, before any progress, is not ours.
LAG_GUARD: Final = 3.0
# Following a call ends this long after the dial at the latest...
FOLLOW_LIMIT: Final = 4 * 3600.0
# ...or this long after an answered call's max_duration ran out.
FOLLOW_SLACK: Final = 60.0
# Polls that keep failing this long (within one call) give the call up.
POLL_GIVE_UP: Final = 300.0

# A call's milestones: told to the totals, the triggers, the event entity,
# the bus (``connectcall_call_ended``) and so the logbook, each once.
MILESTONE_STARTED: Final = "started"
MILESTONE_ANSWERED: Final = "answered"
MILESTONE_ENDED: Final = "ended"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallState:
    """What the entities show: a value, replaced at every change."""

    status: str = STATE_IDLE
    code: int | None = None
    message: str | None = None
    call_id: int = 0
    destination: str | None = None
    # The quick-dial contact the call was placed to, by its name at the dial.
    contact: str | None = None
    dialled_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    # How the call ended, once it is over (codes.OUTCOMES).
    outcome: str | None = None

    @property
    def active(self) -> bool:
        """From the dial until a final state."""
        return self.call_id > 0 and self.ended_at is None

    @property
    def duration(self) -> float | None:
        """Seconds talked, once an answered call is over."""
        if self.answered_at is None or self.ended_at is None:
            return None
        return round((self.ended_at - self.answered_at).total_seconds(), 1)


@dataclass(frozen=True, slots=True)
class CallTotals:
    """What the statistics sensors show: all calls since the account was added."""

    calls: int = 0  # dials the server accepted
    talk_time: float = 0.0  # seconds talked

    def dialled(self) -> CallTotals:
        """One more call the server accepted."""
        return CallTotals(self.calls + 1, self.talk_time)

    def ended(self, state: CallState) -> CallTotals:
        """A call is over: its talk time counts."""
        return CallTotals(self.calls, round(self.talk_time + (state.duration or 0), 1))


def _at(timestamp: float | None) -> datetime | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, UTC)


class CallTracker:
    """One call, from the dial to its outcome."""

    def __init__(
        self,
        *,
        call_id: int,
        destination: str | None,
        dialled: float,
        reused_session: bool,
        lingering: int | None = None,
        contact: str | None = None,
        ring_timeout: float | None = None,
        max_duration: float | None = None,
        answered: float | None = None,
        dial_key: str | None = None,
    ) -> None:
        """A call dialled at ``dialled``; ``dial_key``: what dialled it.

        ``lingering``: in a reused session, the previous call's last code.
        """
        self.call_id = call_id
        self.dial_key = dial_key
        self.destination = destination
        self.contact = contact
        self.dialled = dialled
        self.ring_timeout = ring_timeout
        self.max_duration = max_duration
        self.answered = answered
        self.ended: float | None = None
        self.code: int | None = None
        self.message: str | None = None
        self.outcome: str | None = None
        # What the server last said: its code (ours may be a local end) and
        # whether it said the call is over (then no hang-up before the next).
        self.server_code: int | None = None
        self.server_final = False
        # A new session has no previous call whose code could linger.
        self._progressed = not reused_session or answered is not None
        self._lingering = lingering
        self._hang_up_outcome: str | None = None
        self._account_problem = False
        self._failing_since: float | None = None

    # What is fed in.

    def on_status(self, code: int, message: str, now: float) -> bool:
        """A ``getStatus`` answer; False when it was not taken as this call's."""
        self._failing_since = None
        if self.over:
            return False
        final = code in FINAL_STATUS_CODES
        if self._hang_up_outcome is None and not self._progressed:
            # Before any sign of this call, the previous call's last code is
            # no news of it: a final one for a few seconds, a call still up
            # (a hang-up the server ignored) for as long as it lasts.
            if final and not self.final_trusted(now):
                return False
            if not final and code == self._lingering:
                return False
        self.server_code, self.server_final = code, final
        if not final:
            self._progressed = True
            if self._hang_up_outcome is not None:
                # Our hang-up was accepted: over, whatever a lagging server says.
                code, message, final = CODE_HUNG_UP, STATUS_TEXT[CODE_HUNG_UP], True
        self.code, self.message = code, message
        if code in ANSWERED_STATUS_CODES and self.answered is None:
            self.answered = now
        if code == ACCOUNT_STATE_CODE and self.answered is None:
            self._account_problem = True
        if final:
            self._end(now)
        return True

    def final_trusted(self, now: float) -> bool:
        """A final code now is this call's, not the previous call's last one."""
        return self._progressed or now - self.dialled >= LAG_GUARD

    def unchanged(self) -> None:
        """``getStatus`` answered 105: nothing new, but the API answers."""
        self._failing_since = None

    def poll_failed(self, now: float) -> bool:
        """A poll got no usable answer; True once this call's polls failed too long."""
        if self._failing_since is None:
            self._failing_since = now
        return now - self._failing_since >= POLL_GIVE_UP

    def hung_up(self, outcome: str) -> None:
        """Our ``hangUp`` was accepted; the first reason given is the outcome."""
        self._hang_up_outcome = self._hang_up_outcome or outcome

    def confirmed_over(self) -> None:
        """The server says no call is up: one over by our knowledge is over."""
        self.server_final = True

    def end_locally(self, code: int, now: float) -> None:
        """Over by our own knowledge (session gone, API failing, followed too long)."""
        if self.over:
            return
        self.code, self.message = code, STATUS_TEXT[code]
        self._end(now)

    # What follows.

    @property
    def over(self) -> bool:
        """A final state was reached."""
        return self.ended is not None

    @property
    def progressed(self) -> bool:
        """The call showed a status of its own (or none could be another's)."""
        return self._progressed

    @property
    def hung_up_by_us(self) -> bool:
        """Our own ``hangUp`` was accepted."""
        return self._hang_up_outcome is not None

    def next_bound(self) -> float | None:
        """When the ring timeout (unanswered) or max_duration (answered) runs out."""
        if self.over or self._hang_up_outcome is not None:
            return None
        if self.answered is None:
            limit, since = self.ring_timeout, self.dialled
        else:
            limit, since = self.max_duration, self.answered
        return None if limit is None else since + limit

    def due_hang_up(self, now: float) -> str | None:
        """The outcome to hang up with once ring_timeout/max_duration ran out."""
        bound = self.next_bound()
        if bound is None or now < bound:
            return None
        return OUTCOME_NO_ANSWER if self.answered is None else OUTCOME_ANSWERED

    def follow_limit(self) -> float:
        """When following ends: 4 h on, or max_duration + 60 s after the answer."""
        limit = self.dialled + FOLLOW_LIMIT
        if self.answered is not None and self.max_duration is not None:
            limit = min(limit, self.answered + self.max_duration + FOLLOW_SLACK)
        return limit

    def follow_expired(self, now: float) -> bool:
        """Following has ended (``follow_limit``)."""
        return now >= self.follow_limit()

    @property
    def state(self) -> CallState:
        """The entities' value."""
        return CallState(
            status=STATE_UNKNOWN
            if self.code is None
            else STATUS_STATES.get(self.code, STATE_UNKNOWN),
            code=self.code,
            message=self.message,
            call_id=self.call_id,
            destination=self.destination,
            contact=self.contact,
            dialled_at=_at(self.dialled),
            answered_at=_at(self.answered),
            ended_at=_at(self.ended),
            outcome=self.outcome,
        )

    # Kept across a restart (the session keeper stores it with the GUID).

    def snapshot(self) -> dict[str, Any]:
        """What a restart needs to go on following this call."""
        return {
            "call_id": self.call_id,
            "destination": self.destination,
            "contact": self.contact,
            "dialled": self.dialled,
            "progressed": self._progressed,
            "lingering": self._lingering,
            "answered": self.answered,
            "ring_timeout": self.ring_timeout,
            "max_duration": self.max_duration,
            "dial_key": self.dial_key,
            # Our hang-up the server accepted: not sent again after a restart.
            "hung_up": self._hang_up_outcome,
        }

    def _end(self, now: float) -> None:
        self.ended = now
        self.outcome = self._outcome()

    def _outcome(self) -> str:
        if self.answered is not None:
            return OUTCOME_ANSWERED
        if self._account_problem:
            return OUTCOME_FAILED
        if self._hang_up_outcome is not None:
            return self._hang_up_outcome
        return UNANSWERED_OUTCOMES.get(self.code or 0, OUTCOME_FAILED)


def restore_tracker(data: dict[str, Any]) -> CallTracker:
    """The call a snapshot describes (``CallTracker.snapshot``)."""
    tracker = CallTracker(
        call_id=int(data["call_id"]),
        destination=data.get("destination"),
        dialled=float(data["dialled"]),
        reused_session=not data.get("progressed", True),
        lingering=data.get("lingering"),
        contact=data.get("contact"),
        ring_timeout=data.get("ring_timeout"),
        max_duration=data.get("max_duration"),
        answered=data.get("answered"),
        dial_key=data.get("dial_key"),
    )
    if isinstance(hung_up := data.get("hung_up"), str):
        tracker.hung_up(hung_up)
    return tracker


class Milestones:
    """Which milestones of one call were told: each is decided here, once.

    A call counts (``started``) at its first news once the server accepted
    it (``sure``); one whose ``connect`` got no answer once it shows a status
    of its own, as the server may never have placed it. Its answer is told
    once; its end once, and only for a call that counts. Kept with the
    call's record across a restart.
    """

    __slots__ = ("answer_told", "counted", "end_told", "sure")

    def __init__(
        self,
        *,
        sure: bool = True,
        counted: bool = False,
        answer_told: bool = False,
        end_told: bool = False,
    ) -> None:
        """Nothing told yet, unless said (a call resumed after a restart)."""
        self.sure = sure
        self.counted = counted
        self.answer_told = answer_told
        self.end_told = end_told

    @classmethod
    def restore(cls, record: dict[str, Any] | None) -> Milestones:
        """What a stored record says was told.

        No record (a session found alone): everything was, by its own run.
        A record of an older version without the flags: what it knew.
        """
        if record is None:
            return cls(counted=True, answer_told=True, end_told=True)
        counted = bool(record.get("counted", True))
        answered_at = record.get("answered")
        return cls(
            sure=bool(record.get("sure", counted)),
            counted=counted,
            answer_told=bool(record.get("answer_reported", answered_at is not None)),
            end_told=bool(record.get("reported", False)),
        )

    def snapshot(self) -> dict[str, Any]:
        """Kept with the call's record (the keys of earlier versions)."""
        return {
            "sure": self.sure,
            "counted": self.counted,
            "answer_reported": self.answer_told,
            "reported": self.end_told,
        }

    def due(self, tracker: CallTracker) -> tuple[str, ...]:
        """The milestones ``tracker`` reached that were not told: now they are."""
        due: list[str] = []
        if not self.counted and (self.sure or tracker.progressed):
            self.counted = True
            due.append(MILESTONE_STARTED)
        if tracker.answered is not None and not self.answer_told:
            self.answer_told = True
            due.append(MILESTONE_ANSWERED)
        if tracker.over and not self.end_told:
            self.end_told = True
            if self.counted:
                due.append(MILESTONE_ENDED)
        return tuple(due)

    def ended_while_away(self) -> tuple[str, ...]:
        """What to tell of a call found over at start-up: its start and end.

        Its start if the server accepted it but no poll told it yet; its end
        unless its run told it. Nothing for a call that never counted and
        may never have been placed.
        """
        due: list[str] = []
        if not self.counted and self.sure:
            self.counted = True
            due.append(MILESTONE_STARTED)
        if self.counted and not self.end_told:
            due.append(MILESTONE_ENDED)
        self.end_told = True
        return tuple(due)


def outcome_found(record: dict[str, Any], code: int | None) -> str | None:
    """The outcome of a call found over at start-up; None: unknown.

    ``code``: the final status found (None: its session was gone). A lost
    session or a code any call may end with (4, 30, 31) tells nothing: the
    call may have been answered while Home Assistant was stopped.
    """
    if record.get("answered") is not None:
        return OUTCOME_ANSWERED
    if (hung_up := record.get("hung_up")) is not None:
        return str(hung_up)  # our hang-up, which the server accepted, ended it
    if code is None or code in HANG_UP_ENDS:
        return None
    return UNANSWERED_OUTCOMES.get(code, OUTCOME_FAILED)
