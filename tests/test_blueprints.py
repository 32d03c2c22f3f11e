"""The blueprints, run through Home Assistant's blueprint machinery."""

from __future__ import annotations

from pathlib import Path
import shutil
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.service import async_get_all_descriptions
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from .helpers import (
    BLUEPRINTS,
    MUM,
    SOURCE,
    RunningSimulator,
    add_contact,
    call_contact,
    run_clock,
)


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    """A real config dir, so blueprints load from files."""
    shutil.copytree(
        BLUEPRINTS, Path(hass_tmp_config_dir) / "blueprints", dirs_exist_ok=True
    )
    return hass_tmp_config_dir


async def use_doorbell_blueprint(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    doorbell: str = "binary_sensor.doorbell",
    **inputs: Any,
) -> None:
    """An automation from doorbell_call.yaml whose fallback fires an event,
    set up and armed; a binary sensor doorbell starts at rest (off)."""
    if doorbell.startswith("binary_sensor."):
        hass.states.async_set(doorbell, "off")
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "use_blueprint": {
                    "path": "connectcall/doorbell_call.yaml",
                    "input": {
                        "account": entry.entry_id,
                        "doorbell": doorbell,
                        "numbers": ["0611111111", "0622222222"],
                        "no_answer": [
                            {
                                "event": "nobody_answered",
                                "event_data": {"outcome": "{{ call.outcome }}"},
                            }
                        ],
                    }
                    | inputs,
                }
            }
        },
    )
    await hass.async_block_till_done()


