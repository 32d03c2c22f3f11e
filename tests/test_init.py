"""Setup, unload and stop."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.connectcall.const import DOMAIN

from .helpers import DEST, RunningSimulator, run, since


async def test_setup_probes_once_and_places_no_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    assert init_integration.state is ConfigEntryState.LOADED
    assert [r.command for r in ha_sim.server.requests] == ["login"]
    assert ha_sim.server.calls == []
    await run(hass, freezer, 60)
    assert ha_sim.server.count() == 1


async def test_setup_wrong_password_starts_reauth(
    hass: HomeAssistant, ha_sim: RunningSimulator, mock_config_entry: MockConfigEntry
) -> None:
    ha_sim.server.accounts = {}
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler("connectcall")
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("http_500", "Could not reach the Connect Call API"),
        ("garbage", "gave an answer that could not be read"),
        ("drop", "Could not reach the Connect Call API"),
    ],
)
async def test_setup_not_ready(
    hass: HomeAssistant,
    ha_sim: RunningSimulator,
    mock_config_entry: MockConfigEntry,
    fault: str,
    reason: str,
) -> None:
    ha_sim.sim.add_fault(fault, 2)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert reason in (mock_config_entry.reason or "")
    assert ha_sim.server.calls == []


async def test_setup_probe_103_closes_session(
    hass: HomeAssistant, ha_sim: RunningSimulator, mock_config_entry: MockConfigEntry
) -> None:
    ha_sim.server.behaviour.probe = "login"
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert [r.command for r in ha_sim.server.requests] == ["login", "hangUp", "end"]
    assert ha_sim.server.sessions == {}


async def test_setup_probe_other_code_is_a_hint(
    hass: HomeAssistant, ha_sim: RunningSimulator, mock_config_entry: MockConfigEntry
) -> None:
    ha_sim.sim.forced = (101, "Failed")
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.LOADED


async def test_unload_ends_session(
    hass: HomeAssistant, ha_sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """No call in progress: unloading ends the session, with `end` alone (with
    one in progress it is left alone: test_restart.py)."""
    await hass.services.async_call(
        "connectcall", "dial", {"destination": DEST}, blocking=True
    )
    await hass.services.async_call("connectcall", "hang_up", blocking=True)
    assert len(ha_sim.server.sessions) == 1
    start = ha_sim.server.count()
    await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert since(ha_sim, start) == ["end"]
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    assert ha_sim.server.sessions == {}
    assert ha_sim.server.requests[-1].command == "end"
    assert ha_sim.server.active_call() is None


async def test_unload_without_session_sends_nothing(
    hass: HomeAssistant, ha_sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert ha_sim.server.count() == 1


async def test_stop_ends_session(
    hass: HomeAssistant, ha_sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    await hass.services.async_call(
        "connectcall", "dial", {"destination": DEST}, blocking=True
    )
    await hass.services.async_call("connectcall", "hang_up", blocking=True)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    assert ha_sim.server.sessions == {}
    assert ha_sim.server.requests[-1].command == "end"
    assert init_integration.state is ConfigEntryState.LOADED  # stop does not unload


async def test_migrate_source_to_options(
    hass: HomeAssistant, ha_sim: RunningSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """Version 1 kept the default source in data: it moves to the options."""
    old = MockConfigEntry(
        domain=DOMAIN,
        version=1,
        title=mock_config_entry.title,
        unique_id=mock_config_entry.unique_id,
        data=dict(mock_config_entry.data) | {"source": "0301234567"},
        options={"mode": "simultaneous"},
    )
    old.add_to_hass(hass)
    await hass.config_entries.async_setup(old.entry_id)
    await hass.async_block_till_done()
    assert old.state is ConfigEntryState.LOADED
    assert old.version == 2
    assert "source" not in old.data
    assert old.options == {"mode": "simultaneous", "source": "0301234567"}
    await hass.services.async_call(DOMAIN, "dial", {"destination": DEST}, blocking=True)
    assert ha_sim.server.calls[0].source == "0301234567"


async def test_migrate_refuses_a_newer_version(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    newer = MockConfigEntry(domain=DOMAIN, version=3, data=dict(mock_config_entry.data))
    newer.add_to_hass(hass)
    await hass.config_entries.async_setup(newer.entry_id)
    await hass.async_block_till_done()
    assert newer.state is ConfigEntryState.MIGRATION_ERROR
