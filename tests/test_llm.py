"""The Assist LLM tools: offered per exposed entity, contacts by name only."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.homeassistant.exposed_entities import (
    async_expose_entity,
)
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import entity_registry as er, llm
from homeassistant.setup import async_setup_component
import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.connectcall.api import ConnectCallError
from custom_components.connectcall.llm import async_get_tools

from .helpers import (
    CALL,
    DEST,
    HANG_UP,
    LLM_CONTEXT,
    MUM,
    STATUS,
    ZOE,
    RunningSimulator,
    add_contact,
    button_of,
    call_contact,
    contact_button,
    dial,
    drain,
    entity_id_of,
    expose,
    never_two_at_once,
    our_tools,
    reconfigure_contact,
    run,
    set_aliases,
    tick,
    use,
    while_time_runs,
)


@pytest.fixture
async def entry(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> MockConfigEntry:
    """The account with two contacts, and Assist's LLM API set up."""
    await add_contact(hass, init_integration, name="Mum", number="+31 6 1111 2222")
    await add_contact(hass, init_integration, name="Tante Zoë", number=ZOE)
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "llm", {})
    return init_integration


def expose_all(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    expose(
        hass,
        entity_id_of(hass, entry, "button", "hang_up"),
        entity_id_of(hass, entry, "sensor", "call_status"),
        button_of(hass, entry, "Mum"),
        button_of(hass, entry, "Tante Zoë"),
    )


async def call_waiting(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, contact: str
) -> llm.ToolResult:
    """The call tool (it waits for the outcome) while the clock runs."""
    return await while_time_runs(hass, freezer, use(hass, CALL, contact=contact), 60)


def has_digit(result: llm.ToolResult) -> bool:
    """No phone number in any form: the results carry no digit at all."""
    return any(char.isdigit() for char in json.dumps(result.data, ensure_ascii=False))


def sub_of(entry: MockConfigEntry, name: str) -> str:
    return next(s for s, sub in entry.subentries.items() if sub.title == name)


def status_contact(result: Any) -> Any:
    """The first account's ``contact`` in a status tool result."""
    return result.data["accounts"][0]["contact"]


async def llm_ready(hass: HomeAssistant) -> None:
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "llm", {})


