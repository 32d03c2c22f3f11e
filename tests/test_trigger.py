"""The triggers call_started, call_answered and call_ended in real automations:
once per call, whatever placed it, for the calls their target picks."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.const import (
    EVENT_HOMEASSISTANT_STARTED,
    SERVICE_RELOAD,
)
from homeassistant.core import CoreState, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import area_registry as ar, device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.connectcall.const import EVENT_CALL_ENDED

from .helpers import (
    DEST,
    MUM,
    MUM_AS_TYPED,
    TALKED,
    B,
    C,
    RunningSimulator,
    add_contact,
    advance,
    call_contact,
    calls_placed,
    device_of,
    dial,
    dial_waiting,
    entity_id_of,
    on,
    one_call_over,
    ran,
    restart,
    run,
    set_up_automations,
    stop_home_assistant,
    tick,
)

EVERY = {
    "started": on("call_started"),
    "answered": on("call_answered"),
    "ended": on("call_ended"),
}
MISSED = ["busy", "no_answer", "rejected", "canceled", "failed"]
FACTS = ("config_entry_id", "device_id", "destination", "contact")


def facts(data: dict[str, Any], *keys: str) -> tuple[Any, ...]:
    return tuple(data[key] for key in keys)


def counts(runs: Any) -> dict[str, int]:
    return {alias: len(ran(runs, alias)) for alias in EVERY}


async def test_an_answered_call_fires_each_trigger_once_with_its_facts(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    runs = await set_up_automations(hass, EVERY)
    await dial(hass)
    await tick(hass, freezer)
    assert counts(runs) == {"started": 1, "answered": 0, "ended": 0}
    await run(hass, freezer, 45)
    assert calls_placed(ha_sim) == [DEST]
    assert counts(runs) == {"started": 1, "answered": 1, "ended": 1}
    account = (init_integration.entry_id, device_of(hass, init_integration), DEST, None)
    for alias in EVERY:
        assert facts(ran(runs, alias)[0], *FACTS) == account
    # Only call_ended reports how it went, as connectcall_call_ended does.
    assert "outcome" not in ran(runs, "answered")[0]
    assert facts(ran(runs, "ended")[0], "outcome", "duration") == ("answered", TALKED)


@pytest.mark.parametrize(
    ("scenario", "outcome"),
    [
        ("busy", "busy"),
        ("no_answer", "no_answer"),
        ("rejected", "rejected"),
        ("cancelled", "canceled"),
        ("wrong_destination", "failed"),
    ],
)
@pytest.mark.usefixtures("init_integration")
async def test_call_ended_outcome_option_picks_missed_calls(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    scenario: str,
    outcome: str,
) -> None:
    """ "Missed": every outcome but answered; each outcome as its own option."""
    runs = await set_up_automations(
        hass,
        {
            "missed": on("call_ended", options={"outcome": MISSED}),
            "this": {
                "triggers": [
                    {
                        "trigger": "connectcall.call_ended",
                        "options": {"outcome": outcome},  # one, as YAML allows
                    }
                ]
            },
            "answered": on("call_ended", options={"outcome": ["answered"]}),
        },
    )
    ha_sim.server.scenarios = {B: scenario}
    await dial(hass)  # answered
    await run(hass, freezer, 45)
    await dial(hass, destination=B)
    await run(hass, freezer, 45)
    assert calls_placed(ha_sim) == [DEST, B]
    assert [run_["destination"] for run_ in ran(runs, "answered")] == [DEST]
    assert [(r["destination"], r["outcome"]) for r in ran(runs, "missed")] == [
        (B, outcome)
    ]
    assert [r["outcome"] for r in ran(runs, "this")] == [outcome]
    assert ran(runs, "missed")[0]["duration"] == 0


async def test_a_restart_mid_call_fires_nothing_twice(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    runs = await set_up_automations(hass, EVERY)
    await dial(hass)
    await run(hass, freezer, 10)
    assert counts(runs) == {"started": 1, "answered": 1, "ended": 0}
    await restart(hass, init_integration)
    await run(hass, freezer, 10)
    await restart(hass, init_integration)
    await run(hass, freezer, 30)
    assert ha_sim.server.count("connect") + ha_sim.server.count("login") == 2
    assert counts(runs) == {"started": 1, "answered": 1, "ended": 1}
    assert ran(runs, "ended")[0]["outcome"] == "answered"


@pytest.mark.usefixtures("ha_sim")
async def test_an_answer_while_stopped_is_announced_once_after_the_restart(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    runs = await set_up_automations(hass, EVERY)
    await dial(hass)
    await tick(hass, freezer)
    await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    await advance(hass, freezer, 10)  # answered at 8 s
    await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    await run(hass, freezer, 2)
    assert counts(runs) == {"started": 1, "answered": 1, "ended": 0}
    await restart(hass, init_integration)
    await run(hass, freezer, 40)
    assert counts(runs) == {"started": 1, "answered": 1, "ended": 1}


@pytest.mark.usefixtures("init_integration")
async def test_a_list_fires_call_started_once_per_number_dialled(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    runs = await set_up_automations(hass, EVERY)
    ha_sim.server.scenarios = {B: "busy", C: "rejected"}
    response = await dial_waiting(hass, freezer, destination=[B, C, DEST])
    await run(hass, freezer, 45)
    assert response["answered_by"] == DEST
    assert calls_placed(ha_sim) == [B, C, DEST]
    assert [r["destination"] for r in ran(runs, "started")] == [B, C, DEST]
    assert [r["outcome"] for r in ran(runs, "ended")] == [
        "busy",
        "rejected",
        "answered",
    ]
    assert [r["destination"] for r in ran(runs, "answered")] == [DEST]


@pytest.mark.usefixtures("init_integration")
async def test_a_connect_without_an_answer_starts_once_it_shows_its_own_status(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    """The rule the Calls total uses: an unconfirmed connect counts on progress."""
    runs = await set_up_automations(hass, EVERY)
    await one_call_over(hass)
    ha_sim.sim.add_fault("drop", command="connect")  # the server places nothing
    with contextlib.suppress(HomeAssistantError):
        await dial(hass, destination=B)
    await run(hass, freezer, 10)
    ha_sim.sim.add_fault("drop_after", command="connect")  # placed, answer lost
    await dial(hass, destination=C)
    await run(hass, freezer, 45)
    assert calls_placed(ha_sim) == [DEST, C]
    assert [r["destination"] for r in ran(runs, "started")] == [DEST, C]
    assert [r["destination"] for r in ran(runs, "ended")] == [DEST, C]


async def test_a_contact_target_matches_calls_to_its_number_however_placed(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    mum = await add_contact(hass, init_integration, name="Mum", number=MUM_AS_TYPED)
    target = {"device_id": [device_of(hass, init_integration, mum)]}
    runs = await set_up_automations(
        hass,
        {
            "mum": {
                "triggers": [{"trigger": "connectcall.call_ended", "target": target}]
            },
            "mum started": {
                "triggers": [{"trigger": "connectcall.call_started", "target": target}]
            },
        },
    )
    await dial(hass, destination=B)
    await run(hass, freezer, 45)
    await dial(hass, destination=MUM_AS_TYPED)  # a dial, not the contact
    await run(hass, freezer, 45)
    await call_contact(hass, contact="Mum")
    await run(hass, freezer, 45)
    assert calls_placed(ha_sim) == [B, MUM, MUM]
    assert [facts(r, "destination", "contact") for r in ran(runs, "mum")] == [
        (MUM, "Mum"),
        (MUM, "Mum"),
    ]
    assert len(ran(runs, "mum started")) == 2


@pytest.mark.usefixtures("ha_sim")
async def test_account_targets_and_no_target(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    bob: MockConfigEntry,
) -> None:

    def ended_on(entry: MockConfigEntry) -> dict[str, Any]:
        return on("call_ended", target={"device_id": device_of(hass, entry)})

    runs = await set_up_automations(
        hass,
        {
            "alice": ended_on(init_integration),
            "bob": ended_on(bob),
            "any": on("call_ended"),
        },
    )
    await dial(hass, config_entry_id=bob.entry_id, destination=B)
    await run(hass, freezer, 45)
    await dial(hass, config_entry_id=init_integration.entry_id)
    await run(hass, freezer, 45)
    assert [r["destination"] for r in ran(runs, "bob")] == [B]
    assert [r["destination"] for r in ran(runs, "alice")] == [DEST]
    assert [r["config_entry_id"] for r in ran(runs, "any")] == [
        bob.entry_id,
        init_integration.entry_id,
    ]


@pytest.mark.usefixtures("ha_sim")
async def test_an_area_target_picks_the_account_in_it(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """Next to another integration's device (one of its subentries'), which
    names no Connect Call account or contact."""
    office = ar.async_get(hass).async_create("Office")
    devices = dr.async_get(hass)
    devices.async_update_device(device_of(hass, init_integration), area_id=office.id)
    other = MockConfigEntry(
        domain="other",
        subentries_data=[
            ConfigSubentryData(
                data={}, subentry_type="thing", title="Thing", unique_id=None
            )
        ],
    )
    other.add_to_hass(hass)
    thing = devices.async_get_or_create(
        config_entry_id=other.entry_id,
        config_subentry_id=next(iter(other.subentries)),
        identifiers={("other", "thing")},
    )
    devices.async_update_device(thing.id, area_id=office.id)
    runs = await set_up_automations(
        hass,
        {"office": on("call_started", target={"area_id": office.id})},
    )
    await dial(hass)
    await run(hass, freezer, 2)
    assert [r["destination"] for r in ran(runs, "office")] == [DEST]


@pytest.mark.usefixtures("init_integration")
async def test_an_unknown_device_is_named_after_a_reload(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    runs = await set_up_automations(hass, EVERY)
    unknown = "0123456789abcdef0123456789abcdef"
    config = {
        "automation": [
            {
                "alias": "unknown",
                "triggers": [
                    {
                        "trigger": "connectcall.call_ended",
                        "target": {"device_id": unknown},
                    }
                ],
                "actions": [{"action": "test.record", "data": {"alias": "unknown"}}],
            }
        ]
    }
    with (
        caplog.at_level(logging.ERROR),
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setattr("homeassistant.config.load_yaml_config_file", lambda *_: config)
        await hass.services.async_call("automation", SERVICE_RELOAD, blocking=True)
        await hass.async_block_till_done()
    assert f"Device {unknown} is not a Connect Call account or contact" in caplog.text
    assert runs == []


@pytest.mark.usefixtures("ha_sim", "init_integration")
async def test_a_removed_account_breaks_nothing(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    bob: MockConfigEntry,
) -> None:
    runs = await set_up_automations(
        hass,
        {
            "bob": on("call_ended", target={"device_id": device_of(hass, bob)}),
            "any": on("call_ended"),
        },
    )
    await hass.config_entries.async_remove(bob.entry_id)
    await hass.async_block_till_done()
    await dial(hass)
    await run(hass, freezer, 45)
    assert ran(runs, "bob") == []
    assert len(ran(runs, "any")) == 1
    assert "Traceback" not in caplog.text


@pytest.mark.usefixtures("ha_sim")
async def test_a_call_found_over_at_start_up_ends_once_after_the_start(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """Stopped mid-call; the call ended while Home Assistant was down. Its
    end is told to the triggers once Home Assistant has started (automations
    are armed by then); connectcall_call_ended stays silent about it (when it
    ended is unknown)."""
    runs = await set_up_automations(hass, EVERY)
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    await dial(hass)
    await run(hass, freezer, 10)  # answered
    await stop_home_assistant(hass, init_integration)
    await advance(hass, freezer, 60)
    hass.set_state(CoreState.not_running)
    await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    assert counts(runs) == {"started": 1, "answered": 1, "ended": 0}
    hass.set_state(CoreState.running)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    await hass.async_block_till_done()
    assert counts(runs) == {"started": 1, "answered": 1, "ended": 1}
    assert facts(ran(runs, "ended")[0], "destination", "outcome", "duration") == (
        DEST,
        "answered",
        None,
    )
    assert len(events) == 0
    await restart(hass, init_integration)
    await run(hass, freezer, 5)
    assert counts(runs) == {"started": 1, "answered": 1, "ended": 1}
    # The device registry's clean-up, which the started event switched on,
    # runs after the restart's registry changes, and then cools down.
    await tick(hass, freezer, 10)
    await tick(hass, freezer, 10)


async def test_a_call_found_over_at_a_reload_ends_at_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Home Assistant running: told at once, to the automations armed then.
    An unanswered call reads as the server's last code says (30 before an
    answer: hung up before it was answered)."""
    runs = await set_up_automations(hass, EVERY)
    ha_sim.server.scenarios = {B: "busy"}
    await dial(hass, destination=B)
    await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    await advance(hass, freezer, 10)
    await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    assert [facts(r, "destination", "outcome") for r in ran(runs, "ended")] == [
        (B, "busy")
    ]
    assert ha_sim.server.sessions == {}


async def test_an_entity_target_stands_for_its_device(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The editor's target picker offers entities next to devices: the
    account's Call event entity picks the account's calls (a target that is
    accepted but never fires would fail silently)."""
    call_entity = entity_id_of(hass, init_integration, "event", "call")
    runs = await set_up_automations(
        hass,
        {"entity": on("call_ended", target={"entity_id": call_entity})},
    )
    await dial(hass)
    await run(hass, freezer, 45)
    assert calls_placed(ha_sim) == [DEST]
    assert len(ran(runs, "entity")) == 1
