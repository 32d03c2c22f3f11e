"""Assist LLM tools: call a quick-dial contact, hang up, read the call status.

An assistant gets only what the user exposed to it: a contact's call button
makes that contact callable, the hang-up button the hanging up, the
call-status sensor the status. It never gets a free number to dial, and no
result carries a phone number: the model only ever sees contact names.
"""

from __future__ import annotations

from typing import Final, override

from homeassistant.components.homeassistant.exposed_entities import async_should_expose
from homeassistant.components.llm import LLMTools
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import config_validation as cv, entity_registry as er
from homeassistant.helpers.llm import (
    LLM_API_ASSIST,
    LLMContext,
    Tool,
    ToolAnnotations,
    ToolInput,
    ToolResult,
)
from homeassistant.util.json import JsonValueType
import probatio

from .codes import (
    OUTCOME_ANSWERED,
    OUTCOME_BUSY,
    OUTCOME_CANCELED,
    OUTCOME_FAILED,
    OUTCOME_NO_ANSWER,
    OUTCOME_REJECTED,
)
from .const import ATTR_CONFIG_ENTRY_ID, ATTR_CONTACT, ATTR_WAIT, DOMAIN
from .contacts import Contact, contacts_of, find_contacts
from .coordinator import ConnectCallConfigEntry
from .services import SERVICE_CALL_CONTACT, SERVICE_HANG_UP

# What the model reads after a waiting call (every outcome `wait` gives).
OUTCOME_TEXT: Final[dict[str, str]] = {
    OUTCOME_ANSWERED: "{name} answered",
    OUTCOME_BUSY: "{name} is busy",
    OUTCOME_NO_ANSWER: "{name} did not answer",
    OUTCOME_REJECTED: "{name} declined the call",
    OUTCOME_CANCELED: "The call to {name} ended before it was answered",
    OUTCOME_FAILED: "The call to {name} failed",
}


@callback
def _exposed(
    hass: HomeAssistant, assistant: str, platform: str, unique_id: str
) -> bool:
    """The entity exists, is enabled and is exposed to the assistant.

    Found by unique ID: entity IDs follow the user's language and renames.
    A disabled entity is left out: the exposure page no longer shows it.
    """
    registry = er.async_get(hass)
    entity_id = registry.async_get_entity_id(platform, DOMAIN, unique_id)
    entity = registry.async_get(entity_id) if entity_id else None
    return (
        entity is not None
        and not entity.disabled
        and async_should_expose(hass, assistant, entity.entity_id)
    )


@callback
def _entries(hass: HomeAssistant) -> list[ConnectCallConfigEntry]:
    return hass.config_entries.async_loaded_entries(DOMAIN)


@callback
def _callable(hass: HomeAssistant, assistant: str, contact: Contact) -> bool:
    return _exposed(hass, assistant, "button", contact.button_unique_id)


@callback
def _callable_names(
    hass: HomeAssistant, assistant: str, *, with_aliases: bool = False
) -> list[str]:
    """The names of the contacts the assistant may call ("Mum (also: mama)")."""
    names: set[str] = set()
    for contact in contacts_of(_entries(hass)):
        if not _callable(hass, assistant, contact):
            continue
        aliases = contact.aliases(hass) if with_aliases else []
        also = f" (also: {', '.join(aliases)})" if aliases else ""
        names.add(f"{contact.name}{also}")
    return sorted(names)


@callback
def _accounts(
    hass: HomeAssistant, assistant: str, platform: str, key: str
) -> list[ConnectCallConfigEntry]:
    """The loaded accounts whose entity ``key`` is exposed."""
    return [
        entry
        for entry in _entries(hass)
        if _exposed(hass, assistant, platform, f"{entry.entry_id}_{key}")
    ]


