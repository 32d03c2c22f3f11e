"""Placing a call (CONTRIBUTING.md, call safety): one dial rings at most one
call, and no call the server placed is lost. Each test teaches the simulator a
bad day, drives Home Assistant through it and asserts what the server received
and placed."""

from __future__ import annotations

import asyncio

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.connectcall.const import DOMAIN

from .helpers import (
    DEST,
    B,
    C,
    RunningSimulator,
    active,
    advance,
    answer_late,
    answer_next,
    assert_quiet,
    call_status,
    calls_placed,
    commands,
    dial,
    dial_scenario,
    dial_waiting,
    drain,
    fails,
    hang_up,
    hung_up_at_server,
    one_call_over,
    run,
    since,
    tick,
    until_done,
)

# Lost, late or refused answers to login and connect.


@pytest.mark.usefixtures("init_integration")
async def test_dropped_login_answer_rings_one_call(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    """The server places the call, the connection drops before its answer:
    aiohttp must not send the login again (it would ring a second call)."""
    ha_sim.sim.add_fault("drop_after", command="login")
    with pytest.raises(HomeAssistantError) as err:
        await dial(hass)
    assert err.value.translation_key == "call_uncertain"
    assert "may have placed the call" in str(err.value)
    assert since(ha_sim, 1) == ["login"]
    assert calls_placed(ha_sim) == ["0612345678"]
    await assert_quiet(hass, freezer, ha_sim, 5)


async def test_dropped_connect_answer_is_checked_and_followed(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    await one_call_over(hass)
    start = ha_sim.server.count()
    ha_sim.sim.add_fault("drop_after", command="connect")
    response = await dial(hass, destination=B)
    # One connect, then getStatus decides it: the session lives, so the call
    # is taken as placed and followed. No login, no second connect.
    assert since(ha_sim, start) == ["connect", "getStatus", "getStatus"]
    assert calls_placed(ha_sim) == ["0612345678", B]
    assert response["status"] == "source_alerting"
    await run(hass, freezer, 4)
    assert call_status(hass, init_integration) == "destination_alerting"
    await hang_up(hass)
    assert ha_sim.server.calls[-1].status(ha_sim.server.clock()) == 4
    assert call_status(hass, init_integration) == "hung_up"


@pytest.mark.usefixtures("freezer")
async def test_connect_and_checking_status_both_fail_drop_session(
    hass: HomeAssistant, ha_sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """A stale GUID answered with HTTP 500 pages: the session is closed
    (hangUp, end: a call connect may have placed is ended) and forgotten, so
    the next dial logs in instead of failing until a reload."""
    await one_call_over(hass)
    old_guid = next(iter(ha_sim.server.sessions))
    ha_sim.server.behaviour.expired_guid_http_500 = True
    ha_sim.server.expire_sessions()
    start = ha_sim.server.count()
    with pytest.raises(HomeAssistantError) as err:
        await dial(hass, destination=B)
    assert err.value.translation_key == "call_uncertain"
    assert since(ha_sim, start) == ["connect", "getStatus", "hangUp", "end"]
    closing = ha_sim.server.requests[-2:]
    assert all(f"guid={old_guid}" in r.query for r in closing)
    assert not init_integration.runtime_data.keeper.is_open
    response = await dial(hass, destination=B)
    assert since(ha_sim, start)[4:] == ["login", "getStatus"]
    assert response["status"] == "source_alerting"
    assert calls_placed(ha_sim) == ["0612345678", B]


@pytest.mark.usefixtures("freezer", "init_integration")
async def test_uncertain_connect_and_500_status_hang_up_the_placed_call(
    hass: HomeAssistant, ha_sim: RunningSimulator
) -> None:
    """connect acted on, answer dropped; getStatus answers one 500 page: the
    session is closed with hangUp first, so the placed call does not ring on."""
    await one_call_over(hass)
    start = ha_sim.server.count()
    ha_sim.sim.add_fault("drop_after", command="connect")
    ha_sim.sim.add_fault("http_500", command="getStatus")
    assert await fails(dial(hass, destination=B)) == "call_uncertain"
    assert since(ha_sim, start) == ["connect", "getStatus", "hangUp", "end"]
    assert calls_placed(ha_sim) == [DEST, B]
    assert hung_up_at_server(ha_sim)
    assert ha_sim.server.sessions == {}
    await dial(hass, destination=C)
    assert since(ha_sim, start)[4:6] == ["login", "getStatus"]
    assert calls_placed(ha_sim) == [DEST, B, C]


async def test_slow_login_is_followed(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A login answered after 12 s (once the phone rings) is waited for."""
    answer_late(ha_sim, "login", 12)
    response = await until_done(hass, freezer, dial(hass), step=1)
    assert since(ha_sim, 1)[:2] == ["login", "getStatus"]
    assert calls_placed(ha_sim) == ["0612345678"]
    assert response["status"] == "connected"  # 12 s into the call
    await tick(hass, freezer)
    assert init_integration.runtime_data.keeper.is_open
    await hang_up(hass)
    assert ha_sim.server.active_call() is None


@pytest.mark.usefixtures("init_integration")
async def test_login_without_answer_in_30_s_is_uncertain(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    answer_late(ha_sim, "login", 40)

    async def failing_dial() -> str | None:
        with pytest.raises(HomeAssistantError) as err:
            await dial(hass)
        return err.value.translation_key

    assert await until_done(hass, freezer, failing_dial(), step=5) == "call_uncertain"
    await advance(hass, freezer, 15)  # the simulator's late answer goes nowhere
    await drain(hass)
    assert since(ha_sim, 1) == ["login"]
    assert calls_placed(ha_sim) == ["0612345678"]


# Whole answers.


async def test_chunked_answers_are_read_whole(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    ha_sim.sim.add_fault("chunked", 3)
    response = await until_done(hass, freezer, dial(hass), step=0.5)
    assert response["status"] == "source_alerting"
    assert [r.fault for r in ha_sim.server.requests[1:3]] == ["chunked", "chunked"]
    assert init_integration.runtime_data.keeper.is_open
    assert calls_placed(ha_sim) == ["0612345678"]


@pytest.mark.usefixtures("freezer", "init_integration")
async def test_default_namespace_is_accepted(
    hass: HomeAssistant, ha_sim: RunningSimulator
) -> None:
    ha_sim.sim.format.namespace = "http://tempuri.org/"
    response = await dial(hass, destination="+31 (0)6 8765 4321")
    assert response["status"] == "source_alerting"
    assert calls_placed(ha_sim) == ["+31687654321"]


# Dials and actions at once: never two calls up, no placed call lost.


async def test_two_dials_at_once_are_serialised(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    await dial(hass)
    await asyncio.gather(
        dial(hass, destination="0611111111"), dial(hass, destination="0622222222")
    )
    # Each new call hung up the one before it: never two calls at once. The
    # first call's own poll may be skipped: by then it was already replaced.
    sent = [c for c in commands(ha_sim)[3:] if c != "getStatus"]
    assert sent == ["hangUp", "connect", "hangUp", "connect"]
    active = [c for c in ha_sim.server.calls if c.active(ha_sim.server.clock())]
    assert len(active) == 1
    assert active[0].destination == ha_sim.server.calls[-1].destination
    await run(hass, freezer, 3)
    assert call_status(hass, init_integration) == "source_connected"
    polls = ha_sim.server.count("getStatus")
    await tick(hass, freezer)
    assert ha_sim.server.count("getStatus") == polls + 1  # one poller, not two


@pytest.mark.usefixtures("init_integration")
async def test_dial_during_a_late_login_hangs_up_the_call_it_placed(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    """A second dial while the first one's login is in flight: it waits,
    hangs up the call the login placed, then connects. Two calls, one up."""
    answer_late(ha_sim, "login", 2)
    first = asyncio.ensure_future(dial(hass))
    await advance(hass, freezer, 0.5)
    second = asyncio.ensure_future(dial(hass, destination=B))
    await advance(hass, freezer, 0.5)
    assert commands(ha_sim) == ["login", "login"]  # probe, the late login
    await until_done(hass, freezer, asyncio.gather(first, second))
    await drain(hass)
    sent = [c for c in commands(ha_sim) if c != "getStatus"]
    assert sent == ["login", "login", "hangUp", "connect"]
    assert calls_placed(ha_sim) == [DEST, B]
    assert hung_up_at_server(ha_sim, 0)
    assert active(ha_sim)
    await hang_up(hass)
    assert ha_sim.server.active_call() is None


@pytest.mark.parametrize("action", ["hang_up", "end_session"])
@pytest.mark.usefixtures("init_integration")
async def test_action_during_a_late_login_reaches_the_placed_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    action: str,
) -> None:
    answer_late(ha_sim, "login", 3)
    dialling = asyncio.ensure_future(dial(hass))
    await advance(hass, freezer, 0.5)
    acting = asyncio.ensure_future(
        hass.services.async_call(DOMAIN, action, blocking=True)
    )
    await advance(hass, freezer, 0.5)
    assert not acting.done()
    await until_done(hass, freezer, asyncio.gather(dialling, acting))
    await drain(hass)
    assert calls_placed(ha_sim) == [DEST]
    assert ha_sim.server.active_call() is None
    assert bool(ha_sim.server.sessions) == (action == "hang_up")


@pytest.mark.usefixtures("init_integration")
async def test_new_dial_waits_for_an_in_flight_connect(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    """An automation in restart mode: the first dial is cancelled mid-connect,
    the second one hangs up the call the first placed before its own."""
    await one_call_over(hass)
    answer_late(ha_sim, "connect", 2)
    first = asyncio.ensure_future(dial(hass, destination=B))
    await advance(hass, freezer, 0.5)
    first.cancel()
    second = await until_done(hass, freezer, dial(hass, destination="0611111111"))
    assert second["status"] == "source_alerting"
    assert calls_placed(ha_sim) == ["0612345678", B, "0611111111"]
    assert ha_sim.server.calls[1].status(ha_sim.server.clock()) == 4
    sent = [c for c in commands(ha_sim) if c != "getStatus"]
    assert sent == ["login", "login", "hangUp", "connect", "hangUp", "connect"]


@pytest.mark.usefixtures("init_integration")
async def test_ring_timeout_hang_up_queued_behind_a_dial_spares_the_new_call(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    """Call A (ring_timeout 5 s) rings; at 4 s a new dial's hangUp of A is in
    flight when A's 5 s poll decides "hang up at the bound" and queues on the
    lock. The new dial connects B; the queued poll then sends hangUp for the
    session, which now holds B: the new call is killed at once."""
    await dial_scenario(hass, ha_sim, "ringing_forever", ring_timeout=5)
    await run(hass, freezer, 4)
    answer_late(ha_sim, "hangUp", 1.5)
    second = asyncio.ensure_future(dial(hass, destination=B))
    await advance(hass, freezer, 0.5)
    assert commands(ha_sim)[-1] == "hangUp"  # in flight, answered at 5.5 s
    await advance(hass, freezer, 0.75)  # 5.25 s: A's bound is due
    await until_done(hass, freezer, second, step=0.25)
    await drain(hass)
    assert calls_placed(ha_sim) == [DEST, B]
    sent = [c for c in commands(ha_sim) if c != "getStatus"]
    assert sent == ["login", "login", "hangUp", "connect"], sent
    assert active(ha_sim)


async def test_list_cancelled_mid_connect_follows_the_placed_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A hang-up while the list's connect is in flight: the connect is not
    cancelled; the call it placed is recorded, and then hung up."""
    ha_sim.server.scenarios = {"0612345678": "busy"}
    await dial(hass, destination=["0612345678", B])
    answer_late(ha_sim, "connect", 2)
    await run(hass, freezer, 4)
    await advance(hass, freezer, 1)  # A is busy: the list connects B
    assert commands(ha_sim)[-1] == "connect"  # in flight: answered in 2 s
    hanging_up = asyncio.ensure_future(hang_up(hass))
    await advance(hass, freezer, 0.5)
    assert not hanging_up.done()
    await until_done(hass, freezer, hanging_up)
    await drain(hass)
    assert calls_placed(ha_sim) == ["0612345678", B]
    assert ha_sim.server.calls[-1].status(ha_sim.server.clock()) == 4
    assert call_status(hass, init_integration) == "hung_up"
    sent = [c for c in commands(ha_sim) if c != "getStatus"]
    assert sent == ["login", "login", "connect", "hangUp"]


async def test_waiting_list_cancelled_mid_connect_places_no_more(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A wait=true list; A is busy; the caller is cancelled while B's connect
    is in flight: B is recorded and followed, C is never dialled."""
    ha_sim.server.scenarios = {DEST: "busy"}
    ha_sim.server.default_scenario = "ringing_forever"
    waiting = asyncio.ensure_future(dial(hass, destination=[DEST, B, C], wait=True))
    await drain(hass)
    answer_late(ha_sim, "connect", 2)
    await run(hass, freezer, 4)
    await advance(hass, freezer, 1)
    assert commands(ha_sim)[-1] == "connect"
    waiting.cancel()
    await advance(hass, freezer, 3)
    await drain(hass)
    assert waiting.cancelled()
    await run(hass, freezer, 40)
    assert calls_placed(ha_sim) == [DEST, B]
    assert call_status(hass, init_integration) == "hung_up"  # list ring 30 s
    assert hung_up_at_server(ha_sim)


@pytest.mark.usefixtures("init_integration")
async def test_a_waiting_dial_answered_at_its_check_returns_without_a_hang_up(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    """connect's answer is lost; the getStatus that checks the session shows
    the call answered, and every later poll fails. The waiting dial answers
    "answered" at once: it never waits out its bound to hang up a talk."""
    await one_call_over(hass)
    ha_sim.sim.add_fault("drop_after", command="connect")
    # 9 (talking) to the check; then an odd code (100), a failed poll, to all.
    answer_next(ha_sim, "getStatus", 9, *[100] * 1000)
    response = await dial_waiting(hass, freezer, destination=B)
    assert response["outcome"] == "answered"
    assert commands(ha_sim).count("hangUp") == 1  # the first call's
