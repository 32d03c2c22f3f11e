"""Calls and talk time: the totals, the call-ended event and its logbook line."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.connectcall.const import DOMAIN, EVENT_CALL_ENDED
from custom_components.connectcall.logbook import describe

from .helpers import (
    DEST,
    MUM,
    TALKED,
    B,
    D,
    RunningSimulator,
    add_contact,
    advance,
    answer_late,
    answer_next,
    call_contact,
    call_status,
    calls_placed,
    dial,
    drain,
    ended,
    entity_id_of,
    hang_up,
    never_two_at_once,
    one_call_over,
    reconfigure_contact,
    restart,
    run,
    state_of,
    stored_call,
    tick,
    totals,
    until_done,
)


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


@pytest.mark.usefixtures("ha_sim")
async def test_totals_survive_a_restart(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    await dial(hass)
    await run(hass, freezer, 45)
    await restart(hass, init_integration)
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


@pytest.mark.usefixtures("ha_sim")
async def test_a_call_resumed_after_a_restart_counts_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    await dial(hass)
    await run(hass, freezer, 10)  # answered
    await restart(hass, init_integration)
    assert totals(hass, init_integration) == (1, 0)
    await run(hass, freezer, 35)
    # The whole talk time, once; one event, with the number the first run
    # dialled. Resumed at 10 s, polled every 3 s from 12 s: the end (39 s)
    # shows at once: 31 s talked.
    talked = 31.0
    assert totals(hass, init_integration) == (1, talked)
    assert [(e["destination"], e["outcome"], e["duration"]) for e in ended(events)] == [
        (DEST, "answered", talked)
    ]
    await restart(hass, init_integration)
    assert totals(hass, init_integration) == (1, talked)
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


# Counted and announced once, across restarts, reloads and cancels.


async def test_anonymous_session_resumed_twice_is_not_announced(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """A session left without its call record (as an older version stored it)
    is resumed; the call is answered, Home Assistant restarts again and the call
    ends: no ``connectcall_call_ended``, and the totals keep the one call its own
    run counted, so a call is never announced or counted twice."""
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    await dial(hass)
    await tick(hass, freezer)
    await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    key = f"{DOMAIN}.{init_integration.entry_id}"
    hass_storage[key]["data"]["call"] = None  # as an older version stored it
    await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    await run(hass, freezer, 10)  # answered meanwhile
    await restart(hass, init_integration)  # a second restart
    await run(hass, freezer, 40)
    assert ha_sim.server.active_call() is None
    assert ended(events) == [], "announced a call its own run counted"
    assert totals(hass, init_integration) == (1, 0)


async def test_given_up_call_is_announced_once_across_restarts(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A talking call whose polls fail for 5 min is given up: counted and
    announced with its talk time so far. The server recovers and the call goes on
    through two restarts until the user hangs up: no second
    ``connectcall_call_ended`` and no talk time counted again."""
    ha_sim.server.default_scenario = "answered_long"
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    await dial(hass)
    await run(hass, freezer, 10)  # answered
    ha_sim.sim.add_fault("http_500", 10_000, command="getStatus")
    # Failing polls back off to one per 30 s: given up at the first failure
    # 5 min after the first one.
    for _ in range(34):
        await tick(hass, freezer, 10)
    assert call_status(hass, init_integration) == "status_unknown"  # given up
    assert len(events) == 1
    counted = totals(hass, init_integration)
    ha_sim.sim.faults.clear()
    await restart(hass, init_integration)
    await run(hass, freezer, 5)
    await restart(hass, init_integration)
    await run(hass, freezer, 60)
    await hang_up(hass)
    await tick(hass, freezer)
    assert ha_sim.server.active_call() is None
    assert [e["destination"] for e in ended(events)] == [DEST], (
        f"the call was announced again: {ended(events)}"
    )
    assert totals(hass, init_integration) == counted


@pytest.mark.usefixtures("ha_sim")
async def test_restart_twice_mid_call_counts_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    await add_contact(hass, init_integration, name="Mum", number=MUM)
    await call_contact(hass, contact="Mum")
    await run(hass, freezer, 5)  # ringing
    await restart(hass, init_integration)
    await run(hass, freezer, 10)  # answered in the second run
    await restart(hass, init_integration)
    assert totals(hass, init_integration) == (1, 0)
    await run(hass, freezer, 40)
    assert [(e["contact"], e["outcome"], e["duration"]) for e in ended(events)] == [
        ("Mum", "answered", TALKED)
    ]
    await restart(hass, init_integration)
    assert totals(hass, init_integration) == (1, TALKED)
    assert len(events) == 1


