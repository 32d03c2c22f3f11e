"""Following a call is bounded (CONTRIBUTING.md, call safety): polls give up,
stop past max_duration or 4 h, and a give-up counts per call."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .helpers import (
    B,
    RunningSimulator,
    advance,
    assert_quiet,
    call_status,
    dial,
    dial_scenario,
    drain,
    hang_up,
    run,
    since,
    tick,
)


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
    await run(hass, freezer, 3)
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
    await dial_scenario(hass, ha_sim, "answered_long", max_duration=10)
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
    await dial_scenario(hass, ha_sim, "answered_long")
    for _ in range(24 * 6 - 1):
        await tick(hass, freezer, 100)
    assert call_status(hass, init_integration) == "connected"
    await tick(hass, freezer, 100)
    assert call_status(hass, init_integration) == "status_unknown"
    await assert_quiet(hass, freezer, ha_sim, 5)
    # The server never said the call ended: a hang-up still reaches it.
    await hang_up(hass)
    assert ha_sim.server.active_call() is None


async def test_a_slow_hang_up_at_the_bound_is_followed_by_a_poll(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A poll's bounds are judged at the time the poll began.

    Answered at 8 s with max_duration 10: every hang-up fails until 72 s,
    when one is accepted after 8 s on the wire (under REQUEST_TIMEOUT). At
    72 s following had 6 s left (it stops at 8 + 10 + 60 = 78 s): the poll
    goes on and shows the server's 4. The bounds are judged at the time the
    tick began: read again after the slow hang-up, the clock would give the
    call up as "status_unknown" ("outlasted its bounds") although our own
    hang-up had just ended it.
    """
    await dial_scenario(hass, ha_sim, "answered_long", max_duration=10)
    ha_sim.sim.add_fault("http_500", 1000, command="hangUp")
    await run(hass, freezer, 71)
    assert call_status(hass, init_integration) == "connected"
    ha_sim.sim.faults.clear()
    ha_sim.sim.delay = 8
    ha_sim.sim.add_fault("slow", command="hangUp")
    start = ha_sim.server.count()
    await advance(hass, freezer, 1)  # the 72 s tick: the hang-up is due
    for _ in range(8):
        await advance(hass, freezer, 1)
    await drain(hass)
    assert since(ha_sim, start)[:1] == ["hangUp"]
    assert "getStatus" in since(ha_sim, start)
    assert call_status(hass, init_integration) == "hung_up"


async def test_max_duration(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    await dial_scenario(hass, ha_sim, "answered_long", max_duration=10)
    await run(hass, freezer, 30)
    hang_up = next(r for r in ha_sim.server.requests if r.command == "hangUp")
    # Answered (29) at 8 s; hung up 10 s later.
    assert hang_up.at - ha_sim.server.calls[-1].started == 18
    assert call_status(hass, init_integration) == "hung_up"
