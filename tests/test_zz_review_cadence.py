"""Hostile review of the cadence change (4d1b580): failing demonstrations."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .conftest import RunningSimulator, tick
from .helpers import dial


def times(sim: RunningSimulator, command: str = "getStatus") -> list[float]:
    started = sim.server.calls[-1].started
    return [
        round(r.at - started, 2) for r in sim.server.requests if r.command == command
    ]


async def run_for(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    for _ in range(round(seconds * 2)):
        await tick(hass, freezer, 0.5)


async def test_bound_tick_polls_right_after_the_hang_ups_own_get_status(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """max_duration 20 s (answered at 8 s): at 28 s the hangUp gets an error
    page; the keeper checks with getStatus (call still up) and raises; the
    tick then sends its cadence poll in the same instant: two getStatus 0 s
    apart (the floor only knows polls sent by _poll_once)."""
    ha_sim.server.default_scenario = "answered_long"
    await dial(hass, max_duration=20)
    await run_for(hass, freezer, 27.5)
    ha_sim.sim.add_fault("http_500", 1, command="hangUp")
    await run_for(hass, freezer, 1)
    polls = times(ha_sim)
    gaps = [round(b - a, 2) for a, b in zip(polls, polls[1:])]
    assert min(gaps) >= 0.5, f"getStatus at {polls}"


async def test_failed_max_duration_hang_up_is_retried_only_at_the_slow_poll(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Option 3 s (slow spacing 9 s). max_duration 20 s: bound at 29 s. The
    hangUp at 29 s fails once; the retry waits for the next slow poll (9 s
    later), so the call talks on well past max_duration. (Before the change
    it was retried at the next poll, one interval later; a ring-timeout
    retry goes at the fast spacing.)"""
    hass.config_entries.async_update_entry(
        init_integration, options=dict(init_integration.options) | {"poll_interval": 3}
    )
    ha_sim.server.default_scenario = "answered_long"
    await dial(hass, max_duration=20)
    await run_for(hass, freezer, 27.5)
    ha_sim.sim.add_fault("http_500", 1, command="hangUp")
    await run_for(hass, freezer, 15)
    # Answered as seen by the 9 s poll (fast spacing 1.5 s): the bound is 29 s.
    hang_ups = times(ha_sim, "hangUp")
    assert hang_ups[0] == 29
    assert hang_ups[1] <= 29 + 3, f"hangUp at {hang_ups}, getStatus at {times(ha_sim)}"
