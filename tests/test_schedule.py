"""The cadence in Home Assistant: what the server gets, and when (frozen time).

Fast (0.5 s at the default 1 s) while a call rings and for 2 s after a
change; every 3 s while it is connected and quiet; failing polls back off;
the ring timeout and max_duration hang up on timers of their own.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.connectcall.const import DOMAIN
from simulator import SCENARIOS

from .helpers import (
    RunningSimulator,
    advance,
    answer_105,
    dial,
    dial_scenario,
    drain,
    hang_up_offset,
    left_session,
    request_times,
    restart,
    run,
    tick,
)


async def run_for(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    """Half-second ticks: each fast poll fires on its own tick."""
    for _ in range(round(seconds * 2)):
        await tick(hass, freezer, 0.5)


async def polls_of(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    seconds: float,
    scenario: str = "answered",
) -> list[float]:
    """Dial, the server playing ``scenario``; ``seconds`` on, in half-second
    ticks: when each getStatus went out (seconds after the dial)."""
    await dial_scenario(hass, ha_sim, scenario)
    await run_for(hass, freezer, seconds)
    return request_times(ha_sim)


def halves(start: float, stop: float) -> list[float]:
    """start, start + 0.5, ... up to stop."""
    return [start + n / 2 for n in range(round((stop - start) * 2) + 1)]


@pytest.mark.usefixtures("init_integration")
async def test_spacing_after_each_kind_of_status(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    """The "answered" scenario: 27, 28 at 3 s, 26 at 4 s, 29 at 8 s, 9 at 9 s,
    30 at 39 s. Every 0.5 s until 2 s after 9 showed, then every 3 s."""
    assert await polls_of(hass, freezer, ha_sim, 45) == [
        *halves(0, 11),
        *range(14, 42, 3),
    ]


@pytest.mark.usefixtures("init_integration")
async def test_a_users_hang_up_is_confirmed_at_once(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    """Between two slow polls, a hang-up is confirmed by a poll at once."""
    polls = await polls_of(hass, freezer, ha_sim, 15, "answered_long")
    assert polls[-2:] == [11, 14]
    await hass.services.async_call(DOMAIN, "hang_up", blocking=True)
    assert request_times(ha_sim, "hangUp") == [15]
    assert request_times(ha_sim)[-1] == 15
    await run_for(hass, freezer, 10)
    assert request_times(ha_sim)[-1] == 15  # over: nothing more


@pytest.mark.parametrize(
    ("interval", "expected"),
    [
        # Every 2 s while it rings; 9 shows at 10 s: fast until 18 s, then
        # every 10 s until the end (39 s) shows.
        (4, [*range(0, 20, 2), 28, 38]),
        # Every 1.5 s while it rings; 9 shows at 9 s: fast until 15 s, then
        # every 9 s until the end shows.
        (3, [*(n * 1.5 for n in range(11)), 24, 33, 42]),
    ],
)
async def test_the_option_scales_the_cadence(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    interval: int,
    expected: list[float],
) -> None:
    """The poll interval option: half of it while a call rings and for twice
    it after a change, then three times it (at most 10 s)."""
    hass.config_entries.async_update_entry(
        init_integration,
        options=dict(init_integration.options) | {"poll_interval": interval},
    )
    assert await polls_of(hass, freezer, ha_sim, 45) == expected


@pytest.mark.usefixtures("init_integration")
async def test_a_typical_call_costs_no_more_than_a_fixed_poll(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    monkeypatch: Any,
) -> None:
    """Rings 12 s, talks 60 s: fewer polls than one a second, none after."""
    steps = ((0, 27), (3, 28), (4, 26), (12, 29), (13, 9), (73, 30))
    monkeypatch.setitem(SCENARIOS, "typical", steps)
    polls = await polls_of(hass, freezer, ha_sim, 90, "typical")
    fixed = 1 + 73  # every second from the dial until the end shows
    assert len(polls) <= fixed
    # Ringing to 12 s; 9 shows at 13 s, fast until 15 s; every 3 s to 75 s.
    assert len(polls) == 25 + 6 + 20
    assert polls[-1] - 73 <= 3  # the end shows within the slow spacing


@pytest.mark.usefixtures("init_integration")
async def test_a_call_never_answered_costs_at_most_twice_a_fixed_poll(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    """The "no_answer" scenario: rings until the server's 11 at 34 s."""
    polls = await polls_of(hass, freezer, ha_sim, 45, "no_answer")
    assert polls == halves(0, 34)
    assert len(polls) <= 2 * (1 + 34)


