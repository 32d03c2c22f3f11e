"""The lag guard (CONTRIBUTING.md): a lagging server's status of the previous
call, right after a new dial, is never taken as the new call's (its end, its
outcome, a hang-up's success), nor at a restart."""

from __future__ import annotations

from collections.abc import Mapping

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.connectcall.const import EVENT_CALL_ENDED
from simulator.core import command_of

from .helpers import (
    DEST,
    TALKED,
    B,
    EventLog,
    RunningSimulator,
    active,
    answer_next,
    call_status,
    dial,
    dial_scenario,
    ended,
    entity_id_of,
    fails,
    hang_up,
    one_call_over,
    restart,
    run,
    since,
    state_of,
    tick,
    totals,
)

# Within the 3 s lag guard (CONTRIBUTING.md, call safety): a server lagging
# longer can still make a new call look ended (README, Known limitations).
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


async def test_stale_status_after_connect_is_not_the_outcome(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    events = EventLog(hass, init_integration)
    await one_call_over(hass)
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
    await run(hass, freezer, 3)
    assert call_status(hass, init_integration) == "destination_alerting"
    assert events.types == ["started", "canceled", "started"]


async def test_stale_final_after_a_new_dial_is_not_the_new_calls_end(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The server shows the previous call's 30 for 2 s after connect: the new
    call is not announced as ended by it; each call announced once."""
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    await dial(hass)
    await run(hass, freezer, 45)
    ha_sim.server.behaviour.stale_status_seconds = 2
    await dial(hass, destination=B)
    await run(hass, freezer, 2)
    assert len(events) == 1
    await run(hass, freezer, 45)
    assert [(e["destination"], e["outcome"], e["duration"]) for e in ended(events)] == [
        (DEST, "answered", TALKED),
        (B, "answered", TALKED),
    ]
    assert totals(hass, init_integration) == (2, 2 * TALKED)


async def test_refused_hang_up_with_a_stale_final_status_is_not_taken_as_done(
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
    await run(hass, freezer, 40)
    assert not active(ha_sim)
    lagging_hang_up(ha_sim)
    start = ha_sim.server.count()
    await dial(hass, destination=B)
    # Refused, and the final status may be A's: not taken as done.
    assert await fails(hang_up(hass)) == "command_failed"
    await run(hass, freezer, 6)
    await hang_up(hass)  # the user tries again once B is seen ringing
    await tick(hass, freezer)
    assert not active(ha_sim), (
        f"B rings on, shown {call_status(hass, init_integration)!r}; "
        f"server saw {since(ha_sim, start)}"
    )


@pytest.mark.usefixtures("init_integration")
async def test_hang_up_accepted_by_a_lagging_server_ends_the_new_call(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    """Control for
    test_refused_hang_up_with_a_stale_final_status_is_not_taken_as_done: the
    lagging server accepts hangUp (100). B is hung up at the server."""
    ha_sim.server.scenarios = {B: "ringing_forever"}
    await dial(hass)
    await run(hass, freezer, 40)
    ha_sim.server.behaviour.stale_status_seconds = 5
    await dial(hass, destination=B)
    await hang_up(hass)
    await tick(hass, freezer)
    assert not active(ha_sim)  # (shown as "destination_ended": A's stale 30)


async def test_restart_in_the_stale_window_right_after_a_dial_keeps_the_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A lagging server (after a ``connect`` getStatus shows the previous call's
    last code for 2 s): B is dialled into the open session and Home Assistant
    restarts at once. The resume applies the lag guard and does not take that final
    code as B's end: B is not hung up, and is followed, counted and announced once."""
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    ha_sim.server.behaviour.stale_status_seconds = 2
    await one_call_over(hass)
    await run(hass, freezer, 5)
    await dial(hass, destination=B)
    await restart(hass, init_integration)
    assert init_integration.state is ConfigEntryState.LOADED
    assert ha_sim.server.active_call() is not None, "the restart hung B up"
    await run(hass, freezer, 45)
    assert [e["destination"] for e in ended(events)] == [DEST, B], ended(events)
    assert totals(hass, init_integration) == (2, TALKED)


async def test_the_call_before_s_talk_is_no_answer_after_our_hang_up(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A server that accepts the hangUp of a talking call but lets it talk
    on: the call is over here (our hang-up), its last code from the server
    9. The next dial's connect answer is lost, and the getStatus that checks
    the session still shows that talk: the call before's last code, not the
    new call's answer."""
    ha_sim.server.behaviour.hangup_effective = False
    await dial_scenario(hass, ha_sim, "answered_long")
    await run(hass, freezer, 12)  # talking (9)
    await hang_up(hass)  # accepted; the poll after it still shows 9
    assert call_status(hass, init_integration) == "hung_up"
    ha_sim.server.scenarios = {B: "no_answer"}
    ha_sim.sim.add_fault("drop_after", command="connect")
    answer_next(ha_sim, "getStatus", 9)
    await dial(hass, destination=B)
    assert call_status(hass, init_integration) != "connected"
    state = init_integration.runtime_data.data
    assert (state.destination, state.answered_at) == (B, None)
