"""Diagnostics: useful for support, and nothing secret or personal in them."""

from __future__ import annotations

import json

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from .helpers import DEST, PASSWORD, SOURCE, USERNAME, RunningSimulator, dial, tick


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    hass.config_entries.async_update_entry(
        init_integration, options={"source": "0301234567", "poll_interval": 2}
    )
    await dial(hass)
    ha_sim.sim.add_fault("http_500")
    await tick(hass, freezer, 2)
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )
    assert diagnostics == snapshot(exclude=props("url", "dialled_at"))
    assert diagnostics["session_open"] is True
    # The probe, the login that dialled, the first poll, and the poll answered 500.
    assert (diagnostics["requests"], diagnostics["request_errors"]) == (4, 1)
    text = json.dumps(diagnostics)
    guids = list(ha_sim.server.sessions)
    for secret in (PASSWORD, USERNAME, SOURCE, DEST, "0301234567", *guids):
        assert secret not in text
