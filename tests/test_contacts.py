"""Quick-dial contacts: subentry flows, their devices and call buttons."""

from __future__ import annotations

from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.connectcall.const import DOMAIN

from .helpers import (
    MUM,
    MUM_AS_TYPED,
    SOURCE,
    ZOE,
    B,
    RunningSimulator,
    add_contact,
    call_contact,
    call_status,
    calls_placed,
    contact_button,
    entity_id_of,
    reconfigure_contact,
    state_of,
    try_add_contact,
)


@pytest.fixture
async def mum(hass: HomeAssistant, init_integration: MockConfigEntry) -> str:
    """Mum, a contact of the account as the user typed her number; her
    subentry ID."""
    return await add_contact(hass, init_integration, name="Mum", number=MUM_AS_TYPED)


async def test_add_contact_without_reload(
    hass: HomeAssistant,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    mum: str,
) -> None:
    assert init_integration.subentries[mum].data == {"number": "+31611112222"}
    button = contact_button(hass, init_integration, mum)
    assert button is not None
    assert state_of(hass, button).attributes["friendly_name"] == "Mum Call"
    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, f"{init_integration.entry_id}_{mum}"), init_integration.entry_id
    )
    assert device is not None
    assert device.config_subentry_id == mum
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
    plain = await add_contact(hass, init_integration, name="Mum", number=MUM_AS_TYPED)
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
        ({"name": " ", "number": MUM_AS_TYPED}, {"name": "invalid_name"}),
        ({"name": "X", "number": "06&dest=1"}, {"number": "invalid_number"}),
        (
            {"name": "X", "number": MUM_AS_TYPED, "source": "door"},
            {"source": "invalid_number"},
        ),
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
        result["flow_id"], {"name": "X", "number": MUM_AS_TYPED}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_names_must_tell_contacts_apart(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The flow compares names as call_contact does (case, accents, spaces)."""
    await add_contact(hass, init_integration, name="Tante Zoë", number=MUM_AS_TYPED)
    sub_id = await add_contact(hass, init_integration, name="Mum", number=MUM_AS_TYPED)
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
        result["flow_id"], {"name": "TANTE ZOE", "number": MUM_AS_TYPED}
    )
    assert result["errors"] == {"name": "name_exists"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "MUM", "number": MUM_AS_TYPED}
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
    mum: str,
) -> None:
    result = await hass.config_entries.subentries.async_init(
        (init_integration.entry_id, "contact"),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": mum},
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
        (DOMAIN, f"{init_integration.entry_id}_{mum}"), init_integration.entry_id
    )
    assert device is not None
    assert device.name == "Mother"
    button = contact_button(hass, init_integration, mum)
    await hass.services.async_call(
        "button", "press", {ATTR_ENTITY_ID: button}, blocking=True
    )
    assert ha_sim.server.calls[-1].destination == "0622223333"


@pytest.mark.usefixtures("freezer", "ha_sim")
async def test_remove_contact_keeps_account(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    mum: str,
) -> None:
    other = await add_contact(hass, init_integration, name="Dad", number="0633334444")
    button = contact_button(hass, init_integration, mum)
    assert button is not None
    hass.config_entries.async_remove_subentry(init_integration, mum)
    await hass.async_block_till_done()
    assert contact_button(hass, init_integration, mum) is None
    assert hass.states.get(button) is None
    assert (
        device_registry.async_get_device_by_identifier(
            (DOMAIN, f"{init_integration.entry_id}_{mum}"), init_integration.entry_id
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


# Names the flow refuses: every contact it accepts can be called by name.


async def test_every_contact_the_flow_accepts_is_callable_by_name(
    hass: HomeAssistant,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The flow refuses (``name_exists``) a name that compares equal to another
    contact's of the account, e.g. "Zoe" next to "Zoë": ``call_contact`` compares
    names without case, accents or spaces, so every contact the flow accepts stays
    callable by name, also from Assist."""
    assert await try_add_contact(hass, init_integration, name="Zoë", number=ZOE)
    second = await try_add_contact(hass, init_integration, name="Zoe", number=MUM)
    # Refused (name_exists): every contact the flow accepted stays callable.
    assert not second
    await call_contact(hass, contact="zoe")
    assert calls_placed(ha_sim) == [ZOE]


@pytest.mark.parametrize(
    "name",
    [
        "\u0301",  # a combining mark alone: comparable() is ""
        "\u0301\u0308",
        "\u200b",  # zero width space: not str.isspace(), not stripped
        "\u2060",  # word joiner
    ],
)
@pytest.mark.usefixtures("ha_sim")
async def test_flow_refuses_a_name_with_nothing_to_say(
    hass: HomeAssistant, init_integration: MockConfigEntry, name: str
) -> None:
    """The flow refuses a name with no letter or digit once compared: combining
    marks alone, or an invisible format character that ``strip()`` keeps. No one
    could see or say such a contact, and a combining-only name would match any
    other combining-only input."""
    assert not await try_add_contact(hass, init_integration, name=name, number=MUM)


@pytest.mark.usefixtures("ha_sim")
async def test_flow_refuses_a_name_differing_only_by_an_invisible_character(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The flow refuses "Mum" + ZERO WIDTH SPACE next to "Mum": they look and sound
    the same (in the UI, in the call tool's list for an agent, by voice), so only
    one of them could ever be reached."""
    await add_contact(hass, init_integration, name="Mum", number=MUM)
    assert not await try_add_contact(
        hass, init_integration, name="Mu\u200bm", number=ZOE
    )


@pytest.mark.parametrize(
    "name",
    [
        "\uff4d\uff55\uff4d",  # fullwidth "mum"
        "M\u0303um",
        "mum\u00a0",
        "MUM",
        " m u m ",
        "\uff2d\uff55\uff4d\u3000",
    ],
)
@pytest.mark.usefixtures("ha_sim")
async def test_flow_refuses_compatibility_forms_of_a_name(
    hass: HomeAssistant, init_integration: MockConfigEntry, name: str
) -> None:
    await add_contact(hass, init_integration, name="Mum", number=MUM)
    assert not await try_add_contact(hass, init_integration, name=name, number=ZOE)


@pytest.mark.usefixtures("ha_sim")
async def test_flow_refuses_ligature_forms(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    await add_contact(hass, init_integration, name="Jeff", number=MUM)
    assert not await try_add_contact(
        hass, init_integration, name="Je\ufb00", number=ZOE
    )
    await add_contact(hass, init_integration, name="Strauß", number=ZOE)
    assert not await try_add_contact(hass, init_integration, name="STRAUSS", number=B)


@pytest.mark.usefixtures("ha_sim")
async def test_reconfigure_keeps_or_recases_its_own_name_never_anothers(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    entry = init_integration
    mum = await add_contact(hass, entry, name="Mum", number=MUM)
    zoe = await add_contact(hass, entry, name="Zoë", number=ZOE)
    for name in ("Mum", "MUM ", "Mùm"):
        result = await reconfigure_contact(hass, entry, mum, name=name, number=MUM)
        assert result["reason"] == "reconfigure_successful", name
    # Taking the other's name is refused, in any spelling; a swap goes
    # through a third name.
    for name in ("Zoë", "zoe", "\uff3a\uff4f\uff45", "Z o e"):
        result = await reconfigure_contact(hass, entry, mum, name=name, number=MUM)
        assert result["errors"] == {"name": "name_exists"}, name
    assert (await reconfigure_contact(hass, entry, mum, name="x", number=MUM))[
        "reason"
    ] == "reconfigure_successful"
    assert (await reconfigure_contact(hass, entry, zoe, name="Mùm", number=ZOE))[
        "reason"
    ] == "reconfigure_successful"