async def test_doorbell_nobody_answers(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    ha_sim.server.default_scenario = "ringing_forever"
    fallback = async_capture_events(hass, "nobody_answered")
    await use_doorbell_blueprint(
        hass,
        init_integration,
        source="",
        ring_timeout=10,
    )
    hass.states.async_set("binary_sensor.doorbell", "on")
    await run_clock(hass, freezer, 2)
    hass.states.async_set("binary_sensor.doorbell", "off")
    hass.states.async_set("binary_sensor.doorbell", "on")  # pressed again: ignored
    await run_clock(hass, freezer, 30)
    assert [c.destination for c in ha_sim.server.calls] == ["0611111111", "0622222222"]
    assert all((c.source, c.mode) == (SOURCE, 1) for c in ha_sim.server.calls)
    assert len(fallback) == 1
    assert fallback[0].data == {"outcome": "no_answer"}


async def test_doorbell_source_and_mode_reach_the_server(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The blueprint's source and mode inputs are the intercom's number and
    how it rings: they reach the server (source first unless chosen)."""
    await use_doorbell_blueprint(
        hass,
        init_integration,
        source="030 111 22 33",
        mode="simultaneous",
        ring_timeout=10,
    )
    hass.states.async_set("binary_sensor.doorbell", "on")
    await run_clock(hass, freezer, 12)
    assert [(c.source, c.mode) for c in ha_sim.server.calls] == [("0301112233", 2)]
    assert "source=0301112233" in ha_sim.server.requests[1].query


async def test_doorbell_answered_no_fallback(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    ha_sim.server.scenarios = {"0611111111": "busy", "0622222222": "answered"}
    fallback = async_capture_events(hass, "nobody_answered")
    hass.states.async_set("event.doorbell", "2026-11-26T12:00:00+00:00")
    await use_doorbell_blueprint(hass, init_integration, doorbell="event.doorbell")
    assert ha_sim.server.calls == []  # the entity's state is not a press
    hass.states.async_set("event.doorbell", "2026-11-26T12:00:05+00:00")
    await run_clock(hass, freezer, 20)
    assert [c.destination for c in ha_sim.server.calls] == ["0611111111", "0622222222"]
    assert fallback == []


async def test_call_contact_script(
    hass: HomeAssistant, ha_sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    assert await async_setup_component(
        hass,
        "script",
        {
            "script": {
                "call_someone": {
                    "use_blueprint": {
                        "path": "connectcall/call_contact.yaml",
                        "input": {
                            "account": init_integration.entry_id,
                            "contacts": {
                                "Mum": "+31612345678",
                                "front door": "0201234599",
                            },
                        },
                    }
                }
            }
        },
    )
    response = await hass.services.async_call(
        "script", "call_someone", {"who": " MUM "}, blocking=True, return_response=True
    )
    assert ha_sim.server.calls[-1].destination == "+31612345678"
    assert response is not None
    assert response["status"] == "source_alerting"
    response = await hass.services.async_call(
        "script",
        "call_someone",
        {"who": "grandpa"},
        blocking=True,
        return_response=True,
    )
    assert response == {
        "error": "There is no contact named grandpa.",
        "contacts": ["Mum", "front door"],
    }
    assert len(ha_sim.server.calls) == 1
    # What Assist and LLM agents read when the script is exposed: its field.
    descriptions = await async_get_all_descriptions(hass)
    who = descriptions["script"]["call_someone"]["fields"]["who"]
    assert who["required"] is True
    assert "person or place" in who["description"]


async def test_doorbell_press_during_a_call_never_cuts_it(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The run ends once someone answers (mode: single no longer covers it):
    a second press while they talk must not hang up and dial again."""
    ha_sim.server.scenarios = {"0611111111": "answered"}
    fallback = async_capture_events(hass, "nobody_answered")
    await use_doorbell_blueprint(hass, init_integration, ring_timeout=20)
    hass.states.async_set("binary_sensor.doorbell", "on")
    await run_clock(hass, freezer, 12)
    assert ha_sim.server.active_call() is ha_sim.server.calls[0]
    start = ha_sim.server.count()
    hass.states.async_set("binary_sensor.doorbell", "off")
    hass.states.async_set("binary_sensor.doorbell", "on")  # talking: pressed again
    await run_clock(hass, freezer, 3)
    assert [c.destination for c in ha_sim.server.calls] == ["0611111111"]
    assert ha_sim.server.active_call() is ha_sim.server.calls[0]
    later = [r.command for r in ha_sim.server.requests[start:]]
    assert "hangUp" not in later
    assert set(later) <= {"getStatus"}
    assert fallback == []


def _cut_off(init_integration: MockConfigEntry) -> None:
    """Nothing listens where the API is any more."""
    init_integration.runtime_data.keeper.client._endpoint = "http://127.0.0.1:9/x"


@pytest.mark.parametrize(
    ("fault", "reason"),
    [("server_down", "Could not reach"), ("drop_after", "may have placed the call")],
)
@pytest.mark.parametrize("own_input", [True, False])
async def test_doorbell_reports_a_call_that_could_not_be_placed(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    fault: str,
    reason: str,
    own_input: bool,
) -> None:
    """Someone rang, whatever failed: "When nobody answers" runs (outcome
    error), and "When the call could not be placed" too, with the reason."""
    if fault == "server_down":
        _cut_off(init_integration)
    else:
        ha_sim.sim.add_fault("drop_after", command="login")
    not_placed = async_capture_events(hass, "not_placed")
    fallback = async_capture_events(hass, "nobody_answered")
    hass.states.async_set("binary_sensor.doorbell", "off")
    inputs: dict[str, Any] = {"doorbell": "binary_sensor.doorbell"}
    if own_input:
        inputs["not_placed"] = [
            {"event": "not_placed", "event_data": {"reason": "{{ reason }}"}}
        ]
    await use_doorbell_blueprint(hass, init_integration, **inputs)
    hass.states.async_set("binary_sensor.doorbell", "on")
    await run_clock(hass, freezer, 3)
    await hass.async_block_till_done()
    # "When nobody answers" runs whatever failed; the other input in addition.
    assert [event.data for event in fallback] == [{"outcome": "error"}]
    if own_input:
        assert len(not_placed) == 1
        assert reason in not_placed[0].data["reason"]
    # At most one call, whatever failed.
    assert len(ha_sim.server.calls) <= 1


@pytest.mark.parametrize("server_down", [False, True])
async def test_doorbell_not_placed_actions_may_use_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    server_down: bool,
) -> None:
    """The inputs' actions may use `call`: rendered only when they run
    (never as variables at the trigger, before the dial answered)."""
    if server_down:
        init_integration.runtime_data.keeper.client._endpoint = "http://127.0.0.1:9/x"
    not_placed = async_capture_events(hass, "not_placed")
    await use_doorbell_blueprint(
        hass,
        init_integration,
        numbers=["0611111111"],
        not_placed=[
            {
                "event": "not_placed",
                "event_data": {
                    "outcome": "{{ call.outcome }}",
                    "reason": "{{ reason }}",
                },
            }
        ],
    )
    hass.states.async_set("binary_sensor.doorbell", "on")
    await run_clock(hass, freezer, 3)
    if server_down:
        assert len(not_placed) == 1
        assert not_placed[0].data["outcome"] == "error"
    else:
        assert [c.destination for c in ha_sim.server.calls] == ["0611111111"]


# Each kind of bell the blueprint accepts: its state before and after a press.
BELLS = {
    "binary_sensor.bell": ("off", "on"),
    "event.bell": ("2026-11-26T12:00:00+00:00", "2026-11-26T12:00:05+00:00"),
    "button.bell": ("2026-11-26T12:00:00+00:00", "2026-11-26T12:00:05+00:00"),
    "input_button.bell": ("2026-11-26T12:00:00+00:00", "2026-11-26T12:00:05+00:00"),
}


async def _change_without_a_press(
    hass: HomeAssistant, bell: str, change: str, idle: str, pressed: str
) -> None:
    """What happens to a bell entity that is no press."""
    if change == "renamed":
        # A new friendly name: a new state object, the same state.
        hass.states.async_set(bell, idle, {"friendly_name": "Front door"})
    elif change == "attribute":
        hass.states.async_set(bell, idle, {"friendly_name": "Bell", "icon": "mdi:bell"})
    elif change == "appears":
        # Removed, then added again (a reload, a new entity ID): no old state.
        hass.states.async_remove(bell)
        hass.states.async_set(bell, pressed)
    else:  # back from unavailable, as it was (or "on")
        hass.states.async_set(bell, "unavailable")
        hass.states.async_set(bell, pressed if bell.startswith("binary") else idle)
    await hass.async_block_till_done()


@pytest.mark.parametrize("bell", BELLS)
@pytest.mark.parametrize("change", ["renamed", "attribute", "appears", "comes_back"])
async def test_doorbell_rings_phones_only_on_a_press(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    bell: str,
    change: str,
) -> None:
    """A rename or another attribute change keeps the bell's state: the
    trigger fires on a change of state only. An entity appearing or coming
    back is no press either. Nothing reaches the server; the next real press
    still places one call."""
    idle, pressed = BELLS[bell]
    hass.states.async_set(bell, idle, {"friendly_name": "Bell"})
    await use_doorbell_blueprint(hass, init_integration, doorbell=bell)
    await _change_without_a_press(hass, bell, change, idle, pressed)
    await run_clock(hass, freezer, 2)
    assert ha_sim.server.calls == []
    hass.states.async_set(bell, idle if bell.startswith("binary") else pressed)
    hass.states.async_set(
        bell, pressed if bell.startswith("binary") else idle[:-6] + "+01:00"
    )
    await run_clock(hass, freezer, 2)
    assert [c.destination for c in ha_sim.server.calls] == ["0611111111"]


async def test_renaming_an_input_button_places_no_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The bell the README's first doorbell uses, renamed as a user does it
    (the entity's settings): its state object is written anew, its state
    kept. Only pressing it rings."""
    assert await async_setup_component(
        hass, "input_button", {"input_button": {"bell": {"name": "Bell"}}}
    )
    # Pressed once before: a time as its state, as every bell in use has.
    await press(hass)
    await use_doorbell_blueprint(hass, init_integration, doorbell="input_button.bell")
    registry = er.async_get(hass)
    registry.async_update_entity("input_button.bell", name="Front door")
    registry.async_update_entity("input_button.bell", icon="mdi:doorbell")
    await run_clock(hass, freezer, 2)
    state = hass.states.get("input_button.bell")
    assert state is not None
    assert state.attributes["friendly_name"] == "Front door"
    assert ha_sim.server.calls == []
    await run_clock(hass, freezer, 1)
    await press(hass)
    await run_clock(hass, freezer, 2)
    assert [c.destination for c in ha_sim.server.calls] == ["0611111111"]


async def press(hass: HomeAssistant) -> None:
    await hass.services.async_call(
        "input_button", "press", {"entity_id": "input_button.bell"}, blocking=True
    )


async def test_doorbell_press_while_another_call_holds_the_line(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A dashboard call to Mum is connected when the bell rings: that call
    is left alone (no hangUp, no new call), and "When nobody answers" runs
    with outcome line_busy, saying which call holds the line."""
    await add_contact(hass, init_integration, name="Mum", number=MUM)
    ha_sim.server.scenarios = {MUM: "answered_long"}
    await call_contact(hass, contact="Mum")
    await run_clock(hass, freezer, 12)
    assert ha_sim.server.active_call() is ha_sim.server.calls[0]
    told = async_capture_events(hass, "nobody_answered")
    await use_doorbell_blueprint(
        hass,
        init_integration,
        no_answer=[
            {
                "event": "nobody_answered",
                "event_data": {
                    "outcome": "{{ call.outcome }}",
                    "contact": "{{ call.held_by.contact }}",
                    "reason": "{{ reason }}",
                },
            }
        ],
    )
    start = ha_sim.server.count()
    hass.states.async_set("binary_sensor.doorbell", "on")
    await run_clock(hass, freezer, 3)
    assert [event.data for event in told] == [
        {"outcome": "line_busy", "contact": "Mum", "reason": ""}
    ]
    later = [r.command for r in ha_sim.server.requests[start:]]
    assert set(later) <= {"getStatus"}
    assert [c.destination for c in ha_sim.server.calls] == [MUM]
    assert ha_sim.server.active_call() is ha_sim.server.calls[0]
