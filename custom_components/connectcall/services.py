"""The actions: dial, call_contact, hang_up, end_session.

Every input is checked in the handler, so a mistake reaches the user as a
translated message (a schema error would reach them as a bare 400), and
nothing is sent to the API unless the whole input is valid.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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

from .codes import OUTCOME_ERROR
from .const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_CONTACT,
    ATTR_DESTINATION,
    ATTR_KEEP_ACTIVE_CALL,
    ATTR_MAX_DURATION,
    ATTR_RESPOND_ON_ERROR,
    ATTR_RETRY_BUSY,
    ATTR_RETRY_DELAY,
    ATTR_WAIT,
    CONF_MODE,
    CONF_RING_TIMEOUT,
    CONF_SOURCE,
    DOMAIN,
)
from .contacts import Contact, comparable, contacts_of, find_contacts
from .coordinator import ConnectCallConfigEntry, ConnectCallCoordinator
from .errors import action_errors, input_errors, invalid_input
from .plans import DialPlan, build_plan, checked_flag, contact_plan
from .runner import DialResult

SERVICE_DIAL = "dial"
SERVICE_CALL_CONTACT = "call_contact"
SERVICE_HANG_UP = "hang_up"
SERVICE_END_SESSION = "end_session"

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
        probatio.Optional(ATTR_KEEP_ACTIVE_CALL): _ANY,
        probatio.Optional(ATTR_RESPOND_ON_ERROR): _ANY,
    }
)
ENTRY_SCHEMA = probatio.Schema({probatio.Optional(ATTR_CONFIG_ENTRY_ID): _ANY})


def _entry(call: ServiceCall) -> ConnectCallConfigEntry:
    entry_id = call.data.get(ATTR_CONFIG_ENTRY_ID)
    if entry_id is not None and not isinstance(entry_id, str):
        raise invalid_input("invalid_config_entry")
    entry: ConnectCallConfigEntry = service.async_get_config_entry(
        call.hass, DOMAIN, entry_id
    )
    return entry


def _coordinator(call: ServiceCall) -> ConnectCallCoordinator:
    return _entry(call).runtime_data


def _contact(call: ServiceCall) -> Contact:
    """The one contact the name means; translated errors name names, no numbers.

    Every entry's contacts are searched, loaded or not: a contact of an
    account that is not loaded is found (the caller says it is not loaded),
    never "no such contact".
    """
    name = call.data[ATTR_CONTACT]
    if not isinstance(name, str) or not comparable(name):
        raise invalid_input("invalid_contact")
    entries: list[ConnectCallConfigEntry] = (
        [_entry(call)]
        if ATTR_CONFIG_ENTRY_ID in call.data
        else call.hass.config_entries.async_entries(DOMAIN, include_ignore=False)
    )
    found = find_contacts(entries, name, call.hass)
    if len(found) == 1:
        return found[0]
    if found:
        raise invalid_input(
            "ambiguous_contact",
            contact=name,
            choices=", ".join(f"{item.name} ({item.entry.title})" for item in found),
        )
    if not (known := sorted({item.name for item in contacts_of(entries)})):
        raise invalid_input("no_contacts")
    raise invalid_input("unknown_contact", contact=name, names=", ".join(known))


async def _async_dial(call: ServiceCall) -> ServiceResponse:
    coordinator = _coordinator(call)
    data = dict(call.data)
    with input_errors():
        plan, wait = build_plan(data, coordinator.config_entry.options)
        keep_active_call = checked_flag(data, ATTR_KEEP_ACTIVE_CALL)
        respond_on_error = checked_flag(data, ATTR_RESPOND_ON_ERROR)
    return await _async_run(
        call,
        coordinator,
        plan,
        wait,
        keep_active_call=keep_active_call,
        respond_on_error=respond_on_error,
    )


async def _async_run(
    call: ServiceCall,
    coordinator: ConnectCallCoordinator,
    plan: DialPlan,
    wait: bool,
    *,
    keep_active_call: bool,
    respond_on_error: bool,
) -> ServiceResponse:
    """Run a checked plan; with respond_on_error an API failure is a response."""
    result = DialResult()
    try:
        with action_errors(call.hass, coordinator.config_entry):
            await coordinator.plans.async_run(
                plan, result, wait=wait, keep_active_call=keep_active_call
            )
    except HomeAssistantError as err:
        # The API's failures only: the input was checked before.
        if not respond_on_error or err.translation_domain != DOMAIN:
            raise
        if result.status is None:
            result.status, result.status_code = (
                coordinator.data.status,
                coordinator.data.code,
            )
        return _response(
            call, plan, result, wait, error=err, reason=await _reason(call.hass, err)
        )
    return _response(call, plan, result, wait)


async def _reason(hass: HomeAssistant, err: HomeAssistantError) -> str:
    """The failure in Home Assistant's language: a notification's text.

    (``str(err)`` is always English: it is what the log shows.)
    """
    domain = err.translation_domain or DOMAIN
    texts = await translation.async_get_translations(
        hass, hass.config.language, "exceptions", [domain]
    )
    text = texts.get(f"component.{domain}.exceptions.{err.translation_key}.message")
    if not text:
        return str(err)
    return text.format(**(err.translation_placeholders or {}))


async def _async_call_contact(call: ServiceCall) -> ServiceResponse:
    contact = _contact(call)
    data = dict(call.data)
    with input_errors():
        plan, wait = contact_plan(contact, data)
        keep_active_call = checked_flag(data, ATTR_KEEP_ACTIVE_CALL)
        respond_on_error = checked_flag(data, ATTR_RESPOND_ON_ERROR)
    try:
        # The translated "not loaded" error of an account that is not.
        entry: ConnectCallConfigEntry = service.async_get_config_entry(
            call.hass, DOMAIN, contact.entry.entry_id
        )
    except ServiceValidationError as err:
        if not respond_on_error:
            raise
        # A known contact that cannot be called now: no input error.
        reason = await _reason(call.hass, err)
        return _response(call, plan, DialResult(), wait, error=err, reason=reason)
    return await _async_run(
        call,
        entry.runtime_data,
        plan,
        wait,
        keep_active_call=keep_active_call,
        respond_on_error=respond_on_error,
    )


def _response(
    call: ServiceCall,
    plan: DialPlan,
    result: DialResult,
    wait: bool,
    *,
    error: HomeAssistantError | None = None,
    reason: str | None = None,
) -> ServiceResponse:
    """What ``dial`` and ``call_contact`` answer (when asked to).

    ``error`` and its ``reason``: the failure ``respond_on_error`` answers
    with (no number or secret is in any of these texts). A contact's call
    names the contact: ``answered_by`` and ``contact``.
    """
    if not call.return_response:
        return None
    answered_by = result.answered_by
    if plan.contact is not None and answered_by is not None:
        answered_by = plan.contact
    attempts: list[JsonValueType] = []
    for index, attempt in enumerate(result.attempts, 1):
        outcome = attempt["outcome"]
        if error is not None and index == len(result.attempts) and outcome is None:
            # The attempt the failure stopped.
            outcome = OUTCOME_ERROR
        attempts.append({"destination": attempt["destination"], "outcome": outcome})
    held_by: JsonValueType = None
    if (holder := result.held_by) is not None:
        held_by = {
            "destination": holder.destination,
            "contact": holder.contact,
            "same_dial": holder.same_dial,
        }
    response: dict[str, JsonValueType] = {
        "status": result.status,
        "status_code": result.status_code,
        "outcome": OUTCOME_ERROR
        if error
        else result.outcome
        if wait or result.skipped
        else None,
        "answered_by": answered_by,
        "attempts": attempts,
        "skipped": result.skipped,
        "held_by": held_by,
        "error": reason,
        "error_key": None if error is None else error.translation_key,
    }
    if plan.contact is not None:
        response["contact"] = plan.contact
    return response


async def _async_hang_up(call: ServiceCall) -> None:
    coordinator = _coordinator(call)
    with action_errors(call.hass, coordinator.config_entry):
        await coordinator.ending.async_hang_up()


async def _async_end_session(call: ServiceCall) -> None:
    coordinator = _coordinator(call)
    with action_errors(call.hass, coordinator.config_entry):
        await coordinator.ending.async_end_session()


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
