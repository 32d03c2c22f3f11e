"""Placing one call (placing.py): what the placer says while it places.

How a dial behaves on a bad day is in test_placing_a_call.py; here: the line is
held from the moment a placement starts, by whom, and a waiting dial learns
that the line closed.
"""

from __future__ import annotations

import asyncio

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.connectcall.line import LineClosedError
from custom_components.connectcall.plans import build_plan

from .helpers import (
    DEST,
    USERNAME,
    B,
    RunningSimulator,
    advance,
    answer_late,
    dial,
    drain,
    placements,
    until_done,
)


async def test_a_placement_in_flight_holds_the_line_for_its_dial(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Before the server answered, nothing is followed yet, but the line is
    held, by the dial in flight: a keep_active_call dial must not ring too."""
    placer = init_integration.runtime_data.placer
    assert not placer.holds_line
    plan, _ = build_plan({"destination": B}, init_integration.options)
    answer_late(ha_sim, "login", 3)
    dialling = asyncio.ensure_future(dial(hass, destination=B))
    await advance(hass, freezer, 0.5)
    assert placer.holds_line
    assert placer.holder_key == plan.key
    assert init_integration.runtime_data.line.current is None
    await until_done(hass, freezer, dialling)
    assert placements(hass) == []
    # Now the followed call holds it, with the key it was dialled with.
    assert placer.holder_key == plan.key


async def test_each_call_placed_gets_the_next_id(
    hass: HomeAssistant, ha_sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    line = init_integration.runtime_data.line
    await dial(hass)
    first = line.current
    await dial(hass, destination=B)
    assert first is not None
    assert line.current is not None
    assert (first.tracker.call_id, line.current.tracker.call_id) == (1, 2)
    assert [c.destination for c in ha_sim.server.calls] == [DEST, B]


async def test_a_dial_waiting_on_a_closed_line_says_so(
    hass: HomeAssistant, ha_sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """An unload while a dial waits: the dial fails (translated at the
    action as "unloaded"); the call goes on at the server."""
    coordinator = init_integration.runtime_data
    await dial(hass)
    call = coordinator.line.current
    assert call is not None
    coordinator.line.stop()
    with pytest.raises(LineClosedError):
        await coordinator.placer.async_wait(call, 30)
    assert ha_sim.server.active_call() is not None


@pytest.mark.usefixtures("init_integration")
async def test_a_refused_login_of_an_abandoned_dial_starts_reauth(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    """The password changed at the provider. A dial's login is out when its
    caller goes away (an automation in ``mode: restart``, a script
    stopped): the placement goes on as a task of its own, the server
    answers 102, and reauth starts though nobody awaits the dial."""
    ha_sim.server.accounts[USERNAME] = "changed"
    answer_late(ha_sim, "login", 3)
    dialling = asyncio.ensure_future(dial(hass))
    await advance(hass, freezer, 0.5)
    dialling.cancel()
    for _ in range(12):
        await advance(hass, freezer, 0.5)
    await drain(hass)
    assert "login" in [r.command for r in ha_sim.server.requests]
    flows = [
        flow
        for flow in hass.config_entries.flow.async_progress()
        if flow["context"]["source"] == SOURCE_REAUTH
    ]
    assert len(flows) == 1
