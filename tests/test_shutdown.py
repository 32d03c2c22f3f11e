"""A poll timer that fires once shutdown began leaves the call alone.

CONTRIBUTING.md, "Restart, unload and removal": a restart (unload, Home
Assistant's stop) leaves a call in progress alone and keeps its session for
the next start. A call's poll timer may still fire while the shutdown runs
(here: while it waits for a call list it cancelled); that tick must not
enforce the call's ring timeout (``hangUp``) nor send anything else. Time
is driven by the freezer and ``async_fire_time_changed``; asserted on what
the server received.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.connectcall.const import DOMAIN

from .helpers import (
    DEST,
    RunningSimulator,
    advance,
    answer_late,
    assert_quiet,
    calls_placed,
    commands,
    dial,
    drain,
    milestone_automations,
    ran,
    run,
    totals,
    until_done,
)

RING_TIMEOUT = 10
RINGING = {26, 27, 28}  # alerting or source connected: the call is up


async def dial_ringing_call(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, sim: RunningSimulator
) -> str:
    """A call that rings on, its ring timeout just short of due; returns its GUID.

    ``retry_busy`` keeps the dial's plan running in the background, which a
    shutdown cancels and waits for: the window in which a timer can fire.
    """
    sim.server.default_scenario = "ringing_forever"
    await hass.services.async_call(
        DOMAIN,
        "dial",
        {"destination": DEST, "ring_timeout": RING_TIMEOUT, "retry_busy": 1},
        blocking=True,
        return_response=True,
    )
    await run(hass, freezer, RING_TIMEOUT - 1)
    assert sim.server.count("hangUp") == 0
    assert len(sim.server.sessions) == 1
    return next(iter(sim.server.sessions))


def make_ring_timeout_due(freezer: FrozenDateTimeFactory) -> None:
    """Move past the ring timeout (and the next poll) without running the loop."""
    freezer.tick(timedelta(seconds=1.5))


def assert_call_left_alone(
    sim: RunningSimulator, start: int, hass_storage: dict[str, Any], entry_id: str
) -> None:
    """Nothing reached the server; the call is up; its GUID is kept."""
    sent = [r.command for r in sim.server.requests[start:]]
    assert sent == [], f"sent after shutdown began: {sent}"
    call = sim.server.active_call()
    assert call is not None
    assert call.status(sim.server.clock()) in RINGING
    assert call.hung_up_at is None
    stored = hass_storage[f"{DOMAIN}.{entry_id}"]["data"]
    assert stored["guid"] in sim.server.sessions
    assert stored["call"]["destination"] == DEST


@pytest.mark.usefixtures("init_integration")
async def test_control_due_ring_timeout_hangs_up(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    """Without a shutdown, the very same timer hangs up: it is due."""
    await dial_ringing_call(hass, freezer, ha_sim)
    start = ha_sim.server.count()
    make_ring_timeout_due(freezer)
    async_fire_time_changed(hass)
    await drain(hass)
    assert [r.command for r in ha_sim.server.requests[start:]][:1] == ["hangUp"]
    assert ha_sim.server.active_call() is None


@pytest.mark.parametrize("how", ["stop", "unload"])
async def test_poll_timer_after_shutdown_began_sends_nothing(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
    how: str,
) -> None:
    """A poll (or ring-timeout) timer that comes due once Home Assistant's
    stop or the entry's unload has begun sends nothing: the call is left
    alone for the next start."""
    await dial_ringing_call(hass, freezer, ha_sim)
    start = ha_sim.server.count()
    if how == "stop":
        make_ring_timeout_due(freezer)
        # The stop's shutdown starts at once and waits for the cancelled list;
        # then the due poll timer fires.
        hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
        async_fire_time_changed(hass)
        await drain(hass)
    else:
        fired: list[bool] = []

        async def fire_timers_once_shutdown_began() -> None:
            # Unload callbacks run newest first, each started at once: this
            # one resumes after the coordinator's shutdown (registered first)
            # began.
            await asyncio.sleep(0)
            make_ring_timeout_due(freezer)
            async_fire_time_changed(hass)
            fired.append(True)

        def on_unload() -> Coroutine[Any, Any, None]:
            return fire_timers_once_shutdown_began()

        init_integration.async_on_unload(on_unload)
        assert await hass.config_entries.async_unload(init_integration.entry_id)
        await drain(hass)
        assert fired == [True]
        assert init_integration.state is ConfigEntryState.NOT_LOADED
    assert_call_left_alone(ha_sim, start, hass_storage, init_integration.entry_id)
    await assert_quiet(hass, freezer, ha_sim, 5)
    assert ha_sim.server.active_call() is not None


@pytest.mark.parametrize("how", ["stop", "unload"])
async def test_call_left_at_shutdown_is_resumed_at_next_start(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    how: str,
) -> None:
    """The call left alone is found again: the next start only asks getStatus."""
    guid = await dial_ringing_call(hass, freezer, ha_sim)
    start = ha_sim.server.count()
    if how == "stop":
        hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
        await drain(hass)
    await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert ha_sim.server.count() == start
    await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.LOADED
    assert [r.command for r in ha_sim.server.requests[start:]] == ["getStatus"]
    assert guid in ha_sim.server.sessions
    assert ha_sim.server.active_call() is not None


async def test_a_call_placed_while_stopping_counts_and_is_told(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Home Assistant stops while a dial's login is out; the server accepts
    it (the GUID arrives), the stop waits for it and leaves the call, which
    ends while Home Assistant is down. The server accepted the dial: Calls
    counts it, and its start and end are told once."""
    runs = await milestone_automations(hass)
    ha_sim.server.default_scenario = "busy"  # over 5 s after the dial
    answer_late(ha_sim, "login", 3)
    dialling = asyncio.ensure_future(dial(hass))
    await advance(hass, freezer, 0.5)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await advance(hass, freezer, 0.5)
    await until_done(hass, freezer, asyncio.gather(dialling, return_exceptions=True))
    await drain(hass)
    assert calls_placed(ha_sim) == [DEST]
    # Down for a while: the call ends at the server meanwhile.
    await advance(hass, freezer, 30)
    assert ha_sim.server.active_call() is None
    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    await drain(hass)
    await run(hass, freezer, 5)
    told = (
        totals(hass, init_integration)[0],
        len(ran(runs, "started")),
        len(ran(runs, "ended")),
    )
    assert told == (1, 1, 1)  # (Calls, started told, ended told)


@pytest.mark.parametrize("how", ["unload", "stop"])
async def test_unload_bounded_when_server_hangs(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    how: str,
) -> None:
    """The server never answers `end`: unload and stop give up after 5 s."""
    await hass.services.async_call(
        "connectcall", "dial", {"destination": DEST}, blocking=True
    )
    await hass.services.async_call("connectcall", "hang_up", blocking=True)
    ha_sim.sim.delay = 100
    ha_sim.sim.add_fault("slow", command="end")
    if how == "unload":
        job = hass.config_entries.async_unload(init_integration.entry_id)
    else:
        job = init_integration.runtime_data.async_shutdown()
    task = asyncio.ensure_future(job)
    try:
        for _ in range(20):  # the platforms unload first, then `end` goes out
            if commands(ha_sim)[-1] == "end":
                break
            await advance(hass, freezer, 0)
        assert commands(ha_sim)[-1] == "end"
        await advance(hass, freezer, 5.1)
        assert task.done()  # bounded...
        assert ha_sim.server.requests[-1].code == 0  # ...though `end` hangs
        if how == "unload":
            assert init_integration.state is ConfigEntryState.NOT_LOADED
    finally:
        await advance(hass, freezer, 100)  # the simulator's handler finishes