async def test_no_tools_when_nothing_exposed(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    _, tools = await our_tools(hass)
    assert tools == {}
    expose_all(hass, entry)
    _, tools = await our_tools(hass)
    assert set(tools) == {CALL, HANG_UP, STATUS}
    # Only Assist's API gets them, and only with an assistant.
    assert async_get_tools(hass, LLM_CONTEXT, "homeassistant") is None
    no_assistant = llm.LLMContext("test", None, "en", "", None)
    assert async_get_tools(hass, no_assistant, llm.LLM_API_ASSIST) is None


@pytest.mark.parametrize(
    ("platform", "key", "tool"),
    [
        ("button", "hang_up", HANG_UP),
        ("sensor", "call_status", STATUS),
        # Entities with nothing to do with the tools offer none.
        ("binary_sensor", "call_active", None),
        ("sensor", "calls", None),
    ],
)
async def test_each_tool_only_with_its_entity(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    platform: str,
    key: str,
    tool: str | None,
) -> None:
    expose(hass, entity_id_of(hass, entry, platform, key))
    _, tools = await our_tools(hass)
    assert set(tools) == ({tool} if tool else set())


async def test_only_exposed_contacts_callable(
    hass: HomeAssistant, ha_sim: RunningSimulator, entry: MockConfigEntry
) -> None:
    expose(hass, button_of(hass, entry, "Mum"))
    _, tools = await our_tools(hass)
    assert set(tools) == {CALL}
    description = tools[CALL].description or ""
    assert "Mum" in description
    assert "Zoë" not in description
    result = await use(hass, CALL, contact="Tante Zoe")
    assert result.error
    assert result.data["callable_contacts"] == ["Mum"]
    assert not ha_sim.server.calls


async def test_disabled_button_not_callable(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    button = button_of(hass, entry, "Mum")
    expose(hass, button)
    assert button is not None
    er.async_get(hass).async_update_entity(
        button, disabled_by=er.RegistryEntryDisabler.USER
    )
    _, tools = await our_tools(hass)
    assert tools == {}


@pytest.mark.parametrize("said", ["tante zoe", "TANTE  ZOË", "Tante Zoë"])
async def test_call_by_name_rings_that_contact(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    entry: MockConfigEntry,
    said: str,
) -> None:
    expose_all(hass, entry)
    result = await call_waiting(hass, freezer, said)
    assert [call.destination for call in ha_sim.server.calls] == [ZOE]
    assert not result.error
    assert result.data == {"outcome": "answered", "result": "Tante Zoë answered"}


async def test_busy_outcome(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    entry: MockConfigEntry,
) -> None:
    expose_all(hass, entry)
    ha_sim.server.scenarios[MUM] = "busy"
    result = await call_waiting(hass, freezer, "mum")
    assert [call.destination for call in ha_sim.server.calls] == [MUM]
    assert result.data == {"outcome": "busy", "result": "Mum is busy"}


async def test_unknown_name_lists_names_not_numbers(
    hass: HomeAssistant, ha_sim: RunningSimulator, entry: MockConfigEntry
) -> None:
    expose_all(hass, entry)
    result = await use(hass, CALL, contact="Oma")
    assert result.error
    assert result.data["callable_contacts"] == ["Mum", "Tante Zoë"]
    assert not has_digit(result)
    assert not ha_sim.server.calls


async def test_contact_of_the_exposed_account(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    entry: MockConfigEntry,
    bob: MockConfigEntry,
) -> None:
    """Two accounts have a Mum; only bob's is exposed, so bob's rings."""
    await add_contact(hass, bob, name="Mum", number=DEST)
    expose(hass, button_of(hass, bob, "Mum"))
    result = await call_waiting(hass, freezer, "Mum")
    assert result.data["outcome"] == "answered"
    assert [call.destination for call in ha_sim.server.calls] == [DEST]
    # Both exposed: no guess, no call.
    expose(hass, button_of(hass, entry, "Mum"))
    result = await use(hass, CALL, contact="Mum")
    assert result.error
    assert result.data["callable_contacts"] == ["Mum"]
    assert len(ha_sim.server.calls) == 1


async def test_no_number_parameter(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    expose_all(hass, entry)
    _, tools = await our_tools(hass)
    keys = {
        name: [str(key) for key in tool.parameters.schema]
        for name, tool in tools.items()
    }
    assert keys == {CALL: ["contact"], HANG_UP: [], STATUS: []}
    # What a model is shown: a name, and no room for anything else.
    shown = probatio.to_openapi(
        tools[CALL].parameters,
        custom_serializer=llm.selector_serializer,
        openapi_version="3.1.0",
    )
    assert shown["properties"]["contact"]["type"] == "string"
    assert shown["additionalProperties"] is False
    with pytest.raises(probatio.Invalid):
        tools[CALL].parameters({"contact": "Mum", "number": DEST})
    for tool in tools.values():
        assert tool.integration == "connectcall"
        assert not any(char.isdigit() for char in tool.description or "")


async def test_annotations(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    expose_all(hass, entry)
    _, tools = await our_tools(hass)
    for name in (CALL, HANG_UP):
        annotations = tools[name].annotations
        assert not annotations.read_only
        assert not annotations.idempotent
        assert annotations.open_world
    assert tools[STATUS].annotations == llm.ToolAnnotations(
        read_only=True, destructive=False, idempotent=True, open_world=False
    )


async def test_hang_up_ends_call_at_server(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    entry: MockConfigEntry,
) -> None:
    expose(hass, entity_id_of(hass, entry, "button", "hang_up"))
    await dial(hass)
    await tick(hass, freezer)
    assert ha_sim.server.active_call() is not None
    result = await use(hass, HANG_UP)
    assert result.data == {"had_call": True, "result": "The call was hung up"}
    assert ha_sim.server.active_call() is None
    assert ha_sim.server.count("hangUp") == 1
    result = await use(hass, HANG_UP)
    assert result.data == {"had_call": False, "result": "There was no call to hang up"}


async def test_hang_up_goes_on_after_a_failure(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    entry: MockConfigEntry,
    bob: MockConfigEntry,
) -> None:
    """One account's failed hang-up is reported; the other's call still ends."""
    for account, number in ((entry, DEST), (bob, ZOE)):
        expose(hass, entity_id_of(hass, account, "button", "hang_up"))
        await dial(hass, destination=number, config_entry_id=account.entry_id)
    await tick(hass, freezer)
    refused = ConnectCallError("The server could not be reached")
    with patch.object(entry.runtime_data.ending, "async_hang_up", side_effect=refused):
        result = await use(hass, HANG_UP)
    assert result.error
    assert result.data == {"error": "Could not reach the Connect Call API"}
    bobs_call = next(c for c in ha_sim.server.calls if c.destination == ZOE)
    assert not bobs_call.active(ha_sim.server.clock())


@pytest.mark.usefixtures("ha_sim")
async def test_status_names_contact_never_number(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, entry: MockConfigEntry
) -> None:
    expose(hass, entity_id_of(hass, entry, "sensor", "call_status"))
    result = await use(hass, STATUS)
    assert result.data == {
        "accounts": [{"status": "idle", "call_active": False, "contact": None}]
    }
    await dial(hass, destination=ZOE)
    await tick(hass, freezer)
    # A contact this assistant may not call is not named to it...
    result = await use(hass, STATUS)
    assert result.data == {
        "accounts": [
            {"status": "source_alerting", "call_active": True, "contact": None}
        ]
    }
    # ...one it may call is.
    expose(hass, button_of(hass, entry, "Tante Zoë"))
    result = await use(hass, STATUS)
    assert result.data == {
        "accounts": [
            {"status": "source_alerting", "call_active": True, "contact": "Tante Zoë"}
        ]
    }
    assert not has_digit(result)
    await dial(hass, destination=DEST)  # no contact's number
    result = await use(hass, STATUS)
    assert result.data["accounts"] == [
        {"status": "source_alerting", "call_active": True, "contact": None}
    ]
    assert not has_digit(result)


# Concurrency and renames.


async def test_call_tool_twice_at_once_never_rings_two(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Two agents (or a retrying model) call two contacts concurrently: the
    second dial hangs up the first (a dial replaces the call), never two calls up
    at the server; both tools return an outcome and no digit."""
    entry = init_integration
    await add_contact(hass, entry, name="Mum", number=MUM)
    await add_contact(hass, entry, name="Tante Zoë", number=ZOE)
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "llm", {})
    for sub_id in entry.subentries:
        button = contact_button(hass, entry, sub_id)
        assert button is not None
        async_expose_entity(hass, "conversation", button, True)
    context = llm.LLMContext("test", Context(), "en", "conversation", None)
    api = await llm.async_get_api(hass, llm.LLM_API_ASSIST, context)
    up = never_two_at_once(ha_sim)

    async def use(name: str) -> llm.ToolResult:
        tool_input = llm.ToolInput(
            tool_name="connectcall__call_contact", tool_args={"contact": name}
        )
        return await api.async_call_tool(tool_input)

    first = asyncio.create_task(use("Mum"))
    second = asyncio.create_task(use("tante zoe"))
    await drain(hass)
    for _ in range(60):
        if first.done() and second.done():
            break
        await tick(hass, freezer)
    results = [first.result(), second.result()]
    assert max(up) == 1
    assert len(ha_sim.server.calls) == 2
    outcomes = sorted(str(r.data["outcome"]) for r in results)
    assert outcomes == ["answered", "canceled"]
    for result in results:
        assert not any(c.isdigit() for c in json.dumps(result.data, ensure_ascii=False))


@pytest.mark.usefixtures("ha_sim")
async def test_status_tool_names_no_contact_after_a_rename_mid_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """Mum is renamed "Mother" mid-call (same number, same exposed button): the
    status tool then names no contact. The call keeps the name it was dialled by,
    and the tool names only a callable contact of that name, never a guess by
    number, which could name a hidden contact."""
    entry = init_integration
    await add_contact(hass, entry, name="Mum", number=MUM)
    await llm_ready(hass)
    expose(hass, entity_id_of(hass, entry, "sensor", "call_status"))
    expose(hass, button_of(hass, entry, "Mum"))
    await call_contact(hass, contact="Mum")
    await run(hass, freezer, 2)
    result = await use(hass, STATUS)
    assert status_contact(result) == "Mum"
    outcome = await reconfigure_contact(
        hass, entry, sub_of(entry, "Mum"), name="Mother", number=MUM
    )
    assert outcome["reason"] == "reconfigure_successful"
    # Decided: the call keeps the name it was dialled by, and the tool names
    # only a callable contact of that name: after a rename it says null
    # (never a guess by number, which could name a hidden contact).
    result = await use(hass, STATUS)
    assert status_contact(result) is None


@pytest.mark.usefixtures("ha_sim")
async def test_status_tool_never_names_a_hidden_contact_sharing_the_number(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """A plain dial of a number two contacts share: the first one added is
    the call's name; not exposed, it is not named (no fallback that leaks)."""
    entry = init_integration
    await add_contact(hass, entry, name="Geheim", number=MUM)
    await add_contact(hass, entry, name="Mum", number=MUM)
    await llm_ready(hass)
    expose(hass, entity_id_of(hass, entry, "sensor", "call_status"))
    expose(hass, button_of(hass, entry, "Mum"))
    await dial(hass, destination=MUM)
    await run(hass, freezer, 2)
    result = await use(hass, STATUS)
    assert status_contact(result) in (None, "Mum")
    assert "Geheim" not in str(result.data)


async def test_call_tool_knows_the_call_buttons_aliases(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    entry: MockConfigEntry,
) -> None:
    """The model reads each contact's aliases and may call it by one."""
    expose_all(hass, entry)
    set_aliases(hass, entry, "Mum", "mama", "moeder")
    _, tools = await our_tools(hass)
    assert "Mum (also: mama, moeder)" in (tools[CALL].description or "")
    result = await call_waiting(hass, freezer, "Mama")
    assert [call.destination for call in ha_sim.server.calls] == [MUM]
    assert result.data == {"outcome": "answered", "result": "Mum answered"}
