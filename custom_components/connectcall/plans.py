"""Dial plans: a dial's numbers, bounds and retries, checked as the actions' input.

``build_plan`` checks an action's whole input: nothing is sent unless all
of it is valid (``runner.py`` works a plan through).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
import json
import math
from typing import TYPE_CHECKING, Any, Final

from .api import InvalidNumberError, normalize_number
from .codes import CallMode
from .const import (
    ATTR_DESTINATION,
    ATTR_MAX_DURATION,
    ATTR_RETRY_BUSY,
    ATTR_RETRY_DELAY,
    ATTR_WAIT,
    CONF_MODE,
    CONF_NUMBER,
    CONF_RING_TIMEOUT,
    CONF_SOURCE,
    DEFAULT_LIST_RING,
    DEFAULT_MODE,
    DEFAULT_WAIT_RING,
    WAIT_SLACK,
)

if TYPE_CHECKING:
    from .contacts import Contact


class InvalidPlanError(Exception):
    """An action's input is refused (``exceptions.<key>``); nothing was sent.

    The actions make it Home Assistant's translated error (``errors.py``).
    """

    def __init__(self, key: str, **placeholders: str) -> None:
        super().__init__(key)
        self.key = key
        self.placeholders = placeholders


def checked_number(value: object, key: str) -> str:
    """A normalised phone number, or the field's own input error.

    One message per field (``key``): a field's name is no word in Dutch.
    """
    if isinstance(value, str):
        try:
            return normalize_number(value)
        except InvalidNumberError:
            pass
    raise InvalidPlanError(key)


MAX_DESTINATIONS = 10
# The actions' numeric limits: the one table the handlers check against
# (services.yaml keeps a copy for the UI; a test compares the two).
LIMITS: Final[dict[str, tuple[int, int]]] = {
    CONF_RING_TIMEOUT: (5, 300),
    ATTR_MAX_DURATION: (10, 86400),
    ATTR_RETRY_BUSY: (0, 5),
    ATTR_RETRY_DELAY: (1, 300),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class DialPlan:
    """A validated ``dial``: numbers in order, each ring bounded."""

    destinations: tuple[str, ...]
    source: str
    mode: CallMode
    ring_timeout: float | None
    max_duration: float | None
    retry_busy: int
    retry_delay: float
    # How long a waiting dial waits for one number's outcome.
    wait_bound: float
    # The quick-dial contact called by name (call_contact), if so.
    contact: str | None = None

    @property
    def key(self) -> str:
        """What a dial asked for: two dials with one key are the same dial.

        The contact counts: a call to Mum by her button is not the
        doorbell's call to her number.
        """
        return json.dumps([self.source, self.destinations, self.contact])


def contact_plan(contact: Contact, data: dict[str, Any]) -> tuple[DialPlan, bool]:
    """A dial of the contact as it is now: its number, source and mode.

    ``data`` adds what the caller may choose (wait and the bounds).
    """
    saved = contact.subentry.data
    dial: dict[str, Any] = {
        key: data[key]
        for key in (ATTR_WAIT, CONF_RING_TIMEOUT, ATTR_MAX_DURATION)
        if key in data
    }
    dial[ATTR_DESTINATION] = saved[CONF_NUMBER]
    dial |= {key: saved[key] for key in (CONF_SOURCE, CONF_MODE) if saved.get(key)}
    plan, wait = build_plan(dial, contact.entry.options)
    return replace(plan, contact=contact.name), wait


def _limited[T: (int, float)](
    data: dict[str, Any], field: str, kind: type[T]
) -> T | None:
    """A number within the field's LIMITS, or None when not given."""
    value = data.get(field)
    if value is None:
        return None
    low, high = LIMITS[field]
    # bool is an int to Python, never a number to a user.
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float if kind is float else int)
        or not (math.isfinite(value) and low <= value <= high)
    ):
        raise InvalidPlanError(
            "invalid_range", field=field, min=str(low), max=str(high)
        )
    return kind(value)


def build_plan(
    data: dict[str, Any], options: Mapping[str, Any]
) -> tuple[DialPlan, bool]:
    """Check the whole input; a DialPlan only when all of it is valid.

    ``options``: the account's defaults (source, mode, ring timeout).
    """
    raw = data[ATTR_DESTINATION]
    raw_list = raw if isinstance(raw, list) else [raw]
    if not 1 <= len(raw_list) <= MAX_DESTINATIONS:
        raise InvalidPlanError("invalid_destinations", max=str(MAX_DESTINATIONS))
    destinations = tuple(checked_number(value, "invalid_number") for value in raw_list)

    source = checked_number(
        data.get(CONF_SOURCE, options.get(CONF_SOURCE)), "invalid_source"
    )

    mode_value = data.get(CONF_MODE, options.get(CONF_MODE, DEFAULT_MODE))
    if mode_value not in tuple(CallMode):
        raise InvalidPlanError("invalid_mode")
    wait = data.get(ATTR_WAIT, False)
    if not isinstance(wait, bool):
        raise InvalidPlanError("invalid_wait")
    ring_timeout = _limited(data, CONF_RING_TIMEOUT, float)
    max_duration = _limited(data, ATTR_MAX_DURATION, float)
    retry_delay = _limited(data, ATTR_RETRY_DELAY, float)
    retry_busy = _limited(data, ATTR_RETRY_BUSY, int) or 0

    if ring_timeout is None and len(destinations) > 1:
        ring_timeout = DEFAULT_LIST_RING
    if ring_timeout is None and (default := options.get(CONF_RING_TIMEOUT)):
        ring_timeout = float(default)
    plan = DialPlan(
        destinations=destinations,
        source=source,
        mode=CallMode(mode_value),
        ring_timeout=ring_timeout,
        max_duration=max_duration,
        retry_busy=retry_busy,
        retry_delay=10.0 if retry_delay is None else retry_delay,
        wait_bound=(ring_timeout or DEFAULT_WAIT_RING) + WAIT_SLACK,
    )
    return plan, wait


def checked_flag(data: dict[str, Any], field: str) -> bool:
    """A boolean field (default false), or its translated error."""
    value = data.get(field, False)
    if not isinstance(value, bool):
        raise InvalidPlanError("invalid_flag", field=field)
    return value
