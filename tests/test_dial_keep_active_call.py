"""`dial` with `keep_active_call`: a call in progress is never cut.

What a second doorbell press needs: while a call of the account rings, talks,
is being placed or a list of numbers is still being worked through, the dial
sends nothing at all and answers ``skipped``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.connectcall.const import DOMAIN

from .conftest import DEST, RunningSimulator, advance, call_status, settle, tick
from .helpers import until_done

pytestmark = pytest.mark.usefixtures("init_integration")

OTHER = "0687654321"


async def dial(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    data.setdefault("destination", DEST)
    response = await hass.services.async_call(
        DOMAIN, "dial", data, blocking=True, return_response=True
    )
    assert isinstance(response, dict)
    return response


def sent(sim: RunningSimulator, start: int = 0) -> list[str]:
    return [r.command for r in sim.server.requests[start:]]


async def test_a_connected_call_is_left_alone(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    await dial(hass)
    for _ in range(10):
        await tick(hass, freezer)
    assert call_status(hass, init_integration) == "connected"
    start = ha_sim.server.count()
    response = await dial(hass, destination=OTHER, keep_active_call=True)
    assert response == {
        "status": "connected",
        "status_code": 9,
        "outcome": None,
        "answered_by": None,
        "attempts": [],
        "skipped": True,
        "error": None,
        "error_key": None,
    }
    # Not a request: no hangUp, no connect, not even a getStatus of its own.
    assert sent(ha_sim, start) == []
    assert [c.destination for c in ha_sim.server.calls] == [DEST]
    assert ha_sim.server.active_call() is ha_sim.server.calls[0]


async def test_a_ringing_call_is_left_alone(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    await dial(hass)
    await tick(hass, freezer)
    response = await dial(hass, destination=OTHER, keep_active_call=True, wait=True)
    assert response["skipped"] is True
    assert response["status"] == "source_alerting"
    assert [c.destination for c in ha_sim.server.calls] == [DEST]
    assert "hangUp" not in sent(ha_sim)


async def test_without_a_call_in_progress_it_dials(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    response = await dial(hass, keep_active_call=True)
    assert response["skipped"] is False
    ha_sim.server.scenarios[OTHER] = "busy"
    await hass.services.async_call(DOMAIN, "hang_up", blocking=True)
    # The last call is over (hung up): the next one is placed.
    response = await dial(hass, destination=OTHER, keep_active_call=True)
    assert response["skipped"] is False
    assert [c.destination for c in ha_sim.server.calls] == [DEST, OTHER]


async def test_the_default_still_hangs_up_the_active_call(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    """The contract's default is unchanged: a dial replaces the call."""
    await dial(hass)
    await tick(hass, freezer)
    response = await dial(hass, destination=OTHER, keep_active_call=False)
    assert response["skipped"] is False
    assert [c.destination for c in ha_sim.server.calls] == [DEST, OTHER]
    assert "hangUp" in sent(ha_sim)


async def test_two_presses_at_once_place_one_call(
    hass: HomeAssistant, ha_sim: RunningSimulator
) -> None:
    """Checked before the first await: the second sees the first placing."""
    first, second = await asyncio.gather(
        dial(hass, keep_active_call=True), dial(hass, keep_active_call=True)
    )
    assert sorted([first["skipped"], second["skipped"]]) == [False, True]
    assert [c.destination for c in ha_sim.server.calls] == [DEST]
    assert sent(ha_sim).count("login") == 2  # the setup probe and the one dial


async def test_a_placement_in_flight_counts_as_a_call(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    await dial(hass)
    await hass.services.async_call(DOMAIN, "hang_up", blocking=True)
    ha_sim.sim.delay = 2
    ha_sim.sim.add_fault("late", command="connect")
    placing = asyncio.ensure_future(dial(hass, destination=OTHER))
    await advance(hass, freezer, 0.5)
    assert sent(ha_sim)[-1] == "connect"  # the server acted; no answer yet
    response = await dial(hass, keep_active_call=True)
    assert response["skipped"] is True
    await until_done(hass, freezer, placing)
    await settle(hass)
    assert [c.destination for c in ha_sim.server.calls] == [DEST, OTHER]


@pytest.mark.parametrize("wait", [False, True])
async def test_a_list_between_attempts_counts_as_a_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    wait: bool,
) -> None:
    """The number was busy and its call is over; the list waits to dial it
    again (in the background, or in a waiting dial's own run)."""
    ha_sim.server.scenarios[DEST] = "busy"
    listing = asyncio.ensure_future(
        dial(hass, retry_busy=1, retry_delay=30, ring_timeout=60, wait=wait)
    )
    await settle(hass)
    for _ in range(8):
        await tick(hass, freezer)
    assert call_status(hass, init_integration) == "busy"
    response = await dial(hass, destination=OTHER, keep_active_call=True)
    assert response["skipped"] is True
    await hass.services.async_call(DOMAIN, "hang_up", blocking=True)
    await until_done(hass, freezer, listing, step=1, limit=60)
    assert [c.destination for c in ha_sim.server.calls] == [DEST]
    # The list is over: now a dial goes through.
    response = await dial(hass, destination=OTHER, keep_active_call=True)
    assert response["skipped"] is False
