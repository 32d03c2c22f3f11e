"""Second round of attacks on call safety: attacks on the first round's fixes
(session keeper ``_settle``/``hang_up``/``resume``, coordinator
``_end_call_locked`` and the ``unloaded`` release). The rule: one dial rings
at most one call, no call the server placed is lost, nothing is stuck."""

from __future__ import annotations

from collections.abc import Mapping

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.connectcall.const import DOMAIN
from simulator.core import HTTP_500, command_of

from .conftest import (
    DEST,
    RunningSimulator,
    call_status,
    tick,
)
from .test_attacks import B, C, active, assert_dials_go_on, fails, lie
from .test_call_safety import calls_placed, hang_up, since
from .test_services import dial


def outage_until_login(sim: RunningSimulator) -> None:
    """Every request gets an HTTP 500 page (an overloaded server), acting on
    nothing, until the first ``login`` arrives: that one is served."""
    server = sim.server
    answer = server.answer

    def patched(query: Mapping[str, str]) -> tuple[int, str]:
        if command_of(query) == "login":
            server.answer = answer  # type: ignore[method-assign]
            return answer(query)
        return HTTP_500, "Internal Server Error"

    server.answer = patched  # type: ignore[method-assign]


# Within the contract's 3 s lag guard: a server lagging longer can still make
# a new call look ended (README, Known limitations).
LAG = 2.5


def lagging_hang_up(sim: RunningSimulator) -> None:
    """A lagging server (stale_status_seconds): while getStatus still shows
    the replaced call, hangUp also acts on that ended call and gets the idle
    answer 101, leaving the new call ringing."""
    server = sim.server
    server.behaviour.stale_status_seconds = LAG
    answer = server.answer

    def patched(query: Mapping[str, str]) -> tuple[int, str]:
        session = server.sessions.get(query.get("guid", ""))
        if (
            command_of(query) == "hangUp"
            and session is not None
            and session.previous is not None
            and server.clock() - session.replaced_at < LAG
        ):
            return 101, "Failed"
        return answer(query)

    server.answer = patched  # type: ignore[method-assign]


# 1. Calls the first fixes lost (fixed: pinned).


