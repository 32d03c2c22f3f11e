"""Every code of the Connect Call API and what it means, once.

The client (``api.py``), the call tracker (``call.py``) and the entities
read them from here. No import from the package: the simulator keeps its
own copy on purpose (an independent model of the server).
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Final


class CallMode(StrEnum):
    """Which leg rings first (the API's ``type``)."""

    SOURCE_FIRST = "source_first"
    SIMULTANEOUS = "simultaneous"

    @property
    def api_type(self) -> int:
        """The API's ``type`` parameter."""
        return 1 if self is CallMode.SOURCE_FIRST else 2


class ResponseCode(IntEnum):
    """Answers to commands (always 100 and up)."""

    OK = 100
    FAILED = 101
    AUTHORIZATION_FAILED = 102
    LOGIN_SUCCESS = 103
    WRONG_PARAMETERS = 104
    NO_CHANGES = 105


class StatusCode(IntEnum):
    """Answers to ``getStatus`` (always below 100)."""

    UNKNOWN = 3
    HANG_UP = 4
    ACCOUNT_STATE = 5
    ENDED_INSUFFICIENT_FUNDS = 7
    CONNECTED = 9
    BUSY = 10
    NO_ANSWER = 11
    REJECTED = 12
    INSUFFICIENT_FUNDS = 16
    WRONG_SOURCE_NUMBER = 24
    WRONG_DESTINATION_NUMBER = 25
    DESTINATION_ALERTING = 26
    SOURCE_ALERTING = 27
    SOURCE_CONNECTED = 28
    DESTINATION_CONNECTED = 29
    DESTINATION_ENDED = 30
    SOURCE_ENDED = 31
    SOURCE_INSUFFICIENT_FUNDS = 32
    DESTINATION_INSUFFICIENT_FUNDS = 33


# The server's own texts (misspellings are the server's).
RESPONSE_TEXT: Final[dict[int, str]] = {
    100: "OK",
    101: "Failed",
    102: "AutorizationFailed",
    103: "LoginSucess",
    104: "WrongParameters",
    105: "NoChanges",
}
STATUS_TEXT: Final[dict[int, str]] = {
    3: "Unknown",
    4: "Hang Up",
    5: "Account State",
    7: "Call ended because of insufficient funds",
    9: "Clients connected",
    10: "Busy",
    11: "No answer",
    12: "Call has been rejected",
    16: "Insufficient funds",
    24: "Wrong source number",
    25: "Wrong destination number",
    26: "Destination is alerting",
    27: "Source is alerting",
    28: "Source number connected",
    29: "Destination number connected",
    30: "Destination number ended the call",
    31: "Source number ended the call",
    32: "Source number has insufficient funds",
    33: "Destination number has insufficient funds",
}
FINAL_STATUS_CODES: Final = frozenset({4, 7, 10, 11, 12, 16, 24, 25, 30, 31, 32, 33})
ANSWERED_STATUS_CODES: Final = frozenset({9, 29})
# Codes that, answered to a GUID command, may mean the session is gone (or,
# from a live session, a refusal): only a getStatus answering one of them
# too confirms the loss.
SESSION_LOST_CODES: Final = frozenset({101, 102, 104})
# Status codes that mean the account (or a leg) ran out of credit.
FUNDS_CODES: Final = frozenset({7, 16, 32, 33})
# Not final, but a call that shows it before any answer has failed.
ACCOUNT_STATE_CODE: Final = 5
# What the entities show for a call over by our own knowledge (3), and for
# a call we hung up (4).
CODE_UNKNOWN: Final = 3
CODE_HUNG_UP: Final = 4

# getStatus code -> the call-status sensor's state (README, Entities).
STATUS_STATES: Final[dict[int, str]] = {
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
STATE_IDLE: Final = "idle"
STATE_UNKNOWN: Final = "status_unknown"
CALL_STATES: Final = [STATE_IDLE, STATE_UNKNOWN, *STATUS_STATES.values()]

# How a finished call ended: dial's `outcome`, the options of the call_ended
# trigger and the last_call_outcome condition, `connectcall_call_ended`, the
# logbook. One key and one label each, everywhere.
OUTCOME_ANSWERED: Final = "answered"
OUTCOME_CANCELED: Final = "canceled"  # hung up before an answer (no ring timeout)
OUTCOME_BUSY: Final = "busy"
OUTCOME_NO_ANSWER: Final = "no_answer"
OUTCOME_REJECTED: Final = "rejected"
OUTCOME_FAILED: Final = "failed"
OUTCOMES: Final = (
    OUTCOME_ANSWERED,
    OUTCOME_BUSY,
    OUTCOME_NO_ANSWER,
    OUTCOME_REJECTED,
    OUTCOME_CANCELED,
    OUTCOME_FAILED,
)
# Only a dial's, no call's: keep_active_call left a call alone (nothing was
# dialled); respond_on_error answers a failed dial.
OUTCOME_LINE_BUSY: Final = "line_busy"
OUTCOME_ERROR: Final = "error"
DIAL_OUTCOMES: Final = (*OUTCOMES, OUTCOME_LINE_BUSY, OUTCOME_ERROR)
# Before 2.0.0 "ended" also named a hang-up before the answer: an automation
# saved then still means `canceled` by it.
OUTCOME_RENAMED: Final = {"ended": OUTCOME_CANCELED}
# Final codes of a call hung up (by us or a party), answered or not: they do
# not tell whether a call found over at start-up was answered.
HANG_UP_ENDS: Final = frozenset({4, 30, 31})
# A final code before any answer -> the outcome (anything else: failed).
UNANSWERED_OUTCOMES: Final[dict[int, str]] = {
    4: OUTCOME_CANCELED,
    30: OUTCOME_CANCELED,
    31: OUTCOME_CANCELED,
    10: OUTCOME_BUSY,
    11: OUTCOME_NO_ANSWER,
    12: OUTCOME_REJECTED,
}

# The call event entity's event types: the start, the answer, then the end:
# `ended` after an answer, else the outcome.
EVENT_STARTED: Final = "started"
EVENT_ENDED: Final = "ended"
EVENT_TYPES: Final = (
    EVENT_STARTED,
    OUTCOME_ANSWERED,
    EVENT_ENDED,
    *OUTCOMES[1:],
)


def end_event_type(outcome: str) -> str:
    """The event entity's event type for a call that ended with ``outcome``."""
    return EVENT_ENDED if outcome == OUTCOME_ANSWERED else outcome
