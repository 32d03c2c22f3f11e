"""Attacks on call safety: a server worse than the simulator where the API
page is silent. The rule above every other: one dial rings at most one call,
and no call the server placed is lost (placed, yet neither followed nor
hang-up-able). Written by a hostile review; sections 1-3 each failed on the
first version of the session keeper and pin its fix."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.connectcall.const import DOMAIN
from simulator.core import command_of

from .conftest import (
    DEST,
    RunningSimulator,
    advance,
    call_status,
    settle,
    tick,
)
from .helpers import until_done
from .test_call_safety import (
    assert_hang_up_ends_it,
    calls_placed,
    hang_up,
    since,
)
from .test_services import commands, dial

B = "0687654321"
C = "0611111111"


def lie(sim: RunningSimulator, command: str, code: int, times: int = 1) -> None:
    """The next ``times`` requests of ``command`` answer ``code``, acting on nothing."""
    server = sim.server
    answer = server.answer
    left = [times]

    def patched(query: Mapping[str, str]) -> tuple[int, str]:
        if left[0] and command_of(query) == command:
            left[0] -= 1
            return code, "x"
        return answer(query)

    server.answer = patched  # type: ignore[method-assign]


def active(sim: RunningSimulator, index: int = -1) -> bool:
    """The server's call ``index`` still rings or talks."""
    return sim.server.calls[index].active(sim.server.clock())


def hung_up_at_server(sim: RunningSimulator, index: int = -1) -> bool:
    return sim.server.calls[index].status(sim.server.clock()) == 4


async def assert_dials_go_on(hass: HomeAssistant, sim: RunningSimulator) -> None:
    """Two dials in a row succeed: nothing is stuck until a reload."""
    for _ in range(2):
        start = sim.server.count()
        key = None
        try:
            await dial(hass, destination=B)
        except HomeAssistantError as err:
            key = err.translation_key
        assert key is None, f"dial failed ({key}); server saw {since(sim, start)}"


async def fails(coro: Any) -> str | None:
    """Await an action that must fail; its translation key."""
    with pytest.raises(HomeAssistantError) as err:
        await coro
    return err.value.translation_key


# 1. Placed calls that must not end up lost.


async def test_uncertain_connect_then_one_lost_code_loses_the_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """connect is acted on but its answer dropped; the settling getStatus
    answers 104 once (the same transient answer a live call's poll survives
    in test_one_lost_code_mid_call_is_not_a_loss). One lost code is not a
    confirmed loss: a second getStatus shows the session alive, and the call
    is followed."""
    await dial(hass)
    await hang_up(hass)
    start = ha_sim.server.count()
    ha_sim.sim.add_fault("drop_after", command="connect")
    lie(ha_sim, "getStatus", 104)
    await dial(hass, destination=B)
    assert since(ha_sim, start)[:3] == ["connect", "getStatus", "getStatus"]
    assert calls_placed(ha_sim) == [DEST, B]
    await hang_up(hass)  # the user tries to stop it
    await tick(hass, freezer)
    assert not active(ha_sim), (
        "call B placed by connect rings on; the integration forgot its GUID "
        f"(session_open={init_integration.runtime_data.session_open}), "
        f"requests after connect: {since(ha_sim, start)[1:]}"
    )


async def test_uncertain_connect_then_network_blip_loses_the_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """connect acted on, then the connection drops for every request that
    follows it (getStatus, hangUp, end, each also re-sent), on a server
    whose `end` leaves a call up (the page does not say). Nothing reached
    the server, so the GUID is kept and the call followed as placed."""
    ha_sim.server.behaviour.end_hangs_up = False
    await dial(hass)
    await hang_up(hass)
    start = ha_sim.server.count()
    ha_sim.sim.add_fault("drop_after", command="connect")
    # Twice each: aiohttp re-sends these GETs once after a drop.
    for command in ("getStatus", "hangUp", "end"):
        ha_sim.sim.add_fault("drop", 2, command=command)
    await dial(hass, destination=B)
    assert since(ha_sim, start)[:7] == ["connect"] + [
        c for c in ("getStatus", "hangUp", "end") for _ in range(2)
    ]
    assert init_integration.runtime_data.session_open
    await hang_up(hass)
    for _ in range(3):
        await tick(hass, freezer)
    assert not active(ha_sim), "call B rings on: GUID forgotten, no hangUp arrived"


