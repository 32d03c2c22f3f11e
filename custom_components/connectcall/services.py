"""The actions: dial, call_contact, hang_up, end_session.

Every input is checked in the handler, so a mistake reaches the user as a
translated message (a schema error would reach them as a bare 400), and
nothing is sent to the API unless the whole input is valid.
"""

from __future__ import annotations

from collections.abc import Callable
import contextlib
from dataclasses import replace
import math
from typing import Any, Final

from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import service, translation
from homeassistant.util.json import JsonValueType
import probatio

from .api import InvalidNumberError, normalize_number
from .codes import CallMode
from .const import (
    CONF_MODE,
    CONF_NUMBER,
    CONF_RING_TIMEOUT,
    CONF_SOURCE,
    DEFAULT_MODE,
    DEFAULT_WAIT_RING,
    DOMAIN,
    WAIT_SLACK,
)
from .contacts import Contact, comparable, contacts_of, find_contacts
from .coordinator import (
    ConnectCallConfigEntry,
    ConnectCallCoordinator,
    DialPlan,
    DialResult,
)

ATTR_CONFIG_ENTRY_ID = "config_entry_id"
ATTR_CONTACT = "contact"
ATTR_DESTINATION = "destination"
ATTR_MAX_DURATION = "max_duration"
ATTR_WAIT = "wait"
ATTR_RETRY_BUSY = "retry_busy"
ATTR_RETRY_DELAY = "retry_delay"
ATTR_KEEP_ACTIVE_CALL = "keep_active_call"
ATTR_RESPOND_ON_ERROR = "respond_on_error"
# The outcome of a dial that failed, with respond_on_error.
OUTCOME_ERROR = "error"

SERVICE_DIAL = "dial"
SERVICE_CALL_CONTACT = "call_contact"
SERVICE_HANG_UP = "hang_up"
SERVICE_END_SESSION = "end_session"

MAX_DESTINATIONS = 10
# The actions' numeric limits: the one table the handlers check against
# (services.yaml keeps a copy for the UI; a test compares the two).
LIMITS: Final[dict[str, tuple[int, int]]] = {
    CONF_RING_TIMEOUT: (5, 300),
    ATTR_MAX_DURATION: (10, 86400),
    ATTR_RETRY_BUSY: (0, 5),
    ATTR_RETRY_DELAY: (1, 300),
}
# A list without ring_timeout rings each number this long.
LIST_RING = 30.0

# Types are checked in the handler (translated); the schema only names fields.
_ANY = object
DIAL_SCHEMA = probatio.Schema(
    {
        probatio.Optional(ATTR_CONFIG_ENTRY_ID): _ANY,
        probatio.Required(ATTR_DESTINATION): _ANY,
        probatio.Optional(CONF_SOURCE): _ANY,
        probatio.Optional(CONF_MODE): _ANY,
        probatio.Optional(CONF_RING_TIMEOUT): _ANY,
        probatio.Optional(ATTR_MAX_DURATION): _ANY,
        probatio.Optional(ATTR_WAIT): _ANY,
        probatio.Optional(ATTR_RETRY_BUSY): _ANY,
        probatio.Optional(ATTR_RETRY_DELAY): _ANY,
        probatio.Optional(ATTR_KEEP_ACTIVE_CALL): _ANY,
        probatio.Optional(ATTR_RESPOND_ON_ERROR): _ANY,
    }
)
CALL_CONTACT_SCHEMA = probatio.Schema(
    {
        probatio.Optional(ATTR_CONFIG_ENTRY_ID): _ANY,
        probatio.Required(ATTR_CONTACT): _ANY,
        probatio.Optional(CONF_RING_TIMEOUT): _ANY,
        probatio.Optional(ATTR_MAX_DURATION): _ANY,
        probatio.Optional(ATTR_WAIT): _ANY,
    }
)
ENTRY_SCHEMA = probatio.Schema({probatio.Optional(ATTR_CONFIG_ENTRY_ID): _ANY})


def _invalid(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )


