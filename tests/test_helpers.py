"""The tests' own helpers (helpers.py): they wait for conditions
and say so instead of hanging."""

from __future__ import annotations

import asyncio

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest

from .helpers import RunningSimulator, dial, drain, hang_up, until_done


@pytest.mark.usefixtures("init_integration")
async def test_drain_waits_for_answers_and_is_bounded(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    """The tests' drain() waits for a condition (every request answered),
    and says so instead of hanging when an answer waits for the clock."""
    await dial(hass)
    ha_sim.sim.delay = 5
    ha_sim.sim.add_fault("slow", command="hangUp")
    task = asyncio.ensure_future(hang_up(hass))
    with pytest.raises(AssertionError, match="still in flight"):
        await drain(hass)
    await until_done(hass, freezer, task)
    await drain(hass)
    assert ha_sim.server.active_call() is None