async def test_resume_with_one_lost_code_forgets_the_live_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Restart mid-call; the getStatus at setup answers 101 once. Not a loss
    until a second getStatus confirms it: the call is followed and can be
    hung up."""
    await dial(hass)
    await tick(hass, freezer)
    await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    lie(ha_sim, "getStatus", 101)
    start = ha_sim.server.count()
    await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    assert since(ha_sim, start) == ["getStatus", "getStatus"]  # no probe
    assert ha_sim.server.active_call() is not None
    await hang_up(hass)
    await tick(hass, freezer)
    assert ha_sim.server.active_call() is None, (
        f"the call goes on; call status shown: {call_status(hass, init_integration)}"
    )


# 2. A dial must not kill its own call.


async def test_ring_timeout_hang_up_queued_behind_a_dial_hangs_up_the_new_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Call A (ring_timeout 5 s) rings; at 4 s a new dial's hangUp of A is in
    flight when A's 5 s poll decides "hang up at the bound" and queues on the
    lock. The new dial connects B; the queued poll then sends hangUp for the
    session, which now holds B: the new call is killed at once."""
    ha_sim.server.default_scenario = "ringing_forever"
    await dial(hass, ring_timeout=5)
    for _ in range(4):
        await tick(hass, freezer)
    ha_sim.sim.delay = 1.5
    ha_sim.sim.add_fault("late", command="hangUp")
    second = asyncio.ensure_future(dial(hass, destination=B))
    await advance(hass, freezer, 0.5)
    assert commands(ha_sim)[-1] == "hangUp"  # in flight, answered at 5.5 s
    await advance(hass, freezer, 0.75)  # 5.25 s: A's bound is due
    await until_done(hass, freezer, second, step=0.25)
    await settle(hass)
    assert calls_placed(ha_sim) == [DEST, B]
    sent = [c for c in commands(ha_sim) if c != "getStatus"]
    assert sent == ["login", "login", "hangUp", "connect"], sent
    assert active(ha_sim)


async def test_waiting_dial_after_reload_hangs_up_an_answered_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A dial with wait=true is running when the entry reloads. The new run
    resumes the call; the old run's waiter must not run out its 125 s bound
    and hang up the conversation: it ends at the unload, saying so."""
    ha_sim.server.default_scenario = "answered_long"
    waiting = asyncio.ensure_future(fails(dial(hass, wait=True)))
    await settle(hass)
    await tick(hass, freezer)
    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert waiting.done()
    assert waiting.result() == "unloaded"
    for _ in range(20):
        await tick(hass, freezer)
    assert call_status(hass, init_integration) == "connected"
    for _ in range(110):
        await tick(hass, freezer)
        if waiting.done():
            break
    await tick(hass, freezer)
    assert ha_sim.server.active_call() is not None, (
        "the old run's wait bound hung up a call that was answered: "
        f"{[c for c in commands(ha_sim) if c != 'getStatus']}"
    )


# 3. Never stuck until a reload.


async def test_dead_guid_with_http_500_blocks_every_dial(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The server restarts mid-call and answers the stale GUID with HTTP 500
    pages (the simulator's own expired_guid_http_500). The call is given up
    after 5 min; a later hangUp gets a 500 and so does getStatus: the
    session is closed the safe way, and end_session and dials go on."""
    await dial(hass)
    await tick(hass, freezer)
    ha_sim.server.behaviour.expired_guid_http_500 = True
    ha_sim.server.expire_sessions()
    for _ in range(31):
        await tick(hass, freezer, 10)
    assert call_status(hass, init_integration) == "status_unknown"  # given up
    await hass.services.async_call(DOMAIN, "end_session", blocking=True)
    assert not init_integration.runtime_data.session_open
    await assert_dials_go_on(hass, ha_sim)