@pytest.mark.usefixtures("ha_sim")
async def test_old_record_without_counted_keys_counts_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """A record of the previous version (no counted/reported): counted by
    its run, announced once by this one."""
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    await dial(hass)
    await run(hass, freezer, 5)
    await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    record = stored_call(hass_storage, init_integration)
    record.pop("counted")
    record.pop("reported")
    await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    await run(hass, freezer, 45)
    assert totals(hass, init_integration) == (1, TALKED)
    assert [e["destination"] for e in ended(events)] == [DEST]


@pytest.mark.usefixtures("ha_sim")
async def test_unload_right_after_the_end_keeps_the_totals(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """The totals write (delay 0) right before a reload: the new run reads
    the call. (The test harness runs loop timers only when time is fired;
    Home Assistant runs a delay-0 write at the next loop turn, which the
    zero-second tick stands for. Without it the new run reads the old
    totals: a harness artifact, not a product bug.)"""
    await dial(hass)
    await run(hass, freezer, 10)
    await hass.services.async_call(DOMAIN, "end_session", blocking=True)
    await tick(hass, freezer, 0)
    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.LOADED
    calls, talked = totals(hass, init_integration)
    assert calls == 1
    assert talked > 0
    key = f"{DOMAIN}.{init_integration.entry_id}.totals"
    assert hass_storage[key]["data"] == {"calls": 1, "talk_time": talked}


async def test_connect_answered_after_the_place_timeout_counts_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A connect acted on at once but answered after 35 s (beyond the 30 s
    wait): no second connect, the call followed, one count, one event."""
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    await one_call_over(hass)
    answer_late(ha_sim, "connect", 35)
    await until_done(hass, freezer, dial(hass, destination=B), step=1)
    assert ha_sim.server.count("connect") == 1
    assert calls_placed(ha_sim) == [DEST, B]
    ha_sim.sim.delay = 0.5
    await run(hass, freezer, 45)
    assert [e["destination"] for e in ended(events)] == [DEST, B]
    assert totals(hass, init_integration)[0] == 2


async def test_call_contact_superseding_a_ringing_call_announces_each_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A call rings; call_contact mid-ring hangs it up first: never two calls
    up, the first announced once as ended (0 s), the contact's by name."""
    ha_sim.server.scenarios[DEST] = "ringing_forever"
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    await add_contact(hass, init_integration, name="Mum", number=MUM)
    up = never_two_at_once(ha_sim)
    await dial(hass)
    await run(hass, freezer, 3)
    await call_contact(hass, contact="MUM")
    await run(hass, freezer, 45)
    assert max(up) == 1
    seen = [
        (e["destination"], e["contact"], e["outcome"], e["duration"])
        for e in ended(events)
    ]
    assert seen == [
        (DEST, None, "canceled", 0),
        (MUM, "Mum", "answered", TALKED),
    ]
    assert totals(hass, init_integration) == (2, TALKED)


async def test_cancel_during_an_in_flight_connect_counts_the_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The automation restarts while connect is in flight (slow answer): the
    placement finishes, is counted and followed; the end announced once."""
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    await add_contact(hass, init_integration, name="Mum", number=MUM)
    await one_call_over(hass)
    answer_late(ha_sim, "connect", 5)
    task = asyncio.create_task(call_contact(hass, contact="Mum", wait=True))
    await advance(hass, freezer, 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(10):
        await advance(hass, freezer, 1)
    await drain(hass)
    ha_sim.sim.delay = 0.5
    await run(hass, freezer, 45)
    assert calls_placed(ha_sim) == [DEST, MUM]
    assert [e["contact"] for e in ended(events)] == [None, "Mum"]
    assert totals(hass, init_integration)[0] == 2


# The event names the contact that was called.


async def test_shared_number_event_names_the_contact_called(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Mum and Dad share the landline and ``call_contact Dad`` rings it: the
    ``connectcall_call_ended`` event (so the logbook line and the Assist status
    tool) names Dad, the contact that was called, not the first one with the
    number."""
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    await add_contact(hass, init_integration, name="Mum", number=MUM)
    await add_contact(hass, init_integration, name="Dad", number=MUM)
    response = await call_contact(hass, contact="dad")
    assert calls_placed(ha_sim) == [MUM]
    await run(hass, freezer, 45)
    assert response["attempts"] == [{"destination": MUM, "outcome": None}]
    (event,) = ended(events)
    line = describe(hass, event)
    assert event["contact"] == "Dad", f"logbook: {line}"


@pytest.mark.usefixtures("ha_sim")
async def test_call_resumed_from_a_record_without_contact_names_it(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """A call to Mum left in progress by the previous version (its record has no
    ``contact``, ``counted`` or ``reported``) is resumed after the update: counted
    once with its talk time, and its ``connectcall_call_ended`` names Mum, found by
    the number."""
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    await add_contact(hass, init_integration, name="Mum", number=MUM)
    await call_contact(hass, contact="Mum")
    await run(hass, freezer, 5)
    await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    record = stored_call(hass_storage, init_integration)
    for key in ("contact", "counted", "reported"):
        record.pop(key)
    await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    await run(hass, freezer, 45)
    assert totals(hass, init_integration) == (1, TALKED)
    assert [(e["destination"], e["contact"]) for e in ended(events)] == [(MUM, "Mum")]


async def test_list_events_name_only_the_number_that_is_a_contact(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    await add_contact(hass, init_integration, name="Mum", number=MUM)
    ha_sim.server.scenarios[B] = "busy"
    await dial(hass, destination=[B, "+31 6 1111 2222"])
    await run(hass, freezer, 60)
    seen = [(e["destination"], e["contact"], e["outcome"]) for e in ended(events)]
    assert seen == [(B, None, "busy"), (MUM, "Mum", "answered")]


@pytest.mark.usefixtures("ha_sim")
async def test_event_keeps_the_name_at_the_dial_after_a_rename(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    sub_id = await add_contact(hass, init_integration, name="Mum", number=MUM)
    await call_contact(hass, contact="Mum")
    await run(hass, freezer, 5)
    await reconfigure_contact(hass, init_integration, sub_id, name="Oma", number=MUM)
    await run(hass, freezer, 45)
    assert [e["contact"] for e in ended(events)] == ["Mum"]


# A call whose ``connect`` got no answer (checked by getStatus): counted and
# announced once it shows progress of its own, and never when it did not
# ring (the previous call's codes are not its progress), also across
# restarts.


async def test_connect_the_server_never_saw_is_not_counted(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """``connect``'s connection drops before the server acts on it (B never
    rings); the checking getStatus shows the previous call's final code. The dial
    may fail, but B is neither counted nor announced: an automation on
    ``connectcall_call_ended`` must not fire for a call that never rang."""
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    await one_call_over(hass)
    ha_sim.sim.add_fault("drop", command="connect")
    # An honest "may have placed the call" error would be fine.
    with contextlib.suppress(HomeAssistantError):
        await dial(hass, destination=B)
    await run(hass, freezer, 10)
    assert calls_placed(ha_sim) == [DEST]  # B never rang
    assert [e["destination"] for e in ended(events)] == [DEST], ended(events)
    assert totals(hass, init_integration)[0] == 1


async def test_dropped_connect_answer_counts_and_announces_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """call_contact into a reused session whose connect answer is dropped:
    checked by getStatus, followed, counted once, announced once, by name."""
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    await add_contact(hass, init_integration, name="Mum", number=MUM)
    await one_call_over(hass)
    ha_sim.sim.add_fault("drop_after", command="connect")
    await call_contact(hass, contact="mum")
    assert ha_sim.server.count("connect") == 1
    await run(hass, freezer, 45)
    assert calls_placed(ha_sim) == [DEST, MUM]
    assert [(e["destination"], e["contact"], e["outcome"]) for e in ended(events)] == [
        (DEST, None, "canceled"),
        (MUM, "Mum", "answered"),
    ]
    assert totals(hass, init_integration) == (2, TALKED)


async def test_lingering_talk_of_the_previous_call_is_no_unconfirmed_calls_progress(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A lagging server (hangUp answers 100, the call goes on a while): during a
    talking call the user dials B, the previous call is announced and ``connect``
    is lost before the server acts on it. The check and the polls show the previous
    call's talking (9) and end: not B's progress, so B, which never rang, is
    neither counted nor announced with the previous call's talk time."""
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    ha_sim.server.behaviour.hangup_effective = False
    await dial(hass)
    await run(hass, freezer, 12)  # talking (9)
    ha_sim.sim.add_fault("drop", command="connect")
    # An honest "may have placed the call" error would be fine too.
    with contextlib.suppress(HomeAssistantError):
        await dial(hass, destination=B)
    await run(hass, freezer, 45)
    assert calls_placed(ha_sim) == [DEST]  # B never rang
    assert [e["destination"] for e in ended(events)] == [DEST], ended(events)
    assert totals(hass, init_integration)[0] == 1


async def test_unconfirmed_call_superseded_before_its_first_poll_is_counted(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Two dials at once (two automations, an agent retrying): the first's
    ``connect`` is acted on but its answer is lost; B rings, UNCONFIRMED (the check
    saw B's own 27). The second dial hangs B up before B's first poll: never two
    calls up, and B, which the server placed, is counted and announced before D."""
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    await one_call_over(hass)
    up = never_two_at_once(ha_sim)
    ha_sim.sim.add_fault("drop_after", command="connect")
    first = asyncio.create_task(dial(hass, destination=B))
    second = asyncio.create_task(dial(hass, destination=D))
    await drain(hass)
    await asyncio.gather(first, second)
    await run(hass, freezer, 45)
    assert max(up) == 1
    assert calls_placed(ha_sim) == [DEST, B, D]
    assert [e["destination"] for e in ended(events)] == [DEST, B, D], ended(events)
    assert totals(hass, init_integration)[0] == 3


async def test_restart_before_an_unconfirmed_call_progressed_does_not_count_it(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """``connect`` is lost before the server acts (B never rings): UNCONFIRMED,
    uncounted. Home Assistant restarts within the 3 s lag guard; the resume's
    getStatus answers 105 ("no changes") and the next poll shows the previous
    call's final 4: not taken as B's end, so B is neither counted nor announced."""
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    await one_call_over(hass)
    ha_sim.sim.add_fault("drop", command="connect")
    with contextlib.suppress(HomeAssistantError):
        await dial(hass, destination=B)
    answer_next(ha_sim, "getStatus", 105)  # the resume's getStatus
    await restart(hass, init_integration)
    await run(hass, freezer, 10)
    assert calls_placed(ha_sim) == [DEST]  # B never rang
    assert [e["destination"] for e in ended(events)] == [DEST], ended(events)
    assert totals(hass, init_integration)[0] == 1


async def test_unconfirmed_real_call_restarted_before_progress_counts_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """connect acted on, its answer lost; the check and the first poll are
    made to see only the previous call's 4: UNCONFIRMED, uncounted, stored so.
    A restart: the resumed run sees B ringing, counts it once, announces
    it once; a further restart counts nothing more."""
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    await one_call_over(hass)
    ha_sim.sim.add_fault("drop_after", command="connect")
    answer_next(ha_sim, "getStatus", 4, 4)
    await dial(hass, destination=B)
    await tick(hass, freezer, 0)  # the delay-0 writes
    assert totals(hass, init_integration)[0] == 1
    assert stored_call(hass_storage, init_integration)["counted"] is False
    await restart(hass, init_integration)
    await run(hass, freezer, 2)
    await tick(hass, freezer, 0)
    assert totals(hass, init_integration)[0] == 2
    assert stored_call(hass_storage, init_integration)["counted"] is True
    await restart(hass, init_integration)
    await run(hass, freezer, 45)
    assert [e["destination"] for e in ended(events)] == [DEST, B]
    assert totals(hass, init_integration) == (2, TALKED)


async def test_unconfirmed_call_answered_at_once_counts_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Simultaneous mode (answered at 4 s), connect's answer lost: counted at
    its first own code, answered, announced once with the talk time."""
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    await one_call_over(hass)
    ha_sim.sim.add_fault("drop_after", command="connect")
    await dial(hass, destination=B, mode="simultaneous")
    await run(hass, freezer, 45)
    seen = [(e["destination"], e["outcome"], e["duration"]) for e in ended(events)]
    assert seen == [(DEST, "canceled", 0), (B, "answered", TALKED)]
    assert totals(hass, init_integration) == (2, TALKED)


async def test_unplaced_unconfirmed_call_superseded_is_never_counted(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """connect lost before the server acted; a new dial at once hangs the
    phantom up: it is neither counted nor announced; the new call is."""
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    await one_call_over(hass)
    ha_sim.sim.add_fault("drop", command="connect")
    await dial(hass, destination=B)
    await dial(hass, destination=D)
    await run(hass, freezer, 45)
    assert calls_placed(ha_sim) == [DEST, D]
    assert [e["destination"] for e in ended(events)] == [DEST, D]
    assert totals(hass, init_integration) == (2, TALKED)


async def test_unplaced_unconfirmed_call_given_up_is_never_counted(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """connect lost before the server acted, then the API fails 5 min: the
    phantom is given up uncounted, unannounced; a restart adds nothing."""
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    await one_call_over(hass)
    ha_sim.sim.add_fault("drop", command="connect")
    await dial(hass, destination=B)
    ha_sim.sim.add_fault("http_500", 400, command="getStatus")
    await run(hass, freezer, 310)
    ha_sim.sim.faults.clear()
    await restart(hass, init_integration)
    await run(hass, freezer, 10)
    assert [e["destination"] for e in ended(events)] == [DEST]
    assert totals(hass, init_integration)[0] == 1
