"""Constants for the Connect Call integration."""

from __future__ import annotations

import logging
from typing import Final

from .codes import CallMode

DOMAIN: Final = "connectcall"
LOGGER = logging.getLogger(__package__)

CONF_SOURCE: Final = "source"
CONF_MODE: Final = "mode"
CONF_POLL_INTERVAL: Final = "poll_interval"
CONF_RING_TIMEOUT: Final = "ring_timeout"
CONF_NUMBER: Final = "number"

SUBENTRY_CONTACT: Final = "contact"

# The actions' fields (README, Reference).
ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_CONTACT: Final = "contact"
ATTR_DESTINATION: Final = "destination"
ATTR_MAX_DURATION: Final = "max_duration"
ATTR_WAIT: Final = "wait"
ATTR_RETRY_BUSY: Final = "retry_busy"
ATTR_RETRY_DELAY: Final = "retry_delay"
ATTR_KEEP_ACTIVE_CALL: Final = "keep_active_call"
ATTR_RESPOND_ON_ERROR: Final = "respond_on_error"

# Fired once per finished call (README); the logbook describes it.
EVENT_CALL_ENDED: Final = "connectcall_call_ended"
# Inside Home Assistant only: a call of any account started, was answered or
# ended (``activity.CallMilestone``); the triggers listen to it.
SIGNAL_CALL_MILESTONE: Final = "connectcall_call_milestone"

DEFAULT_MODE: Final = CallMode.SOURCE_FIRST
DEFAULT_POLL_INTERVAL: Final = 1.0
# How long each number of a list rings when the dial does not say: below the
# delay after which a mobile's voicemail answers (README, "How long a phone
# rings"). The blueprints' default too.
DEFAULT_LIST_RING: Final = 15.0
# How long `wait` waits for an answer when nothing bounds the ring.
DEFAULT_WAIT_RING: Final = 120.0
# Slack on top of a ring bound for the server to report the end.
WAIT_SLACK: Final = 5.0
# Seconds a request may take before it counts as a connection failure.
REQUEST_TIMEOUT: Final = 10.0
# Ending the session on unload / stop must not hold Home Assistant up.
SHUTDOWN_TIMEOUT: Final = 5.0
STORAGE_VERSION: Final = 1