async def test_reload_with_dead_guid_with_http_500_never_loads(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Stopped mid-call (GUID kept); the server restarted meanwhile and
    answers the stale GUID with HTTP 500. Setup's one getStatus "gets no
    answer", so setup is retried, with the same GUID, for ever."""
    await dial(hass)
    await tick(hass, freezer)
    await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    ha_sim.server.behaviour.expired_guid_http_500 = True
    ha_sim.server.expire_sessions()
    await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    for _ in range(10):
        await tick(hass, freezer, 60)
    assert init_integration.state is ConfigEntryState.LOADED, (
        f"{init_integration.state}: setup attempts "
        f"{commands(ha_sim).count('login') - 2}, each a 500 on getStatus"
    )


async def test_hang_up_refused_for_an_ended_call_blocks_dials(
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


async def test_restart_probe_in_single_session_account_kills_the_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A server whose bare login opens a session (probe "login") and whose
    logins end the account's older sessions (single_session; the page says
    neither). A restart mid-call must leave the call alone, but setup's
    credential probe logs in first and so ends the session holding it."""
    await dial(hass)
    await tick(hass, freezer)
    ha_sim.server.behaviour.probe = "login"
    ha_sim.server.behaviour.single_session = True
    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert ha_sim.server.active_call() is not None, (
        f"restart ended the call; server saw {since(ha_sim, 3)}"
    )


# 4. Pinned behaviour (pass).


async def test_two_dials_race_a_late_login(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A second dial while the first one's login is in flight: it waits,
    hangs up the call the login placed, then connects. Two calls, one up."""
    ha_sim.sim.delay = 2
    ha_sim.sim.add_fault("late", command="login")
    first = asyncio.ensure_future(dial(hass))
    await advance(hass, freezer, 0.5)
    second = asyncio.ensure_future(dial(hass, destination=B))
    await advance(hass, freezer, 0.5)
    assert commands(ha_sim) == ["login", "login"]  # probe, the late login
    await until_done(hass, freezer, asyncio.gather(first, second))
    await settle(hass)
    sent = [c for c in commands(ha_sim) if c != "getStatus"]
    assert sent == ["login", "login", "hangUp", "connect"]
    assert calls_placed(ha_sim) == [DEST, B]
    assert hung_up_at_server(ha_sim, 0)
    assert active(ha_sim)
    await hang_up(hass)
    assert ha_sim.server.active_call() is None


@pytest.mark.parametrize("action", ["hang_up", "end_session"])
async def test_action_during_a_late_login_reaches_the_placed_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    action: str,
) -> None:
    ha_sim.sim.delay = 3
    ha_sim.sim.add_fault("late", command="login")
    dialling = asyncio.ensure_future(dial(hass))
    await advance(hass, freezer, 0.5)
    acting = asyncio.ensure_future(
        hass.services.async_call(DOMAIN, action, blocking=True)
    )
    await advance(hass, freezer, 0.5)
    assert not acting.done()
    await until_done(hass, freezer, asyncio.gather(dialling, acting))
    await settle(hass)
    assert calls_placed(ha_sim) == [DEST]
    assert ha_sim.server.active_call() is None
    assert bool(ha_sim.server.sessions) == (action == "hang_up")


@pytest.mark.parametrize("command", ["login", "connect"])
async def test_stop_during_a_late_placement_keeps_the_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
    command: str,
) -> None:
    """Home Assistant stops while login/connect is in flight: the stop waits
    for it, stores the GUID with the call, and the next start follows it."""
    if command == "connect":
        await dial(hass)
        await hang_up(hass)
    ha_sim.sim.delay = 3
    ha_sim.sim.add_fault("late", command=command)
    dialling = asyncio.ensure_future(dial(hass, destination=B))
    await advance(hass, freezer, 0.5)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await advance(hass, freezer, 0.5)
    await until_done(hass, freezer, dialling)
    await settle(hass)
    stored = hass_storage[f"{DOMAIN}.{init_integration.entry_id}"]["data"]
    assert stored["guid"] == next(iter(ha_sim.server.sessions))
    assert stored["call"]["destination"] == B
    assert active(ha_sim)
    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.LOADED
    await assert_hang_up_ends_it(hass, ha_sim, init_integration)