def _entry(call: ServiceCall) -> ConnectCallConfigEntry:
    entry_id = call.data.get(ATTR_CONFIG_ENTRY_ID)
    if entry_id is not None and not isinstance(entry_id, str):
        raise _invalid("invalid_config_entry")
    entry: ConnectCallConfigEntry = service.async_get_config_entry(
        call.hass, DOMAIN, entry_id
    )
    return entry


def _coordinator(call: ServiceCall) -> ConnectCallCoordinator:
    return _entry(call).runtime_data


def _contact(call: ServiceCall) -> Contact:
    """The one contact the name means; translated errors name names, no numbers.

    Every entry's contacts are searched, loaded or not: a contact of an
    account that is not loaded gets that error, not "no such contact".
    """
    name = call.data[ATTR_CONTACT]
    if not isinstance(name, str) or not comparable(name):
        raise _invalid("invalid_contact")
    entries: list[ConnectCallConfigEntry] = (
        [_entry(call)]
        if ATTR_CONFIG_ENTRY_ID in call.data
        else call.hass.config_entries.async_entries(DOMAIN, include_ignore=False)
    )
    found = find_contacts(entries, name)
    if len(found) == 1:
        # Raises the translated "not loaded" error of an account that is not.
        service.async_get_config_entry(call.hass, DOMAIN, found[0].entry.entry_id)
        return found[0]
    if found:
        raise _invalid(
            "ambiguous_contact",
            contact=name,
            choices=", ".join(f"{item.name} ({item.entry.title})" for item in found),
        )
    if not (known := sorted({item.name for item in contacts_of(entries)})):
        raise _invalid("no_contacts")
    raise _invalid("unknown_contact", contact=name, names=", ".join(known))


def contact_dial(contact: Contact, data: dict[str, Any]) -> tuple[DialPlan, bool]:
    """A dial of the contact as it is now: its number, source and mode.

    ``data`` adds what the caller may choose (wait and the bounds).
    """
    saved = contact.subentry.data
    dial = {
        key: data[key]
        for key in (ATTR_WAIT, CONF_RING_TIMEOUT, ATTR_MAX_DURATION)
        if key in data
    }
    dial[ATTR_DESTINATION] = saved[CONF_NUMBER]
    dial |= {key: saved[key] for key in (CONF_SOURCE, CONF_MODE) if saved.get(key)}
    plan, wait = dial_plan(dial, contact.entry)
    return replace(plan, contact=contact.name), wait


def _number(value: object, error: str) -> str:
    """A normalised number, or the field's own translated error.

    One message per field: a field's key is no word in Dutch.
    """
    if isinstance(value, str):
        with contextlib.suppress(InvalidNumberError):
            return normalize_number(value)
    raise _invalid(error)


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
        raise _invalid("invalid_range", field=field, min=str(low), max=str(high))
    return kind(value)


def dial_plan(
    data: dict[str, Any], entry: ConnectCallConfigEntry
) -> tuple[DialPlan, bool]:
    """Check the whole input; a DialPlan only when all of it is valid."""
    raw = data[ATTR_DESTINATION]
    raw_list = raw if isinstance(raw, list) else [raw]
    if not 1 <= len(raw_list) <= MAX_DESTINATIONS:
        raise _invalid("invalid_destinations", max=str(MAX_DESTINATIONS))
    destinations = tuple(_number(value, "invalid_number") for value in raw_list)

    options = entry.options
    source = _number(data.get(CONF_SOURCE, options.get(CONF_SOURCE)), "invalid_source")

    mode_value = data.get(CONF_MODE, options.get(CONF_MODE, DEFAULT_MODE))
    if mode_value not in tuple(CallMode):
        raise _invalid("invalid_mode")
    wait = data.get(ATTR_WAIT, False)
    if not isinstance(wait, bool):
        raise _invalid("invalid_wait")
    ring_timeout = _limited(data, CONF_RING_TIMEOUT, float)
    max_duration = _limited(data, ATTR_MAX_DURATION, float)
    retry_delay = _limited(data, ATTR_RETRY_DELAY, float)
    retry_busy = _limited(data, ATTR_RETRY_BUSY, int) or 0

    if ring_timeout is None and len(destinations) > 1:
        ring_timeout = LIST_RING
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


