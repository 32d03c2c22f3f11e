"""Call safety (CONTRACT.md): one dial rings at most one call, and no call the
server placed is lost. Each test teaches the simulator a bad day, drives Home
Assistant through it and asserts what the server received and placed."""

from __future__ import annotations

import asyncio
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.connectcall.const import DOMAIN
from simulator.core import command_of

from .conftest import (
    RunningSimulator,
    advance,
    assert_quiet,
    call_status,
    entity_id_of,
    settle,
    state_of,
    tick,
)
from .helpers import until_done
from .test_services import commands, dial

B = "0687654321"


def calls_placed(sim: RunningSimulator) -> list[str]:
    return [call.destination for call in sim.server.calls]


def since(sim: RunningSimulator, start: int) -> list[str]:
    """The commands the server received after the first ``start`` requests."""
    return commands(sim)[start:]


def record_events(hass: HomeAssistant, entity_id: str) -> list[str]:
    """The event types the call event entity fires from now on."""
    fired: list[str] = []
    seen: set[str] = set()

    @callback
    def _changed(event: Event[Any]) -> None:
        # A fire sets a new timestamp; a reload only restores the last one.
        new = event.data["new_state"]
        if (
            event.data["entity_id"] == entity_id
            and new is not None
            and new.state not in seen | {"unavailable", "unknown"}
        ):
            seen.add(new.state)
            fired.append(new.attributes["event_type"])

    hass.bus.async_listen("state_changed", _changed)
    return fired


def answer_next(sim: RunningSimulator, command: str, *codes: int) -> None:
    """The next requests of ``command`` get these codes instead of the
    server's own answer (the server does not act on them)."""
    server = sim.server
    answer = server.answer
    pending = list(codes)

    def patched(query: Any) -> tuple[int, str]:
        if pending and command_of(query) == command:
            return pending.pop(0), "x"
        return answer(query)

    server.answer = patched  # type: ignore[method-assign]


async def hang_up(hass: HomeAssistant) -> None:
    await hass.services.async_call(DOMAIN, "hang_up", blocking=True)


async def assert_hang_up_ends_it(
    hass: HomeAssistant, sim: RunningSimulator, entry: MockConfigEntry
) -> None:
    """The hang_up action reaches the call: over at the server, and shown."""
    await hang_up(hass)
    assert sim.server.active_call() is None
    assert call_status(hass, entry) == "hung_up"


# 1. At most once.


async def test_dropped_login_answer_rings_one_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
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