class CallContactTool(Tool):
    """Rings one exposed quick-dial contact and waits for the outcome."""

    name = "connectcall__call_contact"
    title = "Call a contact"
    # Placing a call first hangs up the account's current call (destructive),
    # rings someone's phone (open world) and rings again when repeated.
    annotations = ToolAnnotations(read_only=False, idempotent=False)
    integration = DOMAIN

    def __init__(self, names: list[str]) -> None:
        """The description names the callable contacts, so the model knows them."""
        known = "; ".join(names)
        self.description = (
            "Calls one of the user's quick-dial contacts by name: the call "
            "connects the user's phone with the contact's, and this waits until "
            "the contact answers or the call fails. Only these contacts can be "
            f"called: {known}."
        )
        self.parameters = probatio.Schema(
            {
                probatio.Required(
                    ATTR_CONTACT, description=f"The contact's name, one of: {known}"
                ): cv.string,
            }
        )

    @override
    async def async_call(
        self, hass: HomeAssistant, tool_input: ToolInput, llm_context: LLMContext
    ) -> ToolResult:
        """Call the one exposed contact the name means."""
        said: str = self.parameters(tool_input.tool_args)[ATTR_CONTACT]
        assistant = llm_context.assistant
        # Checked again at the call: a contact may be gone or hidden since.
        found = [
            contact
            for contact in find_contacts(_entries(hass), said, hass)
            if _callable(hass, assistant, contact)
        ]
        if len(found) != 1:
            # Never a guess when a phone would ring: names to choose from.
            problem = (
                "More than one contact has this name"
                if found
                else "No contact by this name can be called"
            )
            names: list[JsonValueType] = list(_callable_names(hass, assistant))
            return ToolResult(
                data={"error": problem, "callable_contacts": names}, error=True
            )
        contact = found[0]
        response = await hass.services.async_call(
            DOMAIN,
            SERVICE_CALL_CONTACT,
            {
                ATTR_CONTACT: contact.name,
                ATTR_CONFIG_ENTRY_ID: contact.entry.entry_id,
                ATTR_WAIT: True,
            },
            blocking=True,
            return_response=True,
            context=llm_context.context,
        )
        # Asked for, a response always comes; with wait, `outcome` is always
        # one of OUTCOME_TEXT's keys.
        assert response is not None
        outcome = str(response["outcome"])
        return ToolResult(
            data={
                "outcome": outcome,
                "result": OUTCOME_TEXT[outcome].format(name=contact.name),
            }
        )


class HangUpTool(Tool):
    """Hangs up the current call of every account whose hang-up is exposed."""

    name = "connectcall__hang_up"
    title = "Hang up"
    description = "Hangs up the user's current phone call, if there is one."
    # It ends whatever call is current, not one the model saw: a repeat can
    # end a call placed since (not idempotent), with someone on the line.
    annotations = ToolAnnotations(read_only=False, idempotent=False)
    integration = DOMAIN

    @override
    async def async_call(
        self, hass: HomeAssistant, tool_input: ToolInput, llm_context: LLMContext
    ) -> ToolResult:
        """Hang up on each exposed account; one failure does not stop the rest."""
        had_call = False
        errors: list[str] = []
        for entry in _accounts(hass, llm_context.assistant, "button", "hang_up"):
            had_call |= entry.runtime_data.data.active
            try:
                await hass.services.async_call(
                    DOMAIN,
                    SERVICE_HANG_UP,
                    {ATTR_CONFIG_ENTRY_ID: entry.entry_id},
                    blocking=True,
                    context=llm_context.context,
                )
            except HomeAssistantError as err:
                errors.append(str(err))
        if errors:
            return ToolResult(data={"error": "; ".join(errors)}, error=True)
        return ToolResult(
            data={
                "had_call": had_call,
                "result": "The call was hung up"
                if had_call
                else "There was no call to hang up",
            }
        )


class CallStatusTool(Tool):
    """The call status of each account whose call-status sensor is exposed."""

    name = "connectcall__call_status"
    title = "Call status"
    description = (
        "Tells whether the user is in a phone call, its status, and which "
        "quick-dial contact the current or last call was with (null: no call "
        "yet, or not a contact you can call)."
    )
    # Reads what the integration already knows: no request to the server.
    annotations = ToolAnnotations(
        read_only=True, destructive=False, idempotent=True, open_world=False
    )
    integration = DOMAIN

    @override
    async def async_call(
        self, hass: HomeAssistant, tool_input: ToolInput, llm_context: LLMContext
    ) -> ToolResult:
        """One item per exposed account; a contact's name, never a number.

        Only a contact this assistant may call is named: another's name is
        not the assistant's to know.
        """
        assistant = llm_context.assistant
        accounts: list[JsonValueType] = []
        for entry in _accounts(hass, assistant, "sensor", "call_status"):
            data = entry.runtime_data.data
            named = data.contact is not None and any(
                _callable(hass, assistant, contact)
                for contact in find_contacts([entry], data.contact)
            )
            accounts.append(
                {
                    "status": data.status,
                    "call_active": data.active,
                    "contact": data.contact if named else None,
                }
            )
        return ToolResult(data={"accounts": accounts})


@callback
def async_get_tools(
    hass: HomeAssistant, llm_context: LLMContext, api_id: str
) -> LLMTools | None:
    """Each tool only when an entity it stands for is exposed to the assistant."""
    if api_id != LLM_API_ASSIST or not llm_context.assistant:
        return None
    assistant = llm_context.assistant
    tools: list[Tool] = []
    if names := _callable_names(hass, assistant, with_aliases=True):
        tools.append(CallContactTool(names))
    if _accounts(hass, assistant, "button", "hang_up"):
        tools.append(HangUpTool())
    if _accounts(hass, assistant, "sensor", "call_status"):
        tools.append(CallStatusTool())
    return LLMTools(tools=tools) if tools else None
