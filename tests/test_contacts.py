"""Quick-dial contacts: subentry flows, their devices and call buttons."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.connectcall.const import DOMAIN

from .conftest import (
    SOURCE,
    RunningSimulator,
    call_status,
    entity_id_of,
    state_of,
)

MUM = "+31 6 1111 2222"


async def add_contact(hass: HomeAssistant, entry: MockConfigEntry, **data: str) -> str:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "contact"), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], data
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result.get("errors")
    await hass.async_block_till_done()
    return next(
        sub_id for sub_id, sub in entry.subentries.items() if sub.title == data["name"]
    )


def contact_button(
    hass: HomeAssistant, entry: MockConfigEntry, subentry_id: str
) -> str | None:
    return er.async_get(hass).async_get_entity_id(
        "button", DOMAIN, f"{entry.entry_id}_{subentry_id}_call"
    )


async def test_add_contact_without_reload(
    hass: HomeAssistant,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    sub_id = await add_contact(hass, init_integration, name="Mum", number=MUM)
    assert init_integration.subentries[sub_id].data == {"number": "+31611112222"}
    button = contact_button(hass, init_integration, sub_id)
    assert button is not None
    assert state_of(hass, button).attributes["friendly_name"] == "Mum Call"
    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, f"{init_integration.entry_id}_{sub_id}"), init_integration.entry_id
    )
    assert device is not None
    assert device.config_subentry_id == sub_id
    assert device.entry_type is dr.DeviceEntryType.SERVICE
    # The account's own device and entities are untouched; nothing reloaded.
    assert call_status(hass, init_integration) == "idle"
    assert [r.command for r in ha_sim.server.requests] == ["login"]


async def test_press_calls_contact(
    hass: HomeAssistant, ha_sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    sub_id = await add_contact(
        hass,
        init_integration,
        name="Door",
        number="0301234567",
        source="0401234567",
        mode="simultaneous",
    )
    plain = await add_contact(hass, init_integration, name="Mum", number=MUM)
    button = contact_button(hass, init_integration, sub_id)
    await hass.services.async_call(
        "button", "press", {ATTR_ENTITY_ID: button}, blocking=True
    )
    call = ha_sim.server.calls[-1]
    assert (call.destination, call.source, call.mode) == ("0301234567", "0401234567", 2)
    button = contact_button(hass, init_integration, plain)
    await hass.services.async_call(
        "button", "press", {ATTR_ENTITY_ID: button}, blocking=True
    )
    call = ha_sim.server.calls[-1]
    assert (call.destination, call.source, call.mode) == ("+31611112222", SOURCE, 1)


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"name": " ", "number": MUM}, {"name": "invalid_name"}),
        ({"name": "X", "number": "06&dest=1"}, {"number": "invalid_number"}),
        ({"name": "X", "number": MUM, "source": "door"}, {"source": "invalid_number"}),
    ],
)
async def test_contact_errors_then_recover(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    data: dict[str, str],
    errors: dict[str, str],
) -> None:
    result = await hass.config_entries.subentries.async_init(
        (init_integration.entry_id, "contact"), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], data
    )
    assert result["errors"] == errors
    assert not init_integration.subentries
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "X", "number": MUM}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_names_must_tell_contacts_apart(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The flow compares names as call_contact does (case, accents, spaces)."""
    await add_contact(hass, init_integration, name="Tante Zoë", number=MUM)
    sub_id = await add_contact(hass, init_integration, name="Mum", number=MUM)
    result = await hass.config_entries.subentries.async_init(
        (init_integration.entry_id, "contact"), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "tantezoe", "number": "0622223333"}
    )
    assert result["errors"] == {"name": "name_exists"}
    # An edit may keep the contact's own name, not take another's.
    result = await hass.config_entries.subentries.async_init(
        (init_integration.entry_id, "contact"),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": sub_id},
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "TANTE ZOE", "number": MUM}
    )
    assert result["errors"] == {"name": "name_exists"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "MUM", "number": MUM}
    )
    assert result["type"] is FlowResultType.ABORT
    assert sorted(sub.title for sub in init_integration.subentries.values()) == [
        "MUM",
        "Tante Zoë",
    ]


async def test_edit_contact(
    hass: HomeAssistant,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    sub_id = await add_contact(hass, init_integration, name="Mum", number=MUM)
    result = await hass.config_entries.subentries.async_init(
        (init_integration.entry_id, "contact"),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": sub_id},
    )
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Mother", "number": "bad"}
    )
    assert result["errors"] == {"number": "invalid_number"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Mother", "number": "0622223333"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, f"{init_integration.entry_id}_{sub_id}"), init_integration.entry_id
    )
    assert device is not None
    assert device.name == "Mother"
    button = contact_button(hass, init_integration, sub_id)
    await hass.services.async_call(
        "button", "press", {ATTR_ENTITY_ID: button}, blocking=True
    )
    assert ha_sim.server.calls[-1].destination == "0622223333"


async def test_remove_contact_keeps_account(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    sub_id = await add_contact(hass, init_integration, name="Mum", number=MUM)
    other = await add_contact(hass, init_integration, name="Dad", number="0633334444")
    button = contact_button(hass, init_integration, sub_id)
    assert button is not None
    hass.config_entries.async_remove_subentry(init_integration, sub_id)
    await hass.async_block_till_done()
    assert contact_button(hass, init_integration, sub_id) is None
    assert hass.states.get(button) is None
    assert (
        device_registry.async_get_device_by_identifier(
            (DOMAIN, f"{init_integration.entry_id}_{sub_id}"), init_integration.entry_id
        )
        is None
    )
    assert contact_button(hass, init_integration, other) is not None
    for key, platform in (
        ("call_status", "sensor"),
        ("call_active", "binary_sensor"),
        ("hang_up", "button"),
        ("call", "event"),
    ):
        entity_id_of(hass, init_integration, platform, key)
    account = device_registry.async_get_device_by_identifier(
        (DOMAIN, init_integration.entry_id), init_integration.entry_id
    )
    assert account is not None
    assert account.config_subentry_id is None
    # Re-adding after a reload: contacts come back from the entry.
    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert contact_button(hass, init_integration, other) is not None
