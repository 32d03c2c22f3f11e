"""Restart, reload, stop, unload and removal (CONTRIBUTING.md, call safety): a call
in progress is resumed, never cut and never lost; its session is stored, and
ended the safe way once no call needs it."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.connectcall import session as session_module
from custom_components.connectcall.const import DOMAIN

from .helpers import (
    DEST,
    B,
    C,
    EventLog,
    RunningSimulator,
    active,
    advance,
    answer_late,
    answer_next,
    assert_hang_up_ends_it,
    assert_quiet,
    call_status,
    calls_placed,
    check,
    commands,
    dial,
    dial_scenario,
    drain,
    entity_id_of,
    fails,
    hang_up,
    left_session,
    milestone_automations,
    on,
    ran,
    restart,
    run,
    set_up_automations,
    since,
    state_of,
    stop_home_assistant,
    tick,
    totals,
    until_done,
)

# Restart mid-call: resumed, never cut.


async def test_restart_mid_call_resumes_it(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    event_id = entity_id_of(hass, init_integration, "event", "call")
    events = EventLog(hass, init_integration)
    await dial(hass)
    await run(hass, freezer, 10)
    assert call_status(hass, init_integration) == "connected"
    assert events.types == ["started", "answered"]
    start = ha_sim.server.count()
    await restart(hass, init_integration)
    assert init_integration.state is ConfigEntryState.LOADED
    # Nothing cut the call: one getStatus (the live session proves the
    # password; a probe could end it on a one-session-per-account server).
    assert since(ha_sim, start) == ["getStatus"]
    assert ha_sim.server.active_call() is not None
    assert call_status(hass, init_integration) == "connected"
    active = entity_id_of(hass, init_integration, "binary_sensor", "call_active")
    assert state_of(hass, active).state == "on"
    await run(hass, freezer, 30)
    assert call_status(hass, init_integration) == "destination_ended"
    # started/answered were not fired again; the end was, with the whole talk.
    assert events.types == ["started", "answered", "ended"]
    # 29 at 8 s, 30 at 39 s; resumed, polled every 3 s, the end shows at once.
    assert state_of(hass, event_id).attributes["duration"] == 31.0
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
    await restart(hass, init_integration)
    assert ha_sim.server.active_call() is not None
    await assert_hang_up_ends_it(hass, ha_sim, init_integration)


async def test_reload_mid_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A reload mid-call neither cuts the call nor loses it."""
    await dial(hass)
    await tick(hass, freezer)
    sessions = list(ha_sim.server.sessions)
    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.LOADED
    assert list(ha_sim.server.sessions) == sessions
    assert ha_sim.server.active_call() is not None
    await run(hass, freezer, 3)
    assert call_status(hass, init_integration) == "destination_alerting"


