"""The coordinator (coordinator.py): it builds the parts and publishes.

What it adds to the parts: the order in which a call's news is written and
told, and whether the account's line is in use.
"""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.connectcall.const import DOMAIN

from .helpers import DEST, B, RunningSimulator, dial, hang_up, run, totals


@pytest.mark.parametrize("second_call", [False, True], ids=["login", "connect"])
async def test_a_call_is_recorded_before_it_is_counted(
    hass: HomeAssistant,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
    second_call: bool,
) -> None:
    """The call's record saying it counts is saved before the Calls total
    counting it: a crash between the two writes never counts a call twice
    (the next start counts a call still marked uncounted)."""
    if second_call:
        await dial(hass, destination=B)
        await hang_up(hass)
    entry_id = init_integration.entry_id
    saves: list[tuple[str, dict[str, Any]]] = []
    delay_save = Store.async_delay_save

    def spy(store: Store[Any], data_func: Any, delay: float = 0) -> None:
        saves.append((store.key, data_func()))
        delay_save(store, data_func, delay)

    monkeypatch.setattr(Store, "async_delay_save", spy)
    calls_before = totals(hass, init_integration)[0]
    await dial(hass)
    recorded = next(
        index
        for index, (key, data) in enumerate(saves)
        if key == f"{DOMAIN}.{entry_id}"
        and (data.get("call") or {}).get("destination") == DEST
        and data["call"]["counted"]
    )
    counted = next(
        index
        for index, (key, data) in enumerate(saves)
        if key == f"{DOMAIN}.{entry_id}.totals" and data["calls"] == calls_before + 1
    )
    assert recorded < counted


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
