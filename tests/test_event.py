"""The call event entity (event.py): an event per milestone, from each way a
call can go."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from simulator import SCENARIOS

from .helpers import (
    DEST,
    TALKED,
    EventLog,
    RunningSimulator,
    dial,
    dial_waiting,
    entity_id_of,
    run,
    tick,
)


@pytest.mark.parametrize(
    ("scenario", "types", "last_status"),
    [
        ("answered", ["started", "answered", "ended"], "destination_ended"),
        ("answered_source_ends", ["started", "answered", "ended"], "source_ended"),
        ("funds_run_out", ["started", "answered", "ended"], "ended_insufficient_funds"),
        ("busy", ["started", "busy"], "busy"),
        ("no_answer", ["started", "no_answer"], "no_answer"),
        ("rejected", ["started", "rejected"], "rejected"),
        ("wrong_source", ["started", "failed"], "wrong_source_number"),
        ("wrong_destination", ["started", "failed"], "wrong_destination_number"),
        ("insufficient_funds", ["started", "failed"], "insufficient_funds"),
        (
            "source_insufficient_funds",
            ["started", "failed"],
            "source_insufficient_funds",
        ),
        (
            "destination_insufficient_funds",
            ["started", "failed"],
            "destination_insufficient_funds",
        ),
        ("account_state", ["started", "failed"], "hung_up"),
        ("cancelled", ["started", "canceled"], "hung_up"),
    ],
)
async def test_events_from_status_sequences(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    scenario: str,
    types: list[str],
    last_status: str,
) -> None:
    log = EventLog(hass, init_integration)
    ha_sim.server.default_scenario = scenario
    await dial(hass)
    await run(hass, freezer, 45)
    assert log.types == types
    assert all(e["destination"] == DEST for e in log.events)
    assert log.events[-1]["status"] == last_status
    # `started` carries the first poll's status (3 before the server's first step).
    first = SCENARIOS[scenario][0]
    assert log.events[0]["status_code"] == (first[1] if first[0] == 0 else 3)
    if "answered" in types:
        assert log.events[1]["status_code"] in (9, 29)
        assert log.events[-1]["duration"] > 0
    else:
        assert "duration" not in log.events[-1]


@pytest.mark.usefixtures("ha_sim")
async def test_ended_duration_is_seconds_talked(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    log = EventLog(hass, init_integration)
    await dial(hass)  # answered (29) at 8 s, destination ends at 39 s
    await run(hass, freezer, 45)
    assert log.events[-1]["duration"] == TALKED


async def test_ring_timeout_event_is_no_answer(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    log = EventLog(hass, init_integration)
    ha_sim.server.default_scenario = "ringing_forever"
    await dial_waiting(hass, freezer, ring_timeout=5)
    assert log.types == ["started", "no_answer"]
    assert log.events[-1]["status"] == "hung_up"


@pytest.mark.usefixtures("ha_sim")
async def test_user_hang_up_before_answer_is_canceled(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    log = EventLog(hass, init_integration)
    await dial(hass)
    await tick(hass, freezer)
    button = entity_id_of(hass, init_integration, "button", "hang_up")
    await hass.services.async_call(
        "button", "press", {ATTR_ENTITY_ID: button}, blocking=True
    )
    assert log.types == ["started", "canceled"]
    assert "duration" not in log.events[-1]


@pytest.mark.usefixtures("freezer", "ha_sim")
async def test_replaced_call_ends_then_next_starts(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    log = EventLog(hass, init_integration)
    await dial(hass)
    await dial(hass, destination="0687654321")
    assert log.types == ["started", "canceled", "started"]
    assert log.events[-1]["destination"] == "0687654321"


async def test_destination_not_recorded(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    event = entity_id_of(hass, init_integration, "event", "call")
    component = hass.data["entity_components"]["event"]
    entity = component.get_entity(event)
    assert entity is not None
    assert "destination" in entity._unrecorded_attributes


async def test_source_ends_before_answer_is_canceled(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    ha_sim.server.default_scenario = "source_gives_up"  # 31 before an answer
    events = EventLog(hass, init_integration)
    await dial(hass)
    await run(hass, freezer, 7)
    assert events.types == ["started", "canceled"]
