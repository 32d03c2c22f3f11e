"""Calls and talk time: the totals, the call-ended event and its logbook line."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.connectcall.const import DOMAIN, EVENT_CALL_ENDED

from .conftest import DEST, RunningSimulator, entity_id_of, state_of, tick
from .test_call_safety import _restart
from .test_contacts import add_contact
from .test_services import dial

MUM = "+31611112222"
# The "answered" scenario: 29 at 8 s, 30 at 39 s: 31 s talked.
TALKED = 31.0


def totals(hass: HomeAssistant, entry: MockConfigEntry) -> tuple[int, float]:
    """(calls, seconds talked) as the sensors show them (talk time in min)."""
    calls = state_of(hass, entity_id_of(hass, entry, "sensor", "calls"))
    talk = state_of(hass, entity_id_of(hass, entry, "sensor", "talk_time"))
    assert talk.attributes["unit_of_measurement"] == "min"
    return int(calls.state), round(float(talk.state) * 60, 1)


async def run(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: int
) -> None:
    for _ in range(seconds):
        await tick(hass, freezer)


def ended(events: list[Event[Any]]) -> list[dict[str, Any]]:
    return [dict(event.data) for event in events]


async def test_sensors_describe_long_term_statistics(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    calls = state_of(hass, entity_id_of(hass, init_integration, "sensor", "calls"))
    talk = state_of(hass, entity_id_of(hass, init_integration, "sensor", "talk_time"))
    assert calls.state == "0"
    assert calls.attributes["state_class"] == "total_increasing"
    assert talk.attributes["state_class"] == "total_increasing"
    assert talk.attributes["device_class"] == "duration"
    assert float(talk.state) == 0


async def test_a_call_counts_once_and_is_announced_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    device_registry: Any,
) -> None:
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    await add_contact(hass, init_integration, name="Mum", number=MUM)
    await dial(hass, destination="+31 (0)6 1111 2222")
    assert totals(hass, init_integration) == (1, 0)
    await run(hass, freezer, 45)
    assert totals(hass, init_integration) == (1, TALKED)
    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, init_integration.entry_id), init_integration.entry_id
    )
    assert device is not None
    assert ended(events) == [
        {
            "config_entry_id": init_integration.entry_id,
            "device_id": device.id,
            "entity_id": entity_id_of(hass, init_integration, "event", "call"),
            "destination": MUM,
            "contact": "Mum",
            "outcome": "answered",
            "duration": TALKED,
        }
    ]
    await run(hass, freezer, 5)  # nothing more
    assert len(events) == 1
    assert len(ha_sim.server.calls) == 1


async def test_every_attempt_of_a_list_counts(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    ha_sim.server.scenarios["0611111111"] = "busy"
    ha_sim.server.scenarios["0622222222"] = "no_answer"
    await dial(hass, destination=["0611111111", "0622222222", DEST])
    await run(hass, freezer, 120)
    assert len(ha_sim.server.calls) == 3
    assert totals(hass, init_integration) == (3, TALKED)
    assert [(e["destination"], e["contact"], e["outcome"]) for e in ended(events)] == [
        ("0611111111", None, "busy"),
        ("0622222222", None, "no_answer"),
        (DEST, None, "answered"),
    ]
    assert [e["duration"] for e in ended(events)] == [0, 0, TALKED]


async def test_a_refused_dial_is_not_counted(
    hass: HomeAssistant,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    ha_sim.server.behaviour.refuse_number = DEST
    with pytest.raises(HomeAssistantError):
        await dial(hass)
    assert ha_sim.server.calls == []
    assert totals(hass, init_integration) == (0, 0)
    assert events == []


async def test_a_superseded_call_is_counted_and_announced(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    await dial(hass)
    await run(hass, freezer, 19)  # answered at 8 s: 11 s talked so far
    await dial(hass, destination="0699999999")
    await run(hass, freezer, 45)
    assert len(ha_sim.server.calls) == 2
    first, second = ended(events)
    assert (first["destination"], first["outcome"]) == (DEST, "answered")
    assert 10 <= first["duration"] <= 12
    assert (second["destination"], second["duration"]) == ("0699999999", TALKED)
    calls, talked = totals(hass, init_integration)
    assert calls == 2
    assert talked == round(first["duration"] + TALKED, 1)


async def test_totals_survive_a_restart(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    await dial(hass)
    await run(hass, freezer, 45)
    await _restart(hass, init_integration)
    assert totals(hass, init_integration) == (1, TALKED)
    key = f"{DOMAIN}.{init_integration.entry_id}.totals"
    assert hass_storage[key]["data"] == {"calls": 1, "talk_time": TALKED}
    await dial(hass)
    await run(hass, freezer, 45)
    assert totals(hass, init_integration) == (2, 2 * TALKED)


async def test_stored_totals_are_read_at_setup(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    hass_storage[f"{DOMAIN}.{mock_config_entry.entry_id}.totals"] = {
        "version": 1,
        "key": f"{DOMAIN}.{mock_config_entry.entry_id}.totals",
        "data": {"calls": 41, "talk_time": 600.0},
    }
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert totals(hass, mock_config_entry) == (41, 600.0)


async def test_a_call_resumed_after_a_restart_counts_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    await dial(hass)
    await run(hass, freezer, 10)  # answered
    await _restart(hass, init_integration)
    assert totals(hass, init_integration) == (1, 0)
    await run(hass, freezer, 35)
    # The whole talk time, once; one event, with the number the first run dialled.
    assert totals(hass, init_integration) == (1, TALKED)
    assert [(e["destination"], e["outcome"], e["duration"]) for e in ended(events)] == [
        (DEST, "answered", TALKED)
    ]
    await _restart(hass, init_integration)
    assert totals(hass, init_integration) == (1, TALKED)
    assert len(events) == 1


async def test_a_session_without_its_call_record_is_not_counted_again(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """A call found by its session alone was counted (or not) by its own run."""
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    await dial(hass)
    await tick(hass, freezer)
    await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    key = f"{DOMAIN}.{init_integration.entry_id}"
    hass_storage[key]["data"]["call"] = None  # as an older version stored it
    await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    await run(hass, freezer, 45)
    assert ha_sim.server.active_call() is None
    assert totals(hass, init_integration) == (1, 0)
    assert events == []


async def test_unreadable_totals_do_not_stop_the_setup(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    hass_storage[f"{DOMAIN}.{mock_config_entry.entry_id}.totals"] = {
        "version": 1,
        "key": f"{DOMAIN}.{mock_config_entry.entry_id}.totals",
        "data": {"calls": "many"},
    }
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert totals(hass, mock_config_entry) == (0, 0)