async def test_stale_final_status_makes_a_refused_hang_up_look_done(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Call A ends (30). B is connected in the same session; the server lags
    5 s (getStatus still says A's 30, hangUp acts on A: 101). The user hangs
    up B at once: refusal + final status is taken as done, the tracker marks
    B hung up, so the stale 30 becomes B's outcome (server_final). B rings on,
    unfollowed, and a second hang_up is a no-op."""
    ha_sim.server.scenarios = {B: "ringing_forever"}
    await dial(hass)
    for _ in range(40):
        await tick(hass, freezer)
    assert not active(ha_sim)
    lagging_hang_up(ha_sim)
    start = ha_sim.server.count()
    await dial(hass, destination=B)
    # Refused, and the final status may be A's: not taken as done.
    assert await fails(hang_up(hass)) == "command_failed"
    for _ in range(6):
        await tick(hass, freezer)
    await hang_up(hass)  # the user tries again once B is seen ringing
    await tick(hass, freezer)
    assert not active(ha_sim), (
        f"B rings on, shown {call_status(hass, init_integration)!r}; "
        f"server saw {since(ha_sim, start)}"
    )


async def test_overloaded_server_makes_a_dial_forget_a_live_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A is talking; the server answers HTTP 500 to everything for 5+ min (an
    overload, not a dead GUID): A is given up. The next dial's hangUp and
    getStatus get 500, so _end_call_locked closes the session "the safe way"
    (hangUp 500, end 500: nothing acted on) and forgets A's GUID. The server
    recovers as the login arrives: B rings while A talks on, lost."""
    ha_sim.server.default_scenario = "answered_long"
    await dial(hass)
    await tick(hass, freezer)
    outage_until_login(ha_sim)
    for _ in range(31):
        await tick(hass, freezer, 10)
    assert call_status(hass, init_integration) == "status_unknown"  # given up
    start = ha_sim.server.count()
    await dial(hass, destination=B)
    # The GUID's error pages are checked against a login that places nothing:
    # the server answers it, so the GUID is dead and is closed with hangUp.
    assert since(ha_sim, start)[:3] == ["hangUp", "getStatus", "getStatus"]
    await hang_up(hass)
    await tick(hass, freezer)
    assert not active(ha_sim, 0), (
        f"A talks on with its GUID forgotten; server saw {since(ha_sim, start)}"
    )


async def test_restart_with_one_500_on_status_ends_the_live_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Restart mid-call; the one getStatus at setup gets a single transient
    HTTP 500 page. resume() reads any error page as a dead GUID: it sends
    hangUp + end, ending a conversation a restart must leave alone (and with
    500s on those too, forgets a live call)."""
    ha_sim.server.default_scenario = "answered_long"
    await dial(hass)
    await tick(hass, freezer)
    await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    ha_sim.sim.add_fault("http_500", command="getStatus")
    start = ha_sim.server.count()
    await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    assert active(ha_sim), f"restart ended the call; server saw {since(ha_sim, start)}"


# 2. Pinned behaviour (pass).


async def test_kept_session_then_500_for_the_guid_unblocks_within_give_up(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """connect acted on, nothing after it reached the server: the session is
    kept and B followed. The server restarts and answers the GUID with 500
    pages: dials fail while B is followed, then (given up after 5 min) the
    next dial closes the session and logs in. Bounded, not stuck."""
    await dial(hass)
    await hang_up(hass)
    ha_sim.sim.add_fault("drop_after", command="connect")
    for command in ("getStatus", "hangUp", "end"):
        ha_sim.sim.add_fault("drop", 2, command=command)
    await dial(hass, destination=B)
    assert init_integration.runtime_data.session_open
    ha_sim.server.behaviour.expired_guid_http_500 = True
    ha_sim.server.expire_sessions()
    assert await fails(dial(hass, destination=C)) == "cannot_connect"
    for _ in range(31):
        await tick(hass, freezer, 10)
    assert call_status(hass, init_integration) == "status_unknown"
    await assert_dials_go_on(hass, ha_sim)


async def test_kept_session_then_104_for_the_guid_logs_in(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """As above, the server then answers the GUID 104: the next dial's
    hangUp (104) plus one getStatus (104) confirm the loss, one login."""
    await dial(hass)
    await hang_up(hass)
    ha_sim.sim.add_fault("drop_after", command="connect")
    for command in ("getStatus", "hangUp", "end"):
        ha_sim.sim.add_fault("drop", 2, command=command)
    await dial(hass, destination=B)
    ha_sim.server.behaviour.expired_guid_code = 104
    ha_sim.server.expire_sessions()
    start = ha_sim.server.count()
    await dial(hass, destination=C)
    assert since(ha_sim, start)[:4] == ["hangUp", "getStatus", "login", "getStatus"]
    assert calls_placed(ha_sim) == [DEST, B, C]


async def test_resume_after_password_change_reauths_at_next_login(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Restart mid-call after the password changed: the live session is
    followed (no probe); once it is gone, the next dial's login gets 102,
    reauth starts, and no call is placed."""
    ha_sim.server.default_scenario = "answered_long"
    await dial(hass)
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


async def test_background_list_ring_timeout_survives_a_reload(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A wait=false list; reload while its first number rings: the new run
    enforces that number's ring bound (hangs it up), places nothing more."""
    ha_sim.server.default_scenario = "ringing_forever"
    await dial(hass, destination=[DEST, B], ring_timeout=10)
    for _ in range(3):
        await tick(hass, freezer)
    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    for _ in range(60):
        await tick(hass, freezer)
    assert ha_sim.server.active_call() is None, calls_placed(ha_sim)
    assert calls_placed(ha_sim) == [DEST]


async def test_stale_status_right_after_connect_with_accepted_hang_up(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Control for the first attack: the lagging server accepts hangUp (100).
    B is hung up at the server."""
    ha_sim.server.scenarios = {B: "ringing_forever"}
    await dial(hass)
    for _ in range(40):
        await tick(hass, freezer)
    ha_sim.server.behaviour.stale_status_seconds = 5
    await dial(hass, destination=B)
    await hang_up(hass)
    await tick(hass, freezer)
    assert not active(ha_sim)  # (shown as "destination_ended": A's stale 30)


async def test_one_refused_hang_up_with_call_seen_fails_and_keeps_following(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """hangUp refused once while getStatus shows the call: the action fails,
    the call stays followed and a second hang_up ends it."""
    ha_sim.server.default_scenario = "ringing_forever"
    await dial(hass)
    await tick(hass, freezer)
    lie(ha_sim, "hangUp", 101)
    assert await fails(hang_up(hass)) == "command_failed"
    assert active(ha_sim)
    await hang_up(hass)
    assert not active(ha_sim)
