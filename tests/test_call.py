"""A whole call through the sensor, time driven by the freezer."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .conftest import DEST, RunningSimulator, assert_quiet, entity_id_of, state_of, tick


async def test_whole_call_each_state_within_one_poll(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    entity_id = entity_id_of(hass, init_integration, "sensor", "call_status")
    assert state_of(hass, entity_id).state == "idle"
    assert ha_sim.server.count() == 1  # the probe, no call
    response = await hass.services.async_call(
        "connectcall",
        "dial",
        {"destination": DEST},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    assert response["status"] == "source_alerting"
    call = ha_sim.server.calls[-1]
    seen = []
    for second in range(1, 46):
        await tick(hass, freezer)
        state = state_of(hass, entity_id)
        # The sensor shows what the server says at this second: no lag.
        code = call.status(call.started + second)
        assert state.attributes["status_code"] == code
        seen.append(state.state)
    assert seen[:9] == [
        "source_alerting",
        "source_alerting",
        "source_connected",
        "destination_alerting",
        "destination_alerting",
        "destination_alerting",
        "destination_alerting",
        "destination_connected",
        "connected",
    ]
    assert seen[-1] == "destination_ended"
    assert state_of(hass, entity_id).attributes["status_message"] == (
        "Destination number ended the call"
    )
    # One getStatus per second from the dial to the final state, then none.
    assert ha_sim.server.count("getStatus") == 40
    await assert_quiet(hass, freezer, ha_sim, 30)


async def test_poll_interval_option(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    hass.config_entries.async_update_entry(
        init_integration, options=dict(init_integration.options) | {"poll_interval": 3}
    )
    await hass.services.async_call(
        "connectcall", "dial", {"destination": DEST}, blocking=True
    )
    for _ in range(9):
        await tick(hass, freezer)
    assert ha_sim.server.count("getStatus") == 4  # t=0, 3, 6, 9
