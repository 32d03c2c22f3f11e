"""Ending calls and sessions (ending.py): what each way of ending sends.

The server's side of each: nothing when there is nothing to end, one
``hangUp`` per call, and a shutdown that leaves a call in progress alone.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .helpers import RunningSimulator, commands, dial, since


async def test_hanging_up_with_no_call_sends_nothing(
    hass: HomeAssistant, ha_sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    start = ha_sim.server.count()
    await init_integration.runtime_data.ending.async_hang_up()
    assert since(ha_sim, start) == []


async def test_a_hang_up_is_sent_once_per_call(
    hass: HomeAssistant, ha_sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    ending = init_integration.runtime_data.ending
    await dial(hass)
    await ending.async_hang_up()
    await ending.async_hang_up()
    assert commands(ha_sim).count("hangUp") == 1
    assert ha_sim.server.active_call() is None


async def test_ending_the_session_hangs_up_then_logs_out(
    hass: HomeAssistant, ha_sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    coordinator = init_integration.runtime_data
    await dial(hass)
    start = ha_sim.server.count()
    await coordinator.ending.async_end_session()
    assert since(ha_sim, start) == ["hangUp", "end"]
    assert not coordinator.keeper.is_open
    assert coordinator.data.outcome == "canceled"


async def test_a_shutdown_leaves_a_call_in_progress_alone(
    hass: HomeAssistant, ha_sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    coordinator = init_integration.runtime_data
    await dial(hass)
    start = ha_sim.server.count()
    await coordinator.ending.async_shutdown()
    assert since(ha_sim, start) == []
    assert coordinator.line.stopped
    assert coordinator.keeper.is_open
    assert ha_sim.server.active_call() is not None


async def test_a_shutdown_with_no_call_logs_out(
    hass: HomeAssistant, ha_sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    coordinator = init_integration.runtime_data
    await dial(hass)
    await coordinator.ending.async_hang_up()
    start = ha_sim.server.count()
    await coordinator.ending.async_shutdown()
    assert since(ha_sim, start) == ["end"]
    assert not coordinator.keeper.is_open
