"""Hanging up (CONTRIBUTING.md, call safety): a failed or refused hang-up leaves
the call followed, a later one ends it, and a refusal for a call that already
ended blocks nothing."""

from __future__ import annotations

import asyncio

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .helpers import (
    EventLog,
    RunningSimulator,
    active,
    answer_105,
    answer_next,
    assert_dials_go_on,
    call_status,
    dial,
    dial_scenario,
    fails,
    hang_up,
    hang_up_offset,
    request_times,
    restart,
    run,
    tick,
)


async def test_failed_hang_up_keeps_the_call_followed(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    await dial(hass)
    ha_sim.sim.add_fault("http_500", command="hangUp")
    with pytest.raises(HomeAssistantError):
        await hang_up(hass)
    await run(hass, freezer, 4)
    assert call_status(hass, init_integration) == "destination_alerting"
    await hang_up(hass)
    assert call_status(hass, init_integration) == "hung_up"
    assert ha_sim.server.active_call() is None


async def test_failed_hang_up_before_new_dial_keeps_following_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    await dial(hass)
    ha_sim.sim.add_fault("huge")
    with pytest.raises(HomeAssistantError) as err:
        await dial(hass, destination="0687654321")
    assert err.value.translation_key == "invalid_response"
    assert [c.destination for c in ha_sim.server.calls] == ["0612345678"]
    await run(hass, freezer, 4)
    # Still followed: the first call's status keeps moving.
    assert call_status(hass, init_integration) == "destination_alerting"


@pytest.mark.parametrize(
    ("fault", "hang_ups"),
    [
        (None, [None]),
        ("drop", ["drop", "drop", None]),
        ("http_500", ["http_500", "http_500", None]),
    ],
)
async def test_ring_timeout_hangs_up_once_retrying_a_failed_hang_up(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    fault: str | None,
    hang_ups: list[str | None],
) -> None:
    """The dial's ring timeout hangs up at 5 s; a hang-up that fails is sent
    again until one is answered, and the call ends as not answered."""
    ha_sim.server.default_scenario = "ringing_forever"
    events = EventLog(hass, init_integration)
    await dial(hass, ring_timeout=5)
    if fault is not None:
        ha_sim.sim.add_fault(fault, 2, command="hangUp")
    await run(hass, freezer, 7)
    assert hang_up_offset(ha_sim) == 5
    sent = [r.fault for r in ha_sim.server.requests if r.command == "hangUp"]
    assert sent == hang_ups
    assert ha_sim.server.active_call() is None
    assert call_status(hass, init_integration) == "hung_up"
    assert events.types == ["started", "no_answer"]


async def test_wait_bound_with_failed_hang_up_keeps_following(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The wait ran out and its hang-up failed: an error, the call followed."""
    ha_sim.server.default_scenario = "ringing_forever"
    ha_sim.sim.add_fault("http_500", 100, command="hangUp")

    async def waiting() -> str | None:
        with pytest.raises(HomeAssistantError) as err:
            await dial(hass, wait=True)
        return err.value.translation_key

    task = asyncio.ensure_future(waiting())
    await run(hass, freezer, 126)
    assert task.done()
    assert task.result() == "cannot_connect"
    polls = ha_sim.server.count("getStatus")
    await tick(hass, freezer)
    assert ha_sim.server.count("getStatus") == polls + 1
    assert call_status(hass, init_integration) == "destination_alerting"


@pytest.mark.usefixtures("init_integration")
async def test_one_refused_hang_up_with_call_seen_fails_and_keeps_following(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    """hangUp refused once while getStatus shows the call: the action fails,
    the call stays followed and a second hang_up ends it."""
    await dial_scenario(hass, ha_sim, "ringing_forever")
    await tick(hass, freezer)
    answer_next(ha_sim, "hangUp", 101)
    assert await fails(hang_up(hass)) == "command_failed"
    assert active(ha_sim)
    await hang_up(hass)
    assert not active(ha_sim)


async def test_hang_up_refused_for_an_ended_given_up_call_blocks_no_dial(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The page does not say what hangUp answers with no call up; this server
    says 101 (Failed). A call given up after 5 min of failing polls (so the
    server never said it ended) has ended meanwhile. Every dial sends hangUp
    (101), getStatus shows the session alive with a final code, and the dial
    fails: no dial succeeds until a reload."""
    ha_sim.server.behaviour.hangup_when_idle = 101
    await dial(hass)  # "answered": ends with 30 at 39 s
    ha_sim.sim.add_fault("http_500", 10_000, command="getStatus")
    for _ in range(31):
        await tick(hass, freezer, 10)
    assert call_status(hass, init_integration) == "status_unknown"  # given up
    ha_sim.sim.faults.clear()
    await assert_dials_go_on(hass, ha_sim)


@pytest.mark.parametrize("bound", ["ring_timeout", "max_duration"])
@pytest.mark.usefixtures("init_integration")
async def test_a_hang_up_after_a_bound_s_sends_no_second_hang_up(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    bound: str,
) -> None:
    """The ring timeout (or max_duration) hung up and the server accepted
    it, but still says the call goes on. The user's hang-up then sends no
    second hangUp: one per call, unless the first was refused."""
    server = ha_sim.server
    server.behaviour.hangup_effective = False
    if bound == "ring_timeout":
        server.default_scenario = "ringing_forever"
        await dial(hass, ring_timeout=10)
    else:
        server.default_scenario = "answered_long"
        await dial(hass, max_duration=10)
    await run(hass, freezer, 25)
    hang_ups = [r for r in server.requests if r.command == "hangUp"]
    assert len(hang_ups) == 1
    await hang_up(hass)
    await run(hass, freezer, 3)
    assert [r.command for r in server.requests].count("hangUp") == 1


@pytest.mark.usefixtures("init_integration")
async def test_a_waiting_dial_sends_no_second_hang_up_after_the_ring_timeout_s(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    """A waiting dial's ring timeout hangs up at 10 s (accepted; the server
    then says nothing new): its wait running out at 15 s sends no second
    hangUp."""
    server = ha_sim.server
    server.behaviour.hangup_effective = False
    server.default_scenario = "ringing_forever"
    answer_105(server, after=6)
    task = asyncio.create_task(dial(hass, wait=True, ring_timeout=10))
    for _ in range(40):
        await tick(hass, freezer, 0.5)
        if task.done():
            break
    assert task.done()
    assert request_times(ha_sim, "hangUp") == [10]


async def test_a_bound_s_accepted_hang_up_is_not_sent_again_after_a_restart(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """max_duration's hangUp was accepted (the server ignores it and says
    nothing new): the call's record keeps that, so after a restart the bound
    is not due again."""
    server = ha_sim.server
    server.default_scenario = "answered_long"
    server.behaviour.hangup_effective = False
    await dial(hass, max_duration=10)
    answer_105(server, after=12)
    await run(hass, freezer, 25)
    assert len(request_times(ha_sim, "hangUp")) == 1
    await restart(hass, init_integration)
    await run(hass, freezer, 5)
    assert len(request_times(ha_sim, "hangUp")) == 1
