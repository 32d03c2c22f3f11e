"""A whole call through the sensor, time driven by the freezer."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from .conftest import DEST, RunningSimulator

pytestmark = pytest.mark.usefixtures("init_integration")


def _status_entity(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    registry = er.async_get(hass)
    entity_id = registry.async_get_entity_id(
        "sensor", "connectcall", f"{entry.entry_id}_call_status"
    )
    assert entity_id
    return entity_id


async def _tick(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float = 1
) -> None:
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def test_whole_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    entity_id = _status_entity(hass, init_integration)
    assert hass.states.get(entity_id).state == "idle"
    assert ha_sim.server.count() == 1  # the probe, no call
    response = await hass.services.async_call(
        "connectcall",
        "dial",
        {"destination": DEST},
        blocking=True,
        return_response=True,
    )
    assert response["status"] == "source_alerting"
    assert hass.states.get(entity_id).state == "source_alerting"
    seen = []
    for _ in range(45):
        await _tick(hass, freezer)
        seen.append(hass.states.get(entity_id).state)
    assert seen[:10] == ["source_alerting"] * 2 + [
        "source_connected",
        "destination_alerting",
    ] + ["destination_alerting"] * 3 + [
        "destination_connected",
        "connected",
        "connected",
    ]
    assert seen[-1] == "destination_ended"
    requests = ha_sim.server.count()
    for _ in range(20):
        await _tick(hass, freezer)
    assert ha_sim.server.count() == requests  # nothing outside calls
