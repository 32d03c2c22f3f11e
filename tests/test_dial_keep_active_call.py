"""`dial` with `keep_active_call`: a call in progress is never cut.

What a second doorbell press needs: while a call of the account rings, talks,
is being placed or a list of numbers is still being worked through, the dial
sends nothing at all and answers ``skipped``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers.event import (
    EventStateChangedData,
    async_track_state_change_event,
)
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.connectcall.const import DOMAIN
from simulator import core as sim_core

from .helpers import (
    DEST,
    MUM,
    RunningSimulator,
    add_contact,
    advance,
    answer_late,
    call_contact,
    call_status,
    commands,
    contact_button,
    dial,
    dial_scenario,
    drain,
    entity_id_of,
    placements,
    restart,
    run,
    since,
    tick,
    until_done,
)

pytestmark = pytest.mark.usefixtures("init_integration")

OTHER = "0687654321"
THIRD = "0611223344"


async def give_up_a_connected_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    entry: MockConfigEntry,
) -> None:
    """A connected call given up after 5 minutes of failing polls (the server
    still has it); then the server answers again."""
    await dial_scenario(hass, ha_sim, "answered_long")
    await run(hass, freezer, 12)
    assert call_status(hass, entry) == "connected"
    ha_sim.sim.add_fault("http_500", 10_000, command="getStatus")
    # Failing polls back off to one per 30 s: given up at the first failure
    # 5 min after the first one.
    for _ in range(34):
        await tick(hass, freezer, 10)
    assert call_status(hass, entry) == "status_unknown"
    ha_sim.sim.faults.clear()


async def test_a_connected_call_is_left_alone(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    await dial(hass)
    await run(hass, freezer, 10)
    assert call_status(hass, init_integration) == "connected"
    start = ha_sim.server.count()
    response = await dial(hass, destination=OTHER, keep_active_call=True)
    assert response == {
        "status": "connected",
        "status_code": 9,
        "outcome": "line_busy",
        "answered_by": None,
        "attempts": [],
        "skipped": True,
        "held_by": {"destination": DEST, "contact": None, "same_dial": False},
        "error": None,
        "error_key": None,
    }
    # Not a request: no hangUp, no connect, not even a getStatus of its own.
    assert since(ha_sim, start) == []
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
    assert "hangUp" not in commands(ha_sim)


@pytest.mark.usefixtures("freezer")
async def test_without_a_call_in_progress_it_dials(
    hass: HomeAssistant, ha_sim: RunningSimulator
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
    """By default a dial replaces the call in progress (README, `connectcall.dial`)."""
    await dial(hass)
    await tick(hass, freezer)
    response = await dial(hass, destination=OTHER, keep_active_call=False)
    assert response["skipped"] is False
    assert [c.destination for c in ha_sim.server.calls] == [DEST, OTHER]
    assert "hangUp" in commands(ha_sim)


async def test_two_presses_at_once_place_one_call(
    hass: HomeAssistant, ha_sim: RunningSimulator
) -> None:
    """Checked before the first await: the second sees the first placing."""
    first, second = await asyncio.gather(
        dial(hass, keep_active_call=True), dial(hass, keep_active_call=True)
    )
    assert sorted([first["skipped"], second["skipped"]]) == [False, True]
    assert [c.destination for c in ha_sim.server.calls] == [DEST]
    assert commands(ha_sim).count("login") == 2  # the setup probe and the one dial


async def test_a_placement_in_flight_counts_as_a_call(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    await dial(hass)
    await hass.services.async_call(DOMAIN, "hang_up", blocking=True)
    answer_late(ha_sim, "connect", 2)
    placing = asyncio.ensure_future(dial(hass, destination=OTHER))
    await advance(hass, freezer, 0.5)
    assert commands(ha_sim)[-1] == "connect"  # the server acted; no answer yet
    response = await dial(hass, keep_active_call=True)
    assert response["skipped"] is True
    await until_done(hass, freezer, placing)
    await drain(hass)
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
    await drain(hass)
    await run(hass, freezer, 8)
    assert call_status(hass, init_integration) == "busy"
    response = await dial(hass, destination=OTHER, keep_active_call=True)
    assert response["skipped"] is True
    await hass.services.async_call(DOMAIN, "hang_up", blocking=True)
    await until_done(hass, freezer, listing, step=1, limit=60)
    assert [c.destination for c in ha_sim.server.calls] == [DEST]
    # The list is over: now a dial goes through.
    response = await dial(hass, destination=OTHER, keep_active_call=True)
    assert response["skipped"] is False


async def test_keep_dial_never_cuts_a_call_only_given_up_locally(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """After 5 minutes of failing polls the call is given up, but the server
    still has it: a keep dial asks the server once and leaves it alone."""
    await give_up_a_connected_call(hass, freezer, ha_sim, init_integration)
    assert ha_sim.server.active_call() is ha_sim.server.calls[0]  # still talking
    start = ha_sim.server.count()
    response = await dial(hass, destination=OTHER, keep_active_call=True)
    await drain(hass)
    # The doorbell press must not cut the conversation the server still has.
    assert "hangUp" not in since(ha_sim, start)
    assert ha_sim.server.active_call() is ha_sim.server.calls[0]
    assert response["skipped"] is True


async def test_keep_dial_goes_through_after_a_hang_up_of_a_waiting_list(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A hang-up ends a waiting list at once (its pause before a busy
    re-dial wakes): a press right after it rings."""
    ha_sim.server.scenarios[DEST] = "busy"
    listing = asyncio.ensure_future(
        dial(hass, retry_busy=1, retry_delay=300, ring_timeout=60, wait=True)
    )
    try:
        await drain(hass)
        await run(hass, freezer, 8)
        assert call_status(hass, init_integration) == "busy"
        await hass.services.async_call(DOMAIN, "hang_up", blocking=True)
        # The list is cancelled (hang_up cancels a running list) and
        # no call exists: a doorbell press now must ring.
        response = await dial(hass, destination=OTHER, keep_active_call=True)
        assert response["skipped"] is False
        assert [c.destination for c in ha_sim.server.calls] == [DEST, OTHER]
    finally:
        listing.cancel()
        await asyncio.gather(listing, return_exceptions=True)