def _flag(data: dict[str, Any], field: str) -> bool:
    """A boolean field (default false), or its translated error."""
    value = data.get(field, False)
    if not isinstance(value, bool):
        raise _invalid("invalid_flag", field=field)
    return value


async def _async_dial(call: ServiceCall) -> ServiceResponse:
    coordinator = _coordinator(call)
    data = dict(call.data)
    plan, wait = dial_plan(data, coordinator.config_entry)
    keep_active_call = _flag(data, ATTR_KEEP_ACTIVE_CALL)
    respond_on_error = _flag(data, ATTR_RESPOND_ON_ERROR)
    result = DialResult()
    try:
        await coordinator.async_call(
            plan, result, wait=wait, keep_active_call=keep_active_call
        )
    except HomeAssistantError as err:
        # The API's failures only: the input was checked above.
        if not respond_on_error or err.translation_domain != DOMAIN:
            raise
        if result.status is None:
            result.status, result.status_code = (
                coordinator.data.status,
                coordinator.data.code,
            )
        return _response(call, result, wait, err, await _reason(call.hass, err))
    return _response(call, result, wait)


async def _reason(hass: HomeAssistant, err: HomeAssistantError) -> str:
    """The failure in Home Assistant's language: a notification's text.

    (``str(err)`` is always English: it is what the log shows.)
    """
    texts = await translation.async_get_translations(
        hass, hass.config.language, "exceptions", [DOMAIN]
    )
    text = texts.get(f"component.{DOMAIN}.exceptions.{err.translation_key}.message")
    if not text:
        return str(err)
    return text.format(**(err.translation_placeholders or {}))


async def _async_call_contact(call: ServiceCall) -> ServiceResponse:
    contact = _contact(call)
    plan, wait = contact_dial(contact, dict(call.data))
    coordinator: ConnectCallCoordinator = contact.entry.runtime_data
    result = DialResult()
    await coordinator.async_call(plan, result, wait=wait)
    if result.answered_by is not None:
        result.answered_by = contact.name
    return _response(call, result, wait)


def _response(
    call: ServiceCall,
    result: DialResult,
    wait: bool,
    error: HomeAssistantError | None = None,
    reason: str | None = None,
) -> ServiceResponse:
    """What ``dial`` and ``call_contact`` answer (when asked to).

    ``error`` and its ``reason``: the failure ``respond_on_error`` answers
    with (no number or secret is in any of these texts).
    """
    if not call.return_response:
        return None
    attempts: list[JsonValueType] = []
    for index, attempt in enumerate(result.attempts, 1):
        outcome = attempt["outcome"]
        if error is not None and index == len(result.attempts) and outcome is None:
            # The attempt the failure stopped.
            outcome = OUTCOME_ERROR
        attempts.append({"destination": attempt["destination"], "outcome": outcome})
    return {
        "status": result.status,
        "status_code": result.status_code,
        "outcome": OUTCOME_ERROR if error else result.outcome if wait else None,
        "answered_by": result.answered_by,
        "attempts": attempts,
        "skipped": result.skipped,
        "error": reason,
        "error_key": None if error is None else error.translation_key,
    }


async def _async_hang_up(call: ServiceCall) -> None:
    await _coordinator(call).async_hang_up()


async def _async_end_session(call: ServiceCall) -> None:
    await _coordinator(call).async_end_session()


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions (from ``async_setup``: they exist without entries)."""
    handlers: tuple[
        tuple[str, Callable[[ServiceCall], Any], probatio.Schema, SupportsResponse],
        ...,
    ] = (
        (SERVICE_DIAL, _async_dial, DIAL_SCHEMA, SupportsResponse.OPTIONAL),
        (
            SERVICE_CALL_CONTACT,
            _async_call_contact,
            CALL_CONTACT_SCHEMA,
            SupportsResponse.OPTIONAL,
        ),
        (SERVICE_HANG_UP, _async_hang_up, ENTRY_SCHEMA, SupportsResponse.NONE),
        (SERVICE_END_SESSION, _async_end_session, ENTRY_SCHEMA, SupportsResponse.NONE),
    )
    for name, handler, schema, supports_response in handlers:
        hass.services.async_register(
            DOMAIN, name, handler, schema=schema, supports_response=supports_response
        )