async def test_reload_during_a_late_connect_resumes_the_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    await dial(hass)
    await hang_up(hass)
    ha_sim.sim.delay = 3
    ha_sim.sim.add_fault("late", command="connect")
    dialling = asyncio.ensure_future(dial(hass, destination=B))
    await advance(hass, freezer, 0.5)
    reloading = asyncio.ensure_future(
        hass.config_entries.async_reload(init_integration.entry_id)
    )
    await until_done(hass, freezer, asyncio.gather(dialling, reloading))
    await settle(hass)
    assert init_integration.state is ConfigEntryState.LOADED
    assert calls_placed(ha_sim) == [DEST, B]
    assert init_integration.runtime_data.session_open
    for _ in range(4):
        await tick(hass, freezer)
    assert call_status(hass, init_integration) == "destination_alerting"
    await hang_up(hass)
    assert ha_sim.server.active_call() is None


async def test_uncertain_connect_and_500_status_hang_up_the_placed_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """connect acted on, answer dropped; getStatus answers one 500 page: the
    session is closed with hangUp first, so the placed call does not ring on."""
    await dial(hass)
    await hang_up(hass)
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


async def test_500_status_right_after_connect_keeps_following(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    await dial(hass)
    await hang_up(hass)
    ha_sim.sim.add_fault("http_500", 2, command="getStatus")
    await dial(hass, destination=B)
    for _ in range(4):
        await tick(hass, freezer)
    assert call_status(hass, init_integration) == "destination_alerting"
    assert calls_placed(ha_sim) == [DEST, B]
    await hang_up(hass)
    assert ha_sim.server.active_call() is None


async def test_session_expiring_between_hang_up_and_connect_logs_in_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    await dial(hass)
    await tick(hass, freezer)
    server = ha_sim.server
    answer = server.answer

    def expire_after_hang_up(query: Mapping[str, str]) -> tuple[int, str]:
        reply = answer(query)
        if command_of(query) == "hangUp":
            server.answer = answer  # type: ignore[method-assign]
            server.expire_sessions()
        return reply

    server.answer = expire_after_hang_up  # type: ignore[method-assign]
    start = server.count()
    await dial(hass, destination=B)
    expected = ["hangUp", "connect", "getStatus", "login", "getStatus"]
    assert since(ha_sim, start) == expected
    assert calls_placed(ha_sim) == [DEST, B]
    assert hung_up_at_server(ha_sim, 0)
    await hang_up(hass)
    assert server.active_call() is None


async def test_resumed_session_answering_105_is_followed_and_hung_up(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    await dial(hass)
    await tick(hass, freezer)
    await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    lie(ha_sim, "getStatus", 105)
    await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.runtime_data.session_open
    for _ in range(10):
        await tick(hass, freezer)
    assert call_status(hass, init_integration) == "connected"
    await hang_up(hass)
    assert ha_sim.server.active_call() is None


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
    await settle(hass)
    ha_sim.sim.delay = 2
    ha_sim.sim.add_fault("late", command="connect")
    for _ in range(4):
        await tick(hass, freezer)
    await advance(hass, freezer, 1)
    assert commands(ha_sim)[-1] == "connect"
    waiting.cancel()
    await advance(hass, freezer, 3)
    await settle(hass)
    assert waiting.cancelled()
    for _ in range(40):
        await tick(hass, freezer)
    assert calls_placed(ha_sim) == [DEST, B]
    assert call_status(hass, init_integration) == "hung_up"  # list ring 30 s
    assert hung_up_at_server(ha_sim)