async def test_keep_dial_skipped_while_a_plain_dial_supersedes_a_list(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A plain dial replacing a background list yields before it places:
    a keep dial in that moment sends nothing."""
    ha_sim.server.scenarios[DEST] = "busy"
    await dial(hass, retry_busy=1, retry_delay=30, ring_timeout=60)
    await run(hass, freezer, 8)
    assert call_status(hass, init_integration) == "busy"
    start = ha_sim.server.count()
    plain, keep = await asyncio.gather(
        dial(hass, destination=OTHER),
        dial(hass, destination=THIRD, keep_active_call=True),
    )
    await drain(hass)
    assert plain["skipped"] is False
    # A dial is being placed: the keep dial must send nothing.
    assert [c.destination for c in ha_sim.server.calls] == [DEST, OTHER]
    assert "hangUp" not in since(ha_sim, start)
    assert keep["skipped"] is True


async def test_keep_dial_right_after_a_lists_first_call_ended(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A press in the loop turn after a waiting list's first call ended
    (busy at its first poll) is skipped; the list goes on to the next."""
    monkeypatch.setitem(sim_core.SCENARIOS, "instant_busy", ((0, 10),))
    ha_sim.server.scenarios[DEST] = "instant_busy"
    status = entity_id_of(hass, init_integration, "sensor", "call_status")
    late: list[asyncio.Task[dict[str, Any]]] = []

    def press() -> None:
        # The press arrives at the first loop turn after the placement ended.
        if placements(hass):
            hass.loop.call_soon(press)
            return
        late.append(
            hass.async_create_task(dial(hass, destination=THIRD, keep_active_call=True))
        )

    @callback
    def on_change(event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        if new is not None and new.state == "busy" and not late:
            late.append(None)  # type: ignore[arg-type]
            hass.loop.call_soon(press)

    unsub = async_track_state_change_event(hass, [status], on_change)
    listing = asyncio.ensure_future(
        dial(
            hass,
            destination=[DEST, OTHER],
            wait=True,
            keep_active_call=True,
            ring_timeout=20,
        )
    )
    first = await until_done(hass, freezer, listing, step=1, limit=60)
    unsub()
    await drain(hass)
    assert len(late) == 2
    assert late[1].done()
    second = late[1].result()
    assert [c.destination for c in ha_sim.server.calls] == [DEST, OTHER]
    assert second["skipped"] is True
    assert first["outcome"] == "answered"


async def test_a_given_up_call_the_server_ended_does_not_block_the_next(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The server, asked once, says the given-up call is over: the press
    rings (a doorbell must not stay mute after an outage)."""
    await give_up_a_connected_call(hass, freezer, ha_sim, init_integration)
    ha_sim.server.calls[0].hang_up(ha_sim.server.clock())
    start = ha_sim.server.count()
    response = await dial(hass, destination=OTHER, keep_active_call=True)
    assert response["skipped"] is False
    assert since(ha_sim, start)[:1] == ["getStatus"]
    assert "connect" in since(ha_sim, start)
    assert [c.destination for c in ha_sim.server.calls] == [DEST, OTHER]


# What holds the line: the held_by.same_dial the doorbell blueprint reads.


async def test_skipped_after_asking_the_server_names_the_other_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A call given up locally (status requests failing) may still be up: a
    keep dial asks the server and is skipped. The call holding the line is
    the earlier one, not the asking dial: same_dial false, so the doorbell
    blueprint reports the visitor instead of staying silent."""
    await give_up_a_connected_call(hass, freezer, ha_sim, init_integration)
    response = await dial(hass, destination=OTHER, keep_active_call=True)
    assert response["skipped"] is True
    assert response["held_by"]["destination"] == DEST
    assert response["held_by"]["same_dial"] is False


async def test_same_dial_is_kept_across_a_restart(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The doorbell's call talks through a restart: the next press of the
    same doorbell is still its own call's (no "nobody answered" while the
    visitor is being talked to)."""
    ha_sim.server.default_scenario = "answered_long"
    bell = {"destination": [DEST], "ring_timeout": 15}
    await dial(hass, **bell)
    await run(hass, freezer, 12)
    assert call_status(hass, init_integration) == "connected"
    await restart(hass, init_integration)
    response = await dial(hass, keep_active_call=True, **bell)
    assert response["skipped"] is True
    assert response["held_by"]["same_dial"] is True


@pytest.mark.usefixtures("init_integration")
async def test_same_dial_for_a_placement_whose_caller_stopped_waiting(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    """The doorbell's run stops (automation reloaded) while its connect is
    in flight: the placement goes on, as it must, and the call it placed is
    still the doorbell's for the next press."""
    bell = {"destination": [DEST], "ring_timeout": 15}
    await dial(hass, **bell)  # an earlier call, so _placed is not None
    await hass.services.async_call(DOMAIN, "hang_up", blocking=True)
    await drain(hass)
    answer_late(ha_sim, "connect", 2)
    run = asyncio.ensure_future(dial(hass, wait=True, keep_active_call=True, **bell))
    await advance(hass, freezer, 0.5)
    assert commands(ha_sim)[-1] == "connect"
    run.cancel()
    await asyncio.gather(run, return_exceptions=True)
    for _ in range(6):
        await advance(hass, freezer, 1)
    await drain(hass)
    ha_sim.sim.delay = 0.5
    assert len(ha_sim.server.calls) == 2
    assert ha_sim.server.active_call() is ha_sim.server.calls[1]
    response = await dial(hass, keep_active_call=True, **bell)
    assert response["skipped"] is True
    assert response["held_by"]["same_dial"] is True


@pytest.mark.parametrize("how", ["call_contact", "button"])
async def test_a_contact_call_to_the_same_number_is_another_dial(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    how: str,
) -> None:
    """The bell rings Mum's number from the default source; Mum is also a
    contact, called by call_contact or her Call button. A press during that
    call is no press during the doorbell's own call: same_dial false."""
    sub_id = await add_contact(hass, init_integration, name="Mum", number=MUM)
    ha_sim.server.scenarios = {MUM: "answered_long"}
    if how == "call_contact":
        await call_contact(hass, contact="Mum")
    else:
        button = contact_button(hass, init_integration, sub_id)
        await hass.services.async_call(
            "button", "press", {"entity_id": button}, blocking=True
        )
    await run(hass, freezer, 12)
    response: dict[str, Any] = await dial(
        hass, destination=[MUM], keep_active_call=True
    )
    assert response["skipped"] is True
    assert response["held_by"]["contact"] == "Mum"
    assert response["held_by"]["same_dial"] is False
