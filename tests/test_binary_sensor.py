"""The call active binary sensor (binary_sensor.py)."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .helpers import (
    RunningSimulator,
    dial_scenario,
    entity_id_of,
    state_of,
    tick,
)


async def test_binary_sensor_follows_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    active = entity_id_of(hass, init_integration, "binary_sensor", "call_active")
    assert state_of(hass, active).state == "off"
    await dial_scenario(hass, ha_sim, "busy")
    assert state_of(hass, active).state == "on"
    for _ in range(4):
        await tick(hass, freezer)
        assert state_of(hass, active).state == "on"
    await tick(hass, freezer)
    assert state_of(hass, active).state == "off"
