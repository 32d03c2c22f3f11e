"""Faults survived: for each, no traceback, no stuck poller, availability
right, one log line on the way down and one on recovery."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import logging
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.connectcall.const import DOMAIN

from .helpers import (
    USERNAME,
    RunningSimulator,
    assert_quiet,
    call_status,
    dial,
    drain,
    entity_id_of,
    run,
    state_of,
    tick,
)

OURS = "custom_components.connectcall"


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Tracebacks logged by Home Assistant or the integration (not the
    simulator's server side, which sees the client hang up on a huge body)."""
    return [
        r.name
        for r in caplog.records
        if (r.exc_info or r.exc_text) and r.name.startswith((OURS, "homeassistant"))
    ]


def assert_down_once_up_once(caplog: pytest.LogCaptureFixture) -> None:
    """One error on the way down, one line on recovery, no traceback."""
    assert len(our_lines(caplog, logging.ERROR)) == 1
    assert our_lines(caplog, logging.INFO) == ["Connect Call API answers again"]
    assert not tracebacks(caplog)


def our_lines(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith(OURS) and r.levelno == level
    ]


async def finish_call(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, sim: RunningSimulator
) -> None:
    """Run the clock to the end of the call; then the poller must be gone."""
    await run(hass, freezer, 45)
    await assert_quiet(hass, freezer, sim, 10)


@pytest.mark.parametrize(
    "fault", ["http_500", "garbage", "drop", "no_code", "doctype", "huge"]
)
async def test_fault_burst_mid_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    fault: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    active = entity_id_of(hass, init_integration, "binary_sensor", "call_active")
    await dial(hass)
    # drop: aiohttp retries a GET once on a dropped connection, so 2 per poll.
    ha_sim.sim.add_fault(fault, 10 if fault == "drop" else 5)
    # Five failed polls, backing off: at 1, 2, 4, 8 and 16 s; 32 s answers.
    for _ in range(31):
        await tick(hass, freezer)
        assert call_status(hass, init_integration) == "unavailable"
        assert state_of(hass, active).state == "unavailable"
    await tick(hass, freezer)
    assert call_status(hass, init_integration) == "connected"
    await finish_call(hass, freezer, ha_sim)
    assert call_status(hass, init_integration) == "destination_ended"
    assert_down_once_up_once(caplog)


@pytest.mark.usefixtures("ha_sim")
async def test_connection_refused_mid_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The server goes away and comes back on the same port."""
    await dial(hass)
    coordinator = init_integration.runtime_data
    real_endpoint = coordinator.keeper.client._endpoint
    coordinator.keeper.client._endpoint = "http://127.0.0.1:9/api/connectcall.aspx"
    for _ in range(3):
        await tick(hass, freezer)
        assert call_status(hass, init_integration) == "unavailable"
    coordinator.keeper.client._endpoint = real_endpoint
    await tick(hass, freezer)
    assert call_status(hass, init_integration) == "destination_alerting"
    assert len(our_lines(caplog, logging.ERROR)) == 1
    assert not tracebacks(caplog)


@pytest.mark.parametrize("code", [101, 102, 104])
async def test_session_expiry_mid_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    code: int,
) -> None:
    ha_sim.server.behaviour.expired_guid_code = code
    active = entity_id_of(hass, init_integration, "binary_sensor", "call_active")
    await dial(hass)
    ha_sim.server.expire_sessions()
    await tick(hass, freezer)
    assert call_status(hass, init_integration) == "status_unknown"
    assert state_of(hass, active).state == "off"
    await assert_quiet(hass, freezer, ha_sim, 5)
    assert not tracebacks(caplog)
    # A 102 to a command is not a refused login: no reauth until a login is.
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    await dial(hass)
    assert call_status(hass, init_integration) == "source_alerting"


@pytest.mark.usefixtures("init_integration")
async def test_password_changed_mid_call(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    ha_sim.server.behaviour.expired_guid_code = 102
    await dial(hass)
    ha_sim.server.expire_sessions()
    ha_sim.server.accounts[USERNAME] = "changed"
    await tick(hass, freezer)
    with pytest.raises(Exception, match="refused the login"):
        await dial(hass)
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [f["context"]["source"] for f in flows] == [SOURCE_REAUTH]


async def test_server_timeouts_mid_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Answers slower than the request timeout: unavailable, then back."""
    mock_config_entry.add_to_hass(hass)
    with patch("custom_components.connectcall.REQUEST_TIMEOUT", 0.2):
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
    await dial(hass)
    ha_sim.sim.delay = 0.5  # the simulator sleeps on the (frozen) loop clock
    ha_sim.sim.add_fault("slow", 3)
    for step in (1, 1, 2):  # failed polls back off: 1, then 2 s apart
        # The poll goes out; then 0.3 s pass, so its 0.2 s timeout fires
        # (block_till_done would wait for the poll forever on a frozen clock).
        freezer.tick(timedelta(seconds=step))
        async_fire_time_changed(hass)
        for _ in range(50):
            await asyncio.sleep(0)
        freezer.tick(timedelta(seconds=0.3))
        async_fire_time_changed(hass)
        await drain(hass)
        assert call_status(hass, mock_config_entry) == "unavailable"
    await tick(hass, freezer, 4)  # the next poll: 4 s after the last failure
    assert call_status(hass, mock_config_entry) == "destination_connected"
    assert_down_once_up_once(caplog)
