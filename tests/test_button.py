"""The hang up button (button.py); contacts' Call buttons: test_contacts.py."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .helpers import (
    RunningSimulator,
    call_status,
    dial,
    entity_id_of,
    state_of,
    tick,
)


async def test_button_available_during_outage_and_hangs_up(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    button = entity_id_of(hass, init_integration, "button", "hang_up")
    await hass.services.async_call(
        "button", "press", {ATTR_ENTITY_ID: button}, blocking=True
    )
    assert ha_sim.server.count() == 1  # no call: nothing sent
    await dial(hass)
    ha_sim.sim.add_fault("http_500")
    await tick(hass, freezer)
    assert call_status(hass, init_integration) == "unavailable"
    assert state_of(hass, button).state != "unavailable"
    await hass.services.async_call(
        "button", "press", {ATTR_ENTITY_ID: button}, blocking=True
    )
    assert ha_sim.server.active_call() is None
    assert call_status(hass, init_integration) == "hung_up"