async def test_dropped_connect_answer_is_settled_and_followed(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    await dial(hass)
    await hang_up(hass)
    start = ha_sim.server.count()
    ha_sim.sim.add_fault("drop_after", command="connect")
    response = await dial(hass, destination=B)
    # One connect, then getStatus settles it: the session lives, so the call
    # is taken as placed and followed. No login, no second connect.
    assert since(ha_sim, start) == ["connect", "getStatus", "getStatus"]
    assert calls_placed(ha_sim) == ["0612345678", B]
    assert response["status"] == "source_alerting"
    for _ in range(4):
        await tick(hass, freezer)
    assert call_status(hass, init_integration) == "destination_alerting"
    await hang_up(hass)
    assert ha_sim.server.calls[-1].status(ha_sim.server.clock()) == 4
    assert call_status(hass, init_integration) == "hung_up"


async def test_connect_and_settling_status_both_fail_drop_session(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A stale GUID answered with HTTP 500 pages: the session is closed
    (hangUp, end: a call connect may have placed is ended) and forgotten, so
    the next dial logs in instead of failing until a reload."""
    await dial(hass)
    await hang_up(hass)
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
    assert not init_integration.runtime_data.session_open
    response = await dial(hass, destination=B)
    assert since(ha_sim, start)[4:] == ["login", "getStatus"]
    assert response["status"] == "source_alerting"
    assert calls_placed(ha_sim) == ["0612345678", B]


async def test_slow_login_is_followed(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A login answered after 12 s (once the phone rings) is waited for."""
    ha_sim.sim.delay = 12
    ha_sim.sim.add_fault("late", command="login")
    response = await until_done(hass, freezer, dial(hass), step=1)
    assert since(ha_sim, 1)[:2] == ["login", "getStatus"]
    assert calls_placed(ha_sim) == ["0612345678"]
    assert response["status"] == "connected"  # 12 s into the call
    await tick(hass, freezer)
    assert init_integration.runtime_data.session_open
    await hang_up(hass)
    assert ha_sim.server.active_call() is None


async def test_login_without_answer_in_30_s_is_uncertain(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    ha_sim.sim.delay = 40
    ha_sim.sim.add_fault("late", command="login")

    async def failing_dial() -> str | None:
        with pytest.raises(HomeAssistantError) as err:
            await dial(hass)
        return err.value.translation_key

    assert await until_done(hass, freezer, failing_dial(), step=5) == "call_uncertain"
    await advance(hass, freezer, 15)  # the simulator's late answer goes nowhere
    await settle(hass)
    assert since(ha_sim, 1) == ["login"]
    assert calls_placed(ha_sim) == ["0612345678"]


# 2. Whole answers.


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
    assert init_integration.runtime_data.session_open
    assert calls_placed(ha_sim) == ["0612345678"]


# 3. Loss confirmed, not assumed.


async def test_connect_refused_by_live_session_no_login(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """104 to connect from a session that getStatus shows alive: a refusal
    (here, a number format the server wants otherwise), not a lost session."""
    await dial(hass)
    await hang_up(hass)
    guid = next(iter(ha_sim.server.sessions))
    ha_sim.server.behaviour.refuse_number = r"\+.*"
    start = ha_sim.server.count()
    with pytest.raises(HomeAssistantError) as err:
        await dial(hass, destination="+31687654321")
    assert err.value.translation_key == "command_failed"
    assert err.value.translation_placeholders == {"code": "104"}
    assert since(ha_sim, start) == ["connect", "getStatus"]
    assert list(ha_sim.server.sessions) == [guid]
    assert calls_placed(ha_sim) == ["0612345678"]
    await dial(hass, destination=B)  # the same session goes on
    assert since(ha_sim, start)[2:4] == ["connect", "getStatus"]
    assert list(ha_sim.server.sessions) == [guid]


@pytest.mark.parametrize("code", [101, 102, 104])
async def test_one_lost_code_mid_call_is_not_a_loss(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    code: int,
) -> None:
    """A getStatus answered 101/102/104 once: the confirming one answers."""
    await dial(hass)
    answer_next(ha_sim, "getStatus", code)
    await tick(hass, freezer)
    assert [r.code for r in ha_sim.server.requests[-2:]] == [code, 27]
    assert call_status(hass, init_integration) == "source_alerting"
    assert init_integration.runtime_data.session_open
    for _ in range(3):
        await tick(hass, freezer)
    assert call_status(hass, init_integration) == "destination_alerting"


async def test_lost_code_to_connect_unconfirmed_is_a_refusal(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """104 to connect, and the confirming getStatus gets no answer: not a
    confirmed loss, so no login; the session is kept."""
    await dial(hass)
    await hang_up(hass)
    answer_next(ha_sim, "connect", 104)
    ha_sim.sim.add_fault("http_500", command="getStatus")
    start = ha_sim.server.count()
    with pytest.raises(HomeAssistantError) as err:
        await dial(hass, destination=B)
    assert err.value.translation_placeholders == {"code": "104"}
    assert since(ha_sim, start) == ["connect", "getStatus"]
    assert init_integration.runtime_data.session_open


async def test_connect_unsent_keeps_session(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """No connection at all: nothing can have been placed, nothing to settle."""
    await dial(hass)
    await hang_up(hass)
    client = init_integration.runtime_data.client
    endpoint, client._endpoint = client._endpoint, "http://127.0.0.1:9/x"
    with pytest.raises(HomeAssistantError) as err:
        await dial(hass, destination=B)
    assert err.value.translation_key == "cannot_connect"
    client._endpoint = endpoint
    assert init_integration.runtime_data.session_open
    await dial(hass, destination=B)
    assert commands(ha_sim)[-2:] == ["connect", "getStatus"]


async def test_hang_up_on_a_lost_session(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """hangUp answered 101 and getStatus confirms: no session, no call left."""
    await dial(hass)
    ha_sim.server.expire_sessions()
    start = ha_sim.server.count()
    await hang_up(hass)
    assert since(ha_sim, start) == ["hangUp", "getStatus"]
    assert not init_integration.runtime_data.session_open
    assert call_status(hass, init_integration) == "hung_up"
    await assert_quiet(hass, freezer, ha_sim, 3)


@pytest.mark.parametrize("codes", [(100,), (101, 103)])
async def test_odd_answers_to_a_poll_are_failures(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    codes: tuple[int, ...],
) -> None:
    """A command code to getStatus (not 101/102/104 twice) is a failed poll,
    not a loss: unavailable for one poll, then followed on."""
    await dial(hass)
    answer_next(ha_sim, "getStatus", *codes)
    await tick(hass, freezer)
    assert call_status(hass, init_integration) == "unavailable"
    await tick(hass, freezer)
    assert call_status(hass, init_integration) == "source_alerting"
    assert init_integration.runtime_data.session_open


async def test_uncertain_connect_status_answers_a_command_code(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Settling getStatus answers 100: the session answers, so it lives."""
    await dial(hass)
    await hang_up(hass)
    ha_sim.sim.add_fault("drop_after", command="connect")
    answer_next(ha_sim, "getStatus", 100)
    await dial(hass, destination=B)
    assert calls_placed(ha_sim) == ["0612345678", B]
    assert init_integration.runtime_data.session_open


async def test_uncertain_connect_in_a_lost_session_is_not_retried(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """connect unanswered, getStatus says the session is gone: no login in
    the same dial (the connect may have rung); the next dial logs in."""
    await dial(hass)
    await hang_up(hass)
    ha_sim.sim.add_fault("drop", command="connect")
    ha_sim.server.expire_sessions()
    start = ha_sim.server.count()
    with pytest.raises(HomeAssistantError) as err:
        await dial(hass, destination=B)
    assert err.value.translation_key == "call_uncertain"
    # The loss confirmed by a second getStatus; closed the safe way.
    assert since(ha_sim, start) == [
        "connect",
        "getStatus",
        "getStatus",
        "hangUp",
        "end",
    ]
    assert not init_integration.runtime_data.session_open
    await dial(hass, destination=B)
    assert since(ha_sim, start)[5:] == ["login", "getStatus"]


# 4. Stale status.


async def test_stale_status_after_connect_is_not_the_outcome(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    events = record_events(hass, entity_id_of(hass, init_integration, "event", "call"))
    await dial(hass)
    await hang_up(hass)
    ha_sim.server.behaviour.stale_status_seconds = 2
    response = await dial(hass, destination=B)
    # The server still says 4 (the last call's hang-up): not this call's end.
    assert ha_sim.server.requests[-1].code == 4
    assert response["status"] == "status_unknown"
    active = entity_id_of(hass, init_integration, "binary_sensor", "call_active")
    assert state_of(hass, active).state == "on"
    await tick(hass, freezer)
    assert state_of(hass, active).state == "on"
    await tick(hass, freezer)
    assert call_status(hass, init_integration) == "source_alerting"
    for _ in range(3):
        await tick(hass, freezer)
    assert call_status(hass, init_integration) == "destination_alerting"
    assert events == ["started", "ended", "started"]


# 5. Never stuck, never unbounded.


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
    for _ in range(4):
        await tick(hass, freezer)
    assert call_status(hass, init_integration) == "destination_alerting"
    await hang_up(hass)
    assert call_status(hass, init_integration) == "hung_up"
    assert ha_sim.server.active_call() is None


async def test_failed_hang_up_at_ring_timeout_is_retried(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    ha_sim.server.default_scenario = "ringing_forever"
    events = record_events(hass, entity_id_of(hass, init_integration, "event", "call"))
    await dial(hass, ring_timeout=5)
    ha_sim.sim.add_fault("drop", 2, command="hangUp")
    for _ in range(7):
        await tick(hass, freezer)
    hang_ups = [r.fault for r in ha_sim.server.requests if r.command == "hangUp"]
    assert hang_ups == ["drop", "drop", None]
    assert ha_sim.server.active_call() is None
    assert call_status(hass, init_integration) == "hung_up"
    assert events == ["started", "no_answer"]


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
    for _ in range(126):
        await tick(hass, freezer)
    assert task.done()
    assert task.result() == "cannot_connect"
    polls = ha_sim.server.count("getStatus")
    await tick(hass, freezer)
    assert ha_sim.server.count("getStatus") == polls + 1
    assert call_status(hass, init_integration) == "destination_alerting"


async def test_give_up_counts_per_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    await dial(hass)
    ha_sim.sim.add_fault("http_500", 10_000, command="getStatus")
    for _ in range(31):
        await tick(hass, freezer, 10)
    assert call_status(hass, init_integration) == "status_unknown"
    ha_sim.sim.faults.clear()
    ha_sim.sim.add_fault("http_500", command="getStatus")
    await dial(hass, destination=B)  # its first poll fails
    assert call_status(hass, init_integration) == "unavailable"
    # The last call's give-up does not carry over: followed on.
    for _ in range(3):
        await tick(hass, freezer)
    assert call_status(hass, init_integration) == "source_connected"


async def test_unchanged_status_keeps_the_state(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    await dial(hass)
    ha_sim.sim.forced = (105, "NoChanges")
    for _ in range(4):
        await tick(hass, freezer)
        assert call_status(hass, init_integration) == "source_alerting"
    ha_sim.sim.forced = None
    await tick(hass, freezer)
    assert call_status(hass, init_integration) == "destination_alerting"


async def test_following_ends_after_max_duration_slack(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Answered, max_duration ran out, every hang-up fails: following ends
    60 s later instead of polling forever."""
    ha_sim.server.default_scenario = "answered_long"
    await dial(hass, max_duration=10)
    ha_sim.sim.add_fault("http_500", 1000, command="hangUp")
    for _ in range(8 + 10 + 59):  # answered at 8 s
        await tick(hass, freezer)
    assert call_status(hass, init_integration) == "connected"
    await tick(hass, freezer)
    assert call_status(hass, init_integration) == "status_unknown"
    await assert_quiet(hass, freezer, ha_sim, 5)


async def test_following_ends_4_hours_after_the_dial(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    ha_sim.server.default_scenario = "answered_long"
    await dial(hass)
    for _ in range(24 * 6 - 1):
        await tick(hass, freezer, 100)
    assert call_status(hass, init_integration) == "connected"
    await tick(hass, freezer, 100)
    assert call_status(hass, init_integration) == "status_unknown"
    await assert_quiet(hass, freezer, ha_sim, 5)
    # The server never said the call ended: a hang-up still reaches it.
    await hang_up(hass)
    assert ha_sim.server.active_call() is None


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
    ha_sim.sim.delay = 2
    ha_sim.sim.add_fault("late", command="connect")
    for _ in range(4):
        await tick(hass, freezer)
    await advance(hass, freezer, 1)  # A is busy: the list connects B
    assert commands(ha_sim)[-1] == "connect"  # in flight: answered in 2 s
    hanging_up = asyncio.ensure_future(hang_up(hass))
    await advance(hass, freezer, 0.5)
    assert not hanging_up.done()
    await until_done(hass, freezer, hanging_up)
    await settle(hass)
    assert calls_placed(ha_sim) == ["0612345678", B]
    assert ha_sim.server.calls[-1].status(ha_sim.server.clock()) == 4
    assert call_status(hass, init_integration) == "hung_up"
    sent = [c for c in commands(ha_sim) if c != "getStatus"]
    assert sent == ["login", "login", "connect", "hangUp"]


async def test_new_dial_waits_for_an_in_flight_connect(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """An automation in restart mode: the first dial is cancelled mid-connect,
    the second one hangs up the call the first placed before its own."""
    await dial(hass)
    await hang_up(hass)
    ha_sim.sim.delay = 2
    ha_sim.sim.add_fault("late", command="connect")
    first = asyncio.ensure_future(dial(hass, destination=B))
    await advance(hass, freezer, 0.5)
    first.cancel()
    second = await until_done(hass, freezer, dial(hass, destination="0611111111"))
    assert second["status"] == "source_alerting"
    assert calls_placed(ha_sim) == ["0612345678", B, "0611111111"]
    assert ha_sim.server.calls[1].status(ha_sim.server.clock()) == 4
    sent = [c for c in commands(ha_sim) if c != "getStatus"]
    assert sent == ["login", "login", "hangUp", "connect", "hangUp", "connect"]


# 6. Restart keeps the call.


async def _restart(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Unload and set up again, as a restart of Home Assistant does."""
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def test_restart_mid_call_resumes_it(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    event_id = entity_id_of(hass, init_integration, "event", "call")
    events = record_events(hass, event_id)
    await dial(hass)
    for _ in range(10):
        await tick(hass, freezer)
    assert call_status(hass, init_integration) == "connected"
    assert events == ["started", "answered"]
    start = ha_sim.server.count()
    await _restart(hass, init_integration)
    assert init_integration.state is ConfigEntryState.LOADED
    # Nothing cut the call: one getStatus (the live session proves the
    # password; a probe could end it on a one-session-per-account server).
    assert since(ha_sim, start) == ["getStatus"]
    assert ha_sim.server.active_call() is not None
    assert call_status(hass, init_integration) == "connected"
    active = entity_id_of(hass, init_integration, "binary_sensor", "call_active")
    assert state_of(hass, active).state == "on"
    for _ in range(30):
        await tick(hass, freezer)
    assert call_status(hass, init_integration) == "destination_ended"
    # started/answered were not fired again; the end was, with the whole talk.
    assert events == ["started", "answered", "ended"]
    assert (
        state_of(hass, event_id).attributes["duration"] == 31.0
    )  # 29 at 8 s, 30 at 39 s
    key = f"{DOMAIN}.{init_integration.entry_id}"
    assert hass_storage[key]["data"]["call"] is None


async def test_restart_mid_call_then_hang_up(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    await dial(hass)
    await tick(hass, freezer)
    await _restart(hass, init_integration)
    assert ha_sim.server.active_call() is not None
    await assert_hang_up_ends_it(hass, ha_sim, init_integration)


async def test_stop_mid_call_leaves_call_and_keeps_guid(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    await dial(hass)
    await tick(hass, freezer)
    start = ha_sim.server.count()
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    assert since(ha_sim, start) == []
    stored = hass_storage[f"{DOMAIN}.{init_integration.entry_id}"]["data"]
    assert stored["guid"] == next(iter(ha_sim.server.sessions))
    assert stored["call"]["destination"] == "0612345678"
    assert ha_sim.server.active_call() is not None
    await assert_quiet(hass, freezer, ha_sim, 3)


async def test_restart_after_the_call_ended_ends_session(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Stopped mid-call; the call ended while Home Assistant was down."""
    await dial(hass)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    await advance(hass, freezer, 60)
    start = ha_sim.server.count()
    await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    assert since(ha_sim, start) == ["getStatus", "end", "login"]
    assert ha_sim.server.sessions == {}
    assert call_status(hass, init_integration) == "idle"
    assert hass_storage[f"{DOMAIN}.{init_integration.entry_id}"]["data"] == {}


@pytest.mark.parametrize(
    ("code", "sent", "kept"),
    [
        (104, ["getStatus", "getStatus", "hangUp", "end", "login"], False),
        (100, ["getStatus"], True),
    ],
)
async def test_resume_of_an_unknown_session(
    hass: HomeAssistant,
    ha_sim: RunningSimulator,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    code: int,
    sent: list[str],
    kept: bool,
) -> None:
    """The stored GUID's getStatus answers 104 twice (gone: closed the safe
    way and forgotten) or an odd 100 (kept and followed: polls decide)."""
    key = f"{DOMAIN}.{mock_config_entry.entry_id}"
    hass_storage[key] = {"version": 1, "key": key, "data": {"guid": "stale"}}
    ha_sim.sim.forced = None
    answer_next(ha_sim, "getStatus", code, code)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert commands(ha_sim) == sent
    assert hass_storage[key]["data"].get("guid") == ("stale" if kept else None)


async def test_unload_without_call_ends_session(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    await dial(hass)
    await hang_up(hass)
    start = ha_sim.server.count()
    await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert since(ha_sim, start) == ["end"]
    assert ha_sim.server.sessions == {}


async def test_unload_bounded_when_server_never_answers(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    await dial(hass)
    await hang_up(hass)
    ha_sim.sim.delay = 100
    ha_sim.sim.add_fault("slow", 10)
    unloading = asyncio.ensure_future(
        hass.config_entries.async_unload(init_integration.entry_id)
    )
    await advance(hass, freezer, 1)
    assert not unloading.done()
    await advance(hass, freezer, 5)
    await until_done(hass, freezer, unloading, step=1, limit=10)
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    assert commands(ha_sim)[-1] == "end"
    await advance(hass, freezer, 100)  # the simulator's handler finishes


async def test_end_session_mid_call_hangs_up_then_ends(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    ha_sim.server.behaviour.end_hangs_up = False
    await dial(hass)
    await tick(hass, freezer)
    start = ha_sim.server.count()
    await hass.services.async_call(DOMAIN, "end_session", blocking=True)
    assert since(ha_sim, start) == ["hangUp", "end"]
    assert ha_sim.server.active_call() is None
    assert ha_sim.server.sessions == {}
    assert call_status(hass, init_integration) == "hung_up"


async def test_removing_entry_mid_call_hangs_up_then_ends(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    ha_sim.server.behaviour.end_hangs_up = False
    await dial(hass)
    await tick(hass, freezer)
    start = ha_sim.server.count()
    await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done()
    assert since(ha_sim, start) == ["hangUp", "end"]
    assert ha_sim.server.active_call() is None
    assert ha_sim.server.sessions == {}
    assert f"{DOMAIN}.{init_integration.entry_id}" not in hass_storage


# 7. Small ones.


async def test_source_ends_before_answer_is_ended(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    ha_sim.server.default_scenario = "source_gives_up"  # 31 before an answer
    events = record_events(hass, entity_id_of(hass, init_integration, "event", "call"))
    await dial(hass)
    for _ in range(7):
        await tick(hass, freezer)
    assert events == ["started", "ended"]


async def test_default_namespace_is_accepted(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    ha_sim.sim.format.namespace = "http://tempuri.org/"
    response = await dial(hass, destination="+31 (0)6 8765 4321")
    assert response["status"] == "source_alerting"
    assert calls_placed(ha_sim) == ["+31687654321"]


async def test_settle_waits_for_answers_and_is_bounded(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The tests' settle() waits for a condition (every request answered),
    and says so instead of hanging when an answer waits for the clock."""
    await dial(hass)
    ha_sim.sim.delay = 5
    ha_sim.sim.add_fault("slow", command="hangUp")
    task = asyncio.ensure_future(hang_up(hass))
    with pytest.raises(AssertionError, match="still in flight"):
        await settle(hass)
    await until_done(hass, freezer, task)
    await settle(hass)
    assert ha_sim.server.active_call() is None
