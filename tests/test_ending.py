"""Ending calls and sessions (ending.py): what each way of ending sends.

The server's side of each: nothing when there is nothing to end, one
``hangUp`` per call, and a shutdown that leaves a call in progress alone.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
import pytest
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


@pytest.mark.parametrize(
    ("call_up", "action", "sent"),
    [
        pytest.param(True, "async_end_session", ["hangUp", "end"], id="end_session"),
        pytest.param(True, "async_shutdown", [], id="shutdown_during_a_call"),
        pytest.param(False, "async_shutdown", ["end"], id="shutdown_without_a_call"),
    ],
)
async def test_ending_logs_out_and_a_shutdown_leaves_a_call_alone(
    hass: HomeAssistant,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    call_up: bool,
    action: str,
    sent: list[str],
) -> None:
    """Ending the session hangs up, then logs out. A shutdown logs out too,
    but leaves a call in progress and its session alone: the next start
    finds the call again."""
    coordinator = init_integration.runtime_data
    await dial(hass)
    if not call_up:
        await coordinator.ending.async_hang_up()
    start = ha_sim.server.count()
    await getattr(coordinator.ending, action)()
    assert since(ha_sim, start) == sent
    left_alone = not sent
    assert coordinator.keeper.is_open is left_alone
    assert (ha_sim.server.active_call() is not None) is left_alone
    assert coordinator.line.stopped is (action == "async_shutdown")
    if call_up and not left_alone:
        assert coordinator.data.outcome == "canceled"
