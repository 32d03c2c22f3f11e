"""The call status sensor (sensor.py): a whole call through it, time driven
by the freezer. The Calls and Talk time sensors: test_statistics.py."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .helpers import (
    DEST,
    RunningSimulator,
    assert_quiet,
    entity_id_of,
    request_times,
    state_of,
    tick,
)


async def test_whole_call_each_state_at_its_cadence(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Every state while it rings; the end of a quiet talk within 3 s."""
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
        if second <= 11:
            # Ringing and just answered: what the server says at this second.
            assert state.attributes["status_code"] == call.status(call.started + second)
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
    # The destination hangs up at 39 s; polled every 3 s, it shows at 41 s.
    assert seen[37:41] == ["connected", "connected", "connected", "destination_ended"]
    assert state_of(hass, entity_id).attributes["status_message"] == (
        "Destination number ended the call"
    )
    # Fast (every 0.5 s, on these 1 s ticks every tick) from the dial until
    # 2 s after the answer's last change (9 at 9 s), then every 3 s; none after.
    assert request_times(ha_sim) == [*range(12), *range(14, 42, 3)]
    await assert_quiet(hass, freezer, ha_sim, 30)
