"""An ``end`` that gets no answer keeps the GUID (CONTRIBUTING.md).

The session keeper forgets a GUID only once the server answered: when ``end``
is dropped or reset (at unload, at Home Assistant's stop, at the
``end_session`` action) the GUID stays in memory and in ``.storage``, so a
later close or the next start still ends that session. aiohttp sends an
``end`` again once after such a failure, so each fault is set for two.
Asserted on what the server received: the later ``end`` names the same GUID.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.connectcall.const import DOMAIN

from .helpers import DEST, RunningSimulator, call_status

# No answer at all: cut before the server saw it, cut after it acted, reset
# after it acted.
UNANSWERED = ["drop", "drop_after", "reset_after"]


async def dial_and_hang_up(hass: HomeAssistant, sim: RunningSimulator) -> str:
    """A call placed and over, its session open; returns the session's GUID."""
    await hass.services.async_call(
        DOMAIN, "dial", {"destination": DEST}, blocking=True, return_response=True
    )
    await hass.services.async_call(DOMAIN, "hang_up", blocking=True)
    await hass.async_block_till_done()
    assert sim.server.active_call() is None
    assert len(sim.server.sessions) == 1
    return next(iter(sim.server.sessions))


def sent_since(sim: RunningSimulator, start: int) -> list[tuple[str, str | None]]:
    """``(command, guid)`` of each request the server received after ``start``."""
    return [
        (r.command, parse_qs(r.query).get("guid", [None])[0])
        for r in sim.server.requests[start:]
    ]


async def stored(
    hass: HomeAssistant, hass_storage: dict[str, Any], entry: MockConfigEntry
) -> dict[str, Any]:
    """The entry's session store as written to ``.storage``.

    The keeper saves with a zero delay (a loop timer): fired first.
    """
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    data: dict[str, Any] = hass_storage[f"{DOMAIN}.{entry.entry_id}"]["data"]
    return data


def refuse_end(sim: RunningSimulator, fault: str) -> None:
    """The next ``end`` and aiohttp's re-send of it get no answer."""
    sim.sim.add_fault(fault, count=2, command="end")


async def call_over_end_refused(
    hass: HomeAssistant, sim: RunningSimulator, fault: str
) -> str:
    """A call placed and over; the session's next ``end`` gets no answer.
    Returns the session's GUID."""
    guid = await dial_and_hang_up(hass, sim)
    refuse_end(sim, fault)
    return guid


async def assert_next_start_ends(
    hass: HomeAssistant,
    sim: RunningSimulator,
    entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    guid: str,
) -> None:
    """Setting up again sends ``end`` for the stored GUID, then forgets it."""
    start = sim.server.count()
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    sent = sent_since(sim, start)
    assert ("end", guid) in sent, sent
    # Nothing about calls went to the old GUID but getStatus, hangUp and end.
    assert {c for c, g in sent if g == guid} <= {"getStatus", "hangUp", "end"}
    assert guid not in sim.server.sessions
    assert sim.server.active_call() is None
    assert "guid" not in await stored(hass, hass_storage, entry)
    assert call_status(hass, entry) == "idle"


@pytest.mark.parametrize("way", ["unload", "stop"])
@pytest.mark.parametrize("fault", UNANSWERED)
async def test_unanswered_end_at_unload_or_stop_keeps_guid_for_next_start(
    hass: HomeAssistant,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
    fault: str,
    way: str,
) -> None:
    """After a stop, the unload that follows sends nothing more either."""
    guid = await call_over_end_refused(hass, ha_sim, fault)
    start = ha_sim.server.count()
    if way == "stop":
        hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
        await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    assert sent_since(ha_sim, start) == [("end", guid), ("end", guid)]
    assert (await stored(hass, hass_storage, init_integration)).get("guid") == guid
    await assert_next_start_ends(hass, ha_sim, init_integration, hass_storage, guid)


@pytest.mark.parametrize("fault", UNANSWERED)
async def test_unanswered_end_session_keeps_guid_for_a_later_close(
    hass: HomeAssistant,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
    fault: str,
) -> None:
    guid = await call_over_end_refused(hass, ha_sim, fault)
    start = ha_sim.server.count()
    await hass.services.async_call(DOMAIN, "end_session", blocking=True)
    await hass.async_block_till_done()
    assert sent_since(ha_sim, start) == [("end", guid), ("end", guid)]
    assert (await stored(hass, hass_storage, init_integration)).get("guid") == guid
    assert init_integration.runtime_data.keeper.is_open
    # A later close (the action again) ends that same session, then forgets it.
    start = ha_sim.server.count()
    await hass.services.async_call(DOMAIN, "end_session", blocking=True)
    await hass.async_block_till_done()
    assert sent_since(ha_sim, start) == [("end", guid)]
    assert guid not in ha_sim.server.sessions
    assert "guid" not in await stored(hass, hass_storage, init_integration)
    assert not init_integration.runtime_data.keeper.is_open
    # Forgotten: unloading sends nothing for it.
    start = ha_sim.server.count()
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert sent_since(ha_sim, start) == []


@pytest.mark.parametrize("fault", UNANSWERED)
async def test_unanswered_end_session_keeps_guid_for_next_start(
    hass: HomeAssistant,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
    fault: str,
) -> None:
    """end_session, then unload, both unanswered: the next start ends it."""
    guid = await call_over_end_refused(hass, ha_sim, fault)
    await hass.services.async_call(DOMAIN, "end_session", blocking=True)
    refuse_end(ha_sim, fault)
    start = ha_sim.server.count()
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    # The unload tried that same GUID again.
    assert sent_since(ha_sim, start) == [("end", guid), ("end", guid)]
    assert (await stored(hass, hass_storage, init_integration)).get("guid") == guid
    await assert_next_start_ends(hass, ha_sim, init_integration, hass_storage, guid)
