"""What a trigger's or condition's target picks: a contact is one account's calls.

A contact belongs to an account: another account's call to the same number
(a second business line ringing Mum) is not hers, or a "Mum answered"
automation runs for a call the household never placed to her.
"""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .helpers import (
    MUM,
    RunningSimulator,
    add_contact,
    add_second_account,
    check,
    device_of,
    dial,
    dial_scenario,
    ran,
    run,
    set_up_automations,
)


async def test_another_account_s_call_to_a_contact_s_number_is_not_the_contact_s(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Mum is a contact of the first account; the second account dials her
    number: her trigger, "call active" and "last call outcome" stay still.
    The first account's call to her moves all three."""
    mum = await add_contact(hass, init_integration, name="Mum", number=MUM)
    other = await add_second_account(hass, ha_sim, init_integration)
    target = {"device_id": device_of(hass, init_integration, mum)}
    runs = await set_up_automations(
        hass,
        {
            "started": {
                "triggers": [{"trigger": "connectcall.call_started", "target": target}]
            },
            "active": {
                "conditions": [
                    {"condition": "connectcall.call_active", "target": target}
                ]
            },
            "answered": {
                "conditions": [
                    {
                        "condition": "connectcall.last_call_outcome",
                        "target": target,
                        "options": {"outcome": ["answered"]},
                    }
                ]
            },
        },
    )
    await dial_scenario(
        hass, ha_sim, "answered", config_entry_id=other.entry_id, destination=MUM
    )
    await run(hass, freezer, 12)
    assert ha_sim.server.active_call() is not None
    assert ran(runs, "started") == []
    assert not await check(hass, runs, "active")
    await run(hass, freezer, 40)
    assert not await check(hass, runs, "answered")
    await dial(hass, config_entry_id=init_integration.entry_id, destination=MUM)
    await run(hass, freezer, 12)
    assert len(ran(runs, "started")) == 1
    assert await check(hass, runs, "active")
    await run(hass, freezer, 40)
    assert await check(hass, runs, "answered")
