"""The coordinator (coordinator.py): it builds the parts and publishes.

What it adds to the parts: the order in which a call's news is written and
told, and whether the account's line is in use.
"""

from __future__ import annotations

import asyncio
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.connectcall.const import DOMAIN

from .helpers import DEST, RunningSimulator, dial, drain, hang_up, run, totals


@pytest.mark.usefixtures("ha_sim")
async def test_a_placed_call_is_on_disk_as_counted_before_the_total(
    hass: HomeAssistant, init_integration: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    """The session store's writes take a few loop turns (a slow disk); when
    the totals land on disk with the call counted, the call's record on disk
    already says it is counted: a crash between the two writes never counts
    a call twice at the next start."""
    await dial(hass, destination="0611111111")
    await hang_up(hass)
    entry_id = init_integration.entry_id
    session_key, totals_key = f"{DOMAIN}.{entry_id}", f"{DOMAIN}.{entry_id}.totals"
    before = totals(hass, init_integration)[0]
    write = Store._async_write_data
    on_disk_then: list[Any] = []

    async def slow_disk(store: Store[Any], *args: Any) -> None:
        if store.key == session_key:
            for _ in range(20):
                await asyncio.sleep(0)
        await write(store, *args)
        if (
            store.key == totals_key
            and hass_storage[totals_key]["data"]["calls"] == before + 1
            and not on_disk_then
        ):
            # What a start after a crash now would resume (session.py).
            stored = hass_storage[session_key]["data"]
            record = stored.get("placing") or stored.get("call") or {}
            on_disk_then.append((record.get("destination"), record.get("counted")))

    # Restored by hand: the storage fixture's own patch ends first.
    Store._async_write_data = slow_disk  # type: ignore[method-assign, assignment]
    try:
        await dial(hass)
        await drain(hass)
        for _ in range(50):
            await asyncio.sleep(0)
    finally:
        Store._async_write_data = write  # type: ignore[method-assign]
    assert on_disk_then == [(DEST, True)]


async def test_the_line_is_in_use_through_a_list_s_pause(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Between a busy number and its retry no call is up, but the line is
    in use: the https repair, for one, must not log in meanwhile."""
    coordinator = init_integration.runtime_data
    assert not coordinator.in_use
    ha_sim.server.scenarios = {DEST: "busy"}
    await dial(hass, retry_busy=1, retry_delay=60)
    await run(hass, freezer, 8)
    assert ha_sim.server.active_call() is None
    assert coordinator.in_use
    await hang_up(hass)
    assert not coordinator.in_use
