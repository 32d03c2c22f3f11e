"""Constants for the Connect Call integration."""

from __future__ import annotations

import logging
from typing import Final

from .api import CallMode

DOMAIN: Final = "connectcall"
LOGGER = logging.getLogger(__package__)

CONF_SOURCE: Final = "source"
CONF_MODE: Final = "mode"
CONF_POLL_INTERVAL: Final = "poll_interval"
CONF_RING_TIMEOUT: Final = "ring_timeout"
CONF_NUMBER: Final = "number"

SUBENTRY_CONTACT: Final = "contact"

# Fired once per finished call (CONTRACT.md); the logbook describes it.
EVENT_CALL_ENDED: Final = "connectcall_call_ended"

DEFAULT_MODE: Final = CallMode.SOURCE_FIRST
DEFAULT_POLL_INTERVAL: Final = 1.0
# How long `wait` waits for an answer when nothing bounds the ring.
DEFAULT_WAIT_RING: Final = 120.0
# Slack on top of a ring bound for the server to report the end.
WAIT_SLACK: Final = 5.0
# Seconds a request may take before it counts as a connection failure.
REQUEST_TIMEOUT: Final = 10.0
# Ending the session on unload / stop must not hold Home Assistant up.
SHUTDOWN_TIMEOUT: Final = 5.0
STORAGE_VERSION: Final = 1

# getStatus code -> the call-status sensor's state (CONTRACT.md).
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

# Call outcomes (the event entity's event types, and dial's `outcome`).
OUTCOME_ANSWERED: Final = "answered"
OUTCOME_ENDED: Final = "ended"
OUTCOME_BUSY: Final = "busy"
OUTCOME_NO_ANSWER: Final = "no_answer"
OUTCOME_REJECTED: Final = "rejected"
OUTCOME_FAILED: Final = "failed"
# Not final, but a call that shows it before any answer has failed.
ACCOUNT_STATE_CODE: Final = 5
# A final code before any answer -> the outcome (anything else: failed).
UNANSWERED_OUTCOMES: Final[dict[int, str]] = {
    4: OUTCOME_ENDED,
    30: OUTCOME_ENDED,
    31: OUTCOME_ENDED,
    10: OUTCOME_BUSY,
    11: OUTCOME_NO_ANSWER,
    12: OUTCOME_REJECTED,
}