async def test_restart_in_a_single_session_account_keeps_the_call(
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


async def test_restart_with_one_500_on_status_keeps_the_live_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Restart mid-call; the one getStatus at setup gets a single transient
    HTTP 500 page. resume() reads any error page as a dead GUID: it sends
    hangUp + end, ending a conversation a restart must leave alone (and with
    500s on those too, forgets a live call)."""
    await dial_scenario(hass, ha_sim, "answered_long")
    await tick(hass, freezer)
    await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    ha_sim.sim.add_fault("http_500", command="getStatus")
    start = ha_sim.server.count()
    await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    assert active(ha_sim), f"restart ended the call; server saw {since(ha_sim, start)}"


async def test_resume_with_one_lost_code_keeps_the_live_call(
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
    answer_next(ha_sim, "getStatus", 101)
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
    answer_next(ha_sim, "getStatus", 105)
    await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.runtime_data.keeper.is_open
    await run(hass, freezer, 10)
    assert call_status(hass, init_integration) == "connected"
    await hang_up(hass)
    assert ha_sim.server.active_call() is None


async def test_resume_after_password_change_reauths_at_next_login(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Restart mid-call after the password changed: the live session is
    followed (no probe); once it is gone, the next dial's login gets 102,
    reauth starts, and no call is placed."""
    await dial_scenario(hass, ha_sim, "answered_long")
    await tick(hass, freezer)
    await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    ha_sim.server.accounts["alice"] = "changed"
    await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.LOADED
    await hang_up(hass)
    assert ha_sim.server.active_call() is None
    ha_sim.server.expire_sessions()
    assert await fails(dial(hass, destination=B)) == "auth_failed"
    assert calls_placed(ha_sim) == [DEST]
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [f["context"]["source"] for f in flows] == ["reauth"]


# A stored session: resumed, kept or closed the safe way.


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


async def test_crash_left_guid_call_is_followed(
    hass: HomeAssistant,
    ha_sim: RunningSimulator,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """A crash (of a version that stored the GUID alone) left a call going:
    one getStatus finds it, and it is followed and can be hung up."""
    guid = left_session(ha_sim, "0612345678")
    hass_storage[f"{DOMAIN}.{mock_config_entry.entry_id}"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.{mock_config_entry.entry_id}",
        "data": {"guid": guid},
    }
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert commands(ha_sim) == ["login", "getStatus"]
    assert call_status(hass, mock_config_entry) == "source_alerting"
    await hass.services.async_call(DOMAIN, "hang_up", blocking=True)
    assert commands(ha_sim)[2] == "hangUp"
    assert ha_sim.server.active_call() is None
    assert call_status(hass, mock_config_entry) == "hung_up"


async def test_stale_session_kept_while_server_unreachable(
    hass: HomeAssistant,
    ha_sim: RunningSimulator,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    key = f"{DOMAIN}.{mock_config_entry.entry_id}"
    hass_storage[key] = {
        "version": 1,
        "minor_version": 1,
        "key": key,
        "data": {"guid": "stale"},
    }
    ha_sim.sim.add_fault("drop", 6)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert hass_storage[key]["data"] == {"guid": "stale"}


async def test_reload_with_a_dead_guid_answering_http_500_loads(
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


async def test_session_guid_stored_and_cleared(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    key = f"{DOMAIN}.{init_integration.entry_id}"
    await dial(hass)
    await tick(hass, freezer)
    stored = hass_storage[key]["data"]
    assert stored["guid"] == next(iter(ha_sim.server.sessions))
    assert stored["call"]["destination"] == "0612345678"
    await hass.services.async_call(DOMAIN, "end_session", blocking=True)
    await tick(hass, freezer)
    assert hass_storage[key]["data"] == {}
    await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage


# Stop: the call and its GUID are kept.


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
    await stop_home_assistant(hass, init_integration)
    await advance(hass, freezer, 60)
    start = ha_sim.server.count()
    await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    assert since(ha_sim, start) == ["getStatus", "end", "login"]
    assert ha_sim.server.sessions == {}
    assert call_status(hass, init_integration) == "idle"
    assert hass_storage[f"{DOMAIN}.{init_integration.entry_id}"]["data"] == {}


# Stop or reload while a call is being placed or waited for.


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
    answer_late(ha_sim, command, 3)
    dialling = asyncio.ensure_future(dial(hass, destination=B))
    await advance(hass, freezer, 0.5)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await advance(hass, freezer, 0.5)
    await until_done(hass, freezer, dialling)
    await drain(hass)
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
    answer_late(ha_sim, "connect", 3)
    dialling = asyncio.ensure_future(dial(hass, destination=B))
    await advance(hass, freezer, 0.5)
    reloading = asyncio.ensure_future(
        hass.config_entries.async_reload(init_integration.entry_id)
    )
    await until_done(hass, freezer, asyncio.gather(dialling, reloading))
    await drain(hass)
    assert init_integration.state is ConfigEntryState.LOADED
    assert calls_placed(ha_sim) == [DEST, B]
    assert init_integration.runtime_data.keeper.is_open
    await run(hass, freezer, 4)
    assert call_status(hass, init_integration) == "destination_alerting"
    await hang_up(hass)
    assert ha_sim.server.active_call() is None


async def test_waiting_dial_ends_at_a_reload_and_leaves_the_answered_call(
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
    await drain(hass)
    await tick(hass, freezer)
    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert waiting.done()
    assert waiting.result() == "unloaded"
    await run(hass, freezer, 20)
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


async def test_background_list_ring_timeout_survives_a_reload(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A wait=false list; reload while its first number rings: the new run
    enforces that number's ring bound (hangs it up), places nothing more."""
    await dial_scenario(
        hass, ha_sim, "ringing_forever", destination=[DEST, B], ring_timeout=10
    )
    await run(hass, freezer, 3)
    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    await run(hass, freezer, 60)
    assert ha_sim.server.active_call() is None, calls_placed(ha_sim)
    assert calls_placed(ha_sim) == [DEST]


# Unload, end_session, removal: the session is ended.


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


# A call that ended while Home Assistant was stopped (or reloading):
# ``call_ended`` fires once, with what can be known, when it can be acted on.


MISSED = ["busy", "no_answer", "rejected", "canceled", "failed"]


async def _stop_mid_call_then_start(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
    seconds: float,
    *,
    expire: RunningSimulator | None = None,
) -> None:
    """Unload while the call rings; ``seconds`` pass; set up again."""
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    await advance(hass, freezer, seconds)
    if expire is not None:
        expire.server.expire_sessions()
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def test_a_call_answered_and_ended_while_stopped_is_no_missed_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Stopped while it rang; answered at 8 s, talked, ended at 39 s (code 30,
    the server's end of every answered call). Found over at the start, it is
    no missed call: without a recorded answer, 30 tells nothing of how it
    went (``outcome_found``), so the README's missed-call automation stays
    quiet and last_call_outcome is not "missed" for a call she talked in."""
    runs = await set_up_automations(
        hass,
        {
            "missed": on("call_ended", options={"outcome": MISSED}),
            "any": on("call_ended"),
            "last missed": {
                "conditions": [
                    {
                        "condition": "connectcall.last_call_outcome",
                        "options": {"outcome": MISSED},
                    }
                ]
            },
        },
    )
    await dial(hass)
    await tick(hass, freezer)  # ringing: nothing answered yet
    await _stop_mid_call_then_start(hass, freezer, init_integration, 60)
    assert calls_placed(ha_sim) == [DEST]
    assert ha_sim.server.calls[-1].status(ha_sim.server.clock()) == 30
    assert len(ran(runs, "any")) == 1  # its end is told once, as documented
    assert ran(runs, "missed") == [], ran(runs, "missed")
    assert not await check(hass, runs, "last missed")


async def test_a_call_whose_session_was_lost_while_stopped_still_ends_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """call_started fired; the server dropped the session (and its call)
    while Home Assistant was stopped. A running Home Assistant fires
    call_ended for a call whose session is lost (outcome failed/ended); at
    start-up the same loss is found and nothing fires: call_ended never comes
    for a call that call_started announced, and last_call_outcome keeps the
    call before's."""
    runs = await set_up_automations(
        hass,
        {
            "started": on("call_started"),
            "ended": on("call_ended"),
        },
    )
    await dial(hass)
    await tick(hass, freezer)
    await _stop_mid_call_then_start(hass, freezer, init_integration, 60, expire=ha_sim)
    await run(hass, freezer, 5)
    assert len(ran(runs, "started")) == 1
    assert len(ran(runs, "ended")) == 1, "call_ended never fired for the call"


async def test_a_call_found_over_at_a_reload_can_be_acted_on(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A reload (or a setup retry after the start) tells call_ended "at
    once": from inside the entry's setup, before the account is loaded. An
    automation that reacts with a Connect Call action ("Mum was busy: call
    Dad") then fails with "not loaded" and nobody is called."""
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": [
                {
                    "alias": "call the next one",
                    "triggers": [
                        {
                            "trigger": "connectcall.call_ended",
                            "options": {"outcome": ["busy"]},
                        }
                    ],
                    "actions": [
                        {
                            "action": "connectcall.dial",
                            "data": {"destination": C},
                        }
                    ],
                }
            ]
        },
    )
    await hass.async_block_till_done()
    ha_sim.server.scenarios = {B: "busy"}
    await dial(hass, destination=B)
    await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    await advance(hass, freezer, 10)  # busy at the server meanwhile
    await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    await run(hass, freezer, 2)
    assert calls_placed(ha_sim) == [B, C]


@pytest.mark.parametrize("announced", [True, False])
async def test_a_call_announced_before_a_crash_is_not_announced_again(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    announced: bool,
) -> None:
    """Home Assistant stopped without unloading (a crash, a power cut): the
    store holds the call as last written. Found over at start-up, its end is
    told once: not again if the run before had told it already."""
    guid = left_session(ha_sim, DEST)
    ha_sim.server.scenarios = {}
    key = f"{DOMAIN}.{mock_config_entry.entry_id}"
    call = {
        "call_id": 1,
        "destination": DEST,
        "contact": None,
        "dialled": ha_sim.server.clock(),
        "progressed": True,
        "lingering": None,
        "answered": None,
        "ring_timeout": None,
        "max_duration": None,
        "counted": True,
        "reported": announced,
        "answer_reported": False,
    }
    hass_storage[key] = {
        "version": 1,
        "minor_version": 1,
        "key": key,
        "data": {"guid": guid, "call": call},
    }
    runs = await set_up_automations(hass, {"ended": on("call_ended")})
    await advance(hass, freezer, 60)  # the call rings out at the server
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    await run(hass, freezer, 2)
    assert len(ran(runs, "ended")) == (0 if announced else 1)


@pytest.mark.parametrize(
    "data",
    [
        {"placing": "garbage"},
        {"live": True, "call": None, "placing": {}},
        {"live": True, "call": {"destination": "0612345678"}},
        {"live": True, "call": {"call_id": 1, "dialled": None}},
        {"live": True, "call": {"call_id": 1, "dialled": 1.0, "answered": "9"}},
    ],
    ids=[
        "not_a_record",
        "empty_with_a_session",
        "call_without_its_keys",
        "call_without_a_time",
        "call_with_a_word_for_a_time",
    ],
)
async def test_an_unreadable_stored_call_never_stops_the_setup(
    hass: HomeAssistant,
    ha_sim: RunningSimulator,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    data: dict[str, Any],
) -> None:
    """Hand-edited (or damaged) stored data: the setup goes on without it."""
    key = f"{DOMAIN}.{mock_config_entry.entry_id}"
    if data.pop("live", False):
        data["guid"] = left_session(ha_sim)
    hass_storage[key] = {"version": 1, "minor_version": 1, "key": key, "data": data}
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.LOADED
    # Left out once: nothing unreadable is kept for the next start.
    assert "placing" not in hass_storage[key]["data"]


async def test_a_final_code_is_judged_once_at_the_start(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A restart 3.5 s after a dial whose call ended at once (24 at 1 s; a
    lagging server showed the call before's 4 until the stop). The start's
    check reads the final code at the lag guard's last instant, so the call
    is followed; the tracker takes it at that same instant, not a moment
    later (when it would be over with its end never told). Its end is told
    once, at its first poll."""
    runs = await milestone_automations(hass)
    await dial(hass)
    await hang_up(hass)
    # A lagging server: the call before's 4 for 2 s after the next connect.
    ha_sim.server.behaviour.stale_status_seconds = 2
    await dial_scenario(hass, ha_sim, "wrong_source", destination=B)
    await stop_home_assistant(hass, init_integration)
    await advance(hass, freezer, 3.5)
    real = time.time
    # The check's clock: 1 s behind, as if the setup took that long after it.
    monkeypatch.setattr(
        session_module, "time", SimpleNamespace(time=lambda: real() - 1)
    )
    await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    monkeypatch.undo()
    await run(hass, freezer, 5)
    assert [len(ran(runs, name)) for name in ("started", "answered", "ended")] == [
        2,
        0,
        2,
    ]
    assert ran(runs, "ended")[1]["outcome"] == "failed"
    assert totals(hass, init_integration)[0] == 2
    assert ha_sim.server.active_call() is None


async def test_a_call_hung_up_before_a_stop_ends_once_at_the_start(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The user hangs up a talking call; the server accepts the hangUp but
    its end does not show yet (the poll after it fails), and Home Assistant
    stops. At the start the server still says "talking": our accepted
    hang-up ended the call, so its end is told once (answered), never left
    untold; and since the server shows it up, it is hung up before the
    logout, never left talking unfollowed."""
    runs = await milestone_automations(hass)
    # A server that ignored the hangUp it accepted, and whose logout leaves
    # a call up: only a hangUp at the start can end it.
    ha_sim.server.behaviour.hangup_effective = False
    ha_sim.server.behaviour.end_hangs_up = False
    await dial_scenario(hass, ha_sim, "answered_long")
    await run(hass, freezer, 12)  # talking
    ha_sim.sim.add_fault("http_500", command="getStatus")
    await hang_up(hass)
    await stop_home_assistant(hass, init_integration)
    assert [len(ran(runs, name)) for name in ("started", "answered", "ended")] == [
        1,
        1,
        0,
    ]
    await advance(hass, freezer, 5)
    ha_sim.server.behaviour.hangup_effective = True  # a hangUp now ends it
    await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    await run(hass, freezer, 10)
    ended = ran(runs, "ended")
    assert len(ended) == 1
    assert ended[0]["outcome"] == "answered"
    assert totals(hass, init_integration)[0] == 1
    # The user's, then the start's before its logout: nothing is left up.
    assert commands(ha_sim).count("hangUp") == 2
    assert ha_sim.server.active_call() is None