@pytest.mark.usefixtures("init_integration")
async def test_failing_polls_back_off_then_resume_the_pace(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    await dial_scenario(hass, ha_sim, "ringing_forever")
    ha_sim.sim.add_fault("http_500", 6, command="getStatus")
    await run_for(hass, freezer, 62)
    # Failed at 0.5 s, then 1, 2, 4, 8, 16 s apart (capped at 30 s); the
    # seventh answers, and the call rings: fast again.
    assert request_times(ha_sim) == [0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5, 61.5, 62.0]


@pytest.mark.usefixtures("init_integration")
async def test_max_duration_hangs_up_between_slow_polls(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    """Answered (29) at 8 s, max_duration 20 s: the hang-up at 28 s sharp,
    though the slow polls come at 26 and 29 s."""
    await dial_scenario(hass, ha_sim, "answered_long", max_duration=20)
    await run_for(hass, freezer, 35)
    assert hang_up_offset(ha_sim) == 28
    assert request_times(ha_sim)[-4:] == [20, 23, 26, 28]  # the hang-up's poll: over


async def test_ring_timeout_hangs_up_between_slow_polls(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """At a 10 s option it rings with polls 5 s apart: a 7 s ring timeout
    hangs up at 7 s, not at the 10 s poll."""
    hass.config_entries.async_update_entry(
        init_integration, options=dict(init_integration.options) | {"poll_interval": 10}
    )
    await dial_scenario(hass, ha_sim, "ringing_forever", ring_timeout=7)
    await run_for(hass, freezer, 15)
    assert hang_up_offset(ha_sim) == 7
    assert request_times(ha_sim) == [0, 5, 7]


@pytest.mark.usefixtures("init_integration")
async def test_a_change_of_pace_never_sends_two_requests_at_once(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    """A slow poll is still out when the bound runs out and the user hangs
    up: each waits for the one before; the server never has two at once."""
    server = ha_sim.server
    in_flight: list[int] = []
    record, answer = server.record, server.answer
    open_requests = 0

    def arrived(*args: Any, **kwargs: Any) -> Any:
        nonlocal open_requests
        open_requests += 1
        in_flight.append(open_requests)
        return record(*args, **kwargs)

    def answered(*args: Any, **kwargs: Any) -> Any:
        nonlocal open_requests
        open_requests -= 1
        return answer(*args, **kwargs)

    server.record = arrived  # type: ignore[method-assign]
    server.answer = answered  # type: ignore[method-assign]
    server.default_scenario = "answered_long"
    await dial(hass, max_duration=14)  # answered at 8 s: the bound at 22 s
    await run_for(hass, freezer, 19.5)
    ha_sim.sim.delay = 4.0  # on the loop's clock: answered at 24 s
    ha_sim.sim.add_fault("slow", 1, command="getStatus")
    await advance(hass, freezer, 0.5)  # the 20 s poll goes out, and waits
    hang_up = hass.async_create_task(
        hass.services.async_call(DOMAIN, "hang_up", blocking=True)
    )
    for _ in range(10):  # to 25 s: the bound (22 s) and the hang-up wait
        await advance(hass, freezer, 0.5)
    await drain(hass)
    await hang_up
    assert max(in_flight) == 1
    assert request_times(ha_sim, "hangUp") == [24]  # once, after the slow answer
    assert server.active_call() is None


@pytest.mark.usefixtures("init_integration")
async def test_a_poll_keeps_its_distance_from_the_keepers_own_status_check(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    """max_duration 20 s (answered at 8 s): at 28 s the hangUp gets an error
    page; the session keeper checks the call with a getStatus of its own.
    The tick's poll is not sent right behind it: the retry (1 s later, the
    back-off's first step) hangs up, and its poll confirms."""
    await dial_scenario(hass, ha_sim, "answered_long", max_duration=20)
    await run_for(hass, freezer, 27.5)
    ha_sim.sim.add_fault("http_500", 1, command="hangUp")
    await run_for(hass, freezer, 2)
    polls = request_times(ha_sim)
    assert min(b - a for a, b in pairwise(polls)) >= 0.5
    assert request_times(ha_sim, "hangUp") == [28, 29]
    assert polls[-3:] == [26, 28, 29]  # 28: the keeper's check


async def test_a_failed_max_duration_hang_up_is_retried_at_the_fast_pace(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """At 3 s (slow polls 9 s apart) a failed hang-up at max_duration is not
    left to the next slow poll: tried again 3 s later (the back-off's first
    step: never faster than the interval into an error)."""
    hass.config_entries.async_update_entry(
        init_integration, options=dict(init_integration.options) | {"poll_interval": 3}
    )
    ha_sim.server.default_scenario = "answered_long"
    await dial(hass, max_duration=20)  # answered (seen) at 9 s: the bound 29 s
    await run_for(hass, freezer, 27.5)
    ha_sim.sim.add_fault("http_500", 1, command="hangUp")
    await run_for(hass, freezer, 15)
    assert request_times(ha_sim, "hangUp") == [29, 32]
    assert ha_sim.server.active_call() is None


@pytest.mark.usefixtures("init_integration")
async def test_a_bound_right_after_a_failed_poll_keeps_the_back_off(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    """getStatus fails from 10 s (next poll due at 11 s); the ring timeout at
    10.25 s hangs up, and its poll waits for the back-off, not the floor."""
    await dial_scenario(hass, ha_sim, "ringing_forever", ring_timeout=10.25)
    await run_for(hass, freezer, 9.5)
    ha_sim.sim.add_fault("http_500", 5, command="getStatus")
    for _ in range(12):  # to 12.5 s in quarter seconds
        await tick(hass, freezer, 0.25)
    assert request_times(ha_sim, "hangUp") == [10.25]
    polls = request_times(ha_sim)
    assert [t for t in polls if t >= 10] == [10, 11]


@pytest.mark.usefixtures("init_integration")
async def test_a_hang_up_the_server_ignores_slows_down_after_a_while(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    """The server accepts hangUp, the call goes on, every getStatus answers
    105: fast for 2 s after the hang-up, then the connected call's 3 s."""
    server = ha_sim.server
    server.default_scenario = "answered_long"
    server.behaviour.hangup_effective = False
    await dial(hass)
    await run_for(hass, freezer, 15)
    answer = server.answer

    def unchanged(query: Any) -> tuple[int, str]:
        if query.get("cmd") == "getStatus":
            return 105, "NoChanges"
        return answer(query)

    server.answer = unchanged  # type: ignore[method-assign]
    await hass.services.async_call(DOMAIN, "hang_up", blocking=True)
    start = len(request_times(ha_sim))
    await run_for(hass, freezer, 60)
    polls = request_times(ha_sim)[start - 1 :]
    assert polls[:6] == [15, 15.5, 16, 16.5, 17, 20]
    assert len(polls) <= 1 + 4 + 60 / 3


async def test_a_resumed_session_that_says_nothing_new_slows_down(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """A session left without a call record (a crash of an older version)
    whose getStatus answers 105 from the start: nothing says a phone rings,
    so after the 2 s that follow any change, every 3 s, not 2 polls a
    second for the rest of the call's life."""
    server = ha_sim.server
    server.default_scenario = "answered_long"
    guid = left_session(ha_sim, "0612345678")
    answer_105(server)
    key = f"{DOMAIN}.{mock_config_entry.entry_id}"
    hass_storage[key] = {
        "version": 1,
        "minor_version": 1,
        "key": key,
        "data": {"guid": guid},
    }
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    start = request_times(ha_sim)[-1]
    await run_for(hass, freezer, 30)
    polls = [round(t - start, 2) for t in request_times(ha_sim)]
    assert polls[:5] == [0, 0.5, 1, 1.5, 2]
    assert all(b - a == 3 for a, b in pairwise(polls[5:]))
    assert len(polls) <= 5 + 30 / 3


async def test_following_ends_on_time_while_polls_back_off(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """max_duration 20 s: the server accepts the hang-up but the call goes
    on, and from just before it every getStatus fails, so polls back off up
    to 30 s apart. Following still ends exactly 60 s after max_duration ran out, on
    a timer of its own, not at the next (late) poll."""
    ha_sim.server.default_scenario = "answered_long"
    ha_sim.server.behaviour.hangup_effective = False
    await dial(hass, max_duration=20)
    await run_for(hass, freezer, 27.5)
    ha_sim.sim.add_fault("http_500", 10_000, command="getStatus")
    await run_for(hass, freezer, 100)
    assert len(request_times(ha_sim, "hangUp")) == 1
    state = init_integration.runtime_data.data
    assert state.status == "status_unknown"
    assert state.answered_at is not None
    assert state.ended_at is not None
    assert (state.ended_at - state.answered_at).total_seconds() == 80


@pytest.mark.parametrize("interval", [1, 4])
async def test_a_resumed_ringing_call_saying_nothing_new_is_polled_fast(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
    interval: int,
) -> None:
    """A call known (by its record) to ring, resumed after a restart in a
    session that says nothing new (105) until the answer at 18.5 s: still
    polled fast, so the answer shows within one fast spacing."""
    monkeypatch.setitem(
        SCENARIOS, "late_answer", ((0, 27), (3, 28), (4, 26), (18.5, 29), (19.5, 9))
    )
    hass.config_entries.async_update_entry(
        init_integration,
        options=dict(init_integration.options) | {"poll_interval": interval},
    )
    await dial_scenario(hass, ha_sim, "late_answer")
    await run(hass, freezer, 6)
    answer_105(ha_sim.server, until=18.5)
    await restart(hass, init_integration)
    for _ in range(60):
        await tick(hass, freezer, 0.5)
    state = init_integration.runtime_data.data
    assert state.answered_at is not None
    assert state.dialled_at is not None
    seen = (state.answered_at - state.dialled_at).total_seconds()
    assert seen <= 18.5 + max(0.5, interval / 2)


async def test_following_ends_on_time_while_a_poll_hangs(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """As above, but the server stops answering (each getStatus times out
    after 10 s): the end of following comes while a poll is under way, and
    is judged right after it, not at the next backed-off poll."""
    sim = ha_sim.sim
    sim.server.default_scenario = "answered_long"
    sim.server.behaviour.hangup_effective = False
    await dial(hass, max_duration=20)
    for _ in range(55):
        await tick(hass, freezer, 0.5)
    sim.delay = 15  # longer than a request may take: no answer
    sim.add_fault("slow", 10_000, command="getStatus")
    for _ in range(300):
        await advance(hass, freezer, 0.5)
    state = init_integration.runtime_data.data
    assert state.answered_at is not None
    assert state.ended_at is not None
    # 60 s after max_duration; at worst one request (10 s) later.
    assert (state.ended_at - state.answered_at).total_seconds() <= 80 + 10
    sim.faults.clear()
    for _ in range(40):
        await advance(hass, freezer, 0.5)
