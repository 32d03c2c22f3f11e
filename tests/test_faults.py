"""Faults survived: for each, no traceback, no stuck poller, availability
right, one log line on the way down and one on recovery."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import logging
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.connectcall.const import DOMAIN

from .conftest import (
    PASSWORD,
    SOURCE,
    USERNAME,
    RunningSimulator,
    assert_quiet,
    call_status,
    entity_id_of,
    settle,
    state_of,
    tick,
)
from .test_services import commands, dial

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
    for _ in range(45):
        await tick(hass, freezer)
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
    for _ in range(5):
        await tick(hass, freezer)
        assert call_status(hass, init_integration) == "unavailable"
        assert state_of(hass, active).state == "unavailable"
    await tick(hass, freezer)
    assert call_status(hass, init_integration) == "destination_alerting"
    await finish_call(hass, freezer, ha_sim)
    assert call_status(hass, init_integration) == "destination_ended"
    assert_down_once_up_once(caplog)


async def test_connection_refused_mid_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The server goes away and comes back on the same port."""
    await dial(hass)
    coordinator = init_integration.runtime_data
    real_endpoint = coordinator.client._endpoint
    coordinator.client._endpoint = "http://127.0.0.1:9/api/connectcall.aspx"
    for _ in range(3):
        await tick(hass, freezer)
        assert call_status(hass, init_integration) == "unavailable"
    coordinator.client._endpoint = real_endpoint
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


async def test_password_changed_mid_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
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
    for _ in range(3):
        await tick(hass, freezer)
    assert call_status(hass, init_integration) == "source_connected"
    polls = ha_sim.server.count("getStatus")
    await tick(hass, freezer)
    assert ha_sim.server.count("getStatus") == polls + 1  # one poller, not two


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
    for _ in range(3):
        await tick(hass, freezer)
    assert call_status(hass, init_integration) == "destination_alerting"


async def test_crash_left_guid_call_is_followed(
    hass: HomeAssistant,
    ha_sim: RunningSimulator,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """A crash (of a version that stored the GUID alone) left a call going:
    one getStatus finds it, and it is followed and can be hung up."""
    code, guid = ha_sim.server.handle(
        {
            "login": USERNAME,
            "password": PASSWORD,
            "dest": "0612345678",
            "source": SOURCE,
            "type": "1",
        }
    )
    assert code == 103
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


async def test_failed_hang_up_before_new_dial_keeps_following_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    await dial(hass)
    ha_sim.sim.add_fault("huge")
    with pytest.raises(HomeAssistantError) as err:
        await dial(hass, destination="0687654321")
    assert err.value.translation_key == "invalid_response"
    assert [c.destination for c in ha_sim.server.calls] == ["0612345678"]
    for _ in range(4):
        await tick(hass, freezer)
    # Still followed: the first call's status keeps moving.
    assert call_status(hass, init_integration) == "destination_alerting"


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
    for _ in range(3):
        # The poll goes out; then 0.3 s pass, so its 0.2 s timeout fires
        # (block_till_done would wait for the poll forever on a frozen clock).
        freezer.tick(timedelta(seconds=1))
        async_fire_time_changed(hass)
        for _ in range(50):
            await asyncio.sleep(0)
        freezer.tick(timedelta(seconds=0.3))
        async_fire_time_changed(hass)
        await settle(hass)
        assert call_status(hass, mock_config_entry) == "unavailable"
    await tick(hass, freezer)
    assert call_status(hass, mock_config_entry) == "destination_alerting"
    assert_down_once_up_once(caplog)


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
