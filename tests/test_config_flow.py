"""Config flow, reauth, reconfigure and options against the simulator."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.connectcall.const import DOMAIN

from .helpers import (
    PASSWORD,
    SOURCE,
    USERNAME,
    RunningSimulator,
    second_account,
)


def _user_input(sim: RunningSimulator, **changes: str) -> dict[str, Any]:
    return {
        "username": USERNAME,
        "password": PASSWORD,
        "url": sim.url,
        "source": SOURCE,
    } | changes


async def test_user_flow(hass: HomeAssistant, ha_sim: RunningSimulator) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["data_schema"] is not None
    schema = result["data_schema"].schema
    url_key = next(key for key in schema if key == "url")
    assert url_key.default() == "https://portal.business-isp.nl/api/"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        _user_input(
            ha_sim,
            url=ha_sim.url.upper().replace("/API/", "/api"),
            source="020-123 45 67",
        ),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == USERNAME
    # URL and number normalised; what connects is data, the source an option.
    expected = _user_input(ha_sim)
    assert result["options"] == {"source": expected.pop("source")}
    assert result["data"] == expected
    assert result["result"].unique_id == f"{ha_sim.url}{USERNAME}"
    assert ha_sim.server.calls == []  # checking the account placed no call
    assert ha_sim.server.count("login") == 2  # the flow's probe, then setup's


@pytest.mark.parametrize(
    ("changes", "fault", "errors"),
    [
        ({"password": "wrong"}, None, {"base": "invalid_auth"}),
        ({"url": "ftp://example.com/"}, None, {"url": "invalid_url"}),
        ({"url": "not a url"}, None, {"url": "invalid_url"}),
        ({"source": "06&dest=1"}, None, {"source": "invalid_number"}),
        ({}, "http_500", {"base": "cannot_connect"}),
        ({}, "garbage", {"base": "cannot_connect"}),
        ({"url": "http://127.0.0.1:9/api/"}, None, {"base": "cannot_connect"}),
    ],
)
async def test_user_flow_errors_then_recover(
    hass: HomeAssistant,
    ha_sim: RunningSimulator,
    changes: dict[str, str],
    fault: str | None,
    errors: dict[str, str],
) -> None:
    if fault:
        ha_sim.sim.add_fault(fault, 2)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _user_input(ha_sim, **changes)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    ha_sim.sim.faults.clear()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _user_input(ha_sim)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_flow_unexpected_error(
    hass: HomeAssistant, ha_sim: RunningSimulator
) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    with patch(
        "custom_components.connectcall.config_flow.ConnectCallClient.probe",
        side_effect=RuntimeError("boom"),
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _user_input(ha_sim)
        )
    assert result["errors"] == {"base": "unknown"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _user_input(ha_sim)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize("probe", ["wrong_parameters", "odd_code"])
async def test_probe_hints(
    hass: HomeAssistant, ha_sim: RunningSimulator, probe: str
) -> None:
    """A server that checks parameters first (104 whatever the password), or
    answers an odd code: only 102 refuses, anything else is a pass."""
    if probe == "odd_code":
        ha_sim.sim.forced = (101, "Failed")
    else:
        ha_sim.server.behaviour.probe = probe
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _user_input(ha_sim, password="not the password")
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert ha_sim.server.requests[0].code == (104 if probe != "odd_code" else 101)


async def test_probe_answered_103_closes_session(
    hass: HomeAssistant, ha_sim: RunningSimulator
) -> None:
    ha_sim.server.behaviour.probe = "login"
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _user_input(ha_sim)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    commands = [r.command for r in ha_sim.server.requests]
    assert commands == ["login", "hangUp", "end", "login", "hangUp", "end"]
    assert ha_sim.server.sessions == {}


async def test_already_configured(
    hass: HomeAssistant, ha_sim: RunningSimulator, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        _user_input(ha_sim, url=ha_sim.url.replace("http://", "HTTP://")),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_two_accounts_side_by_side(
    hass: HomeAssistant, ha_sim: RunningSimulator, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    ha_sim.server.accounts["bob"] = "bobs"
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _user_input(ha_sim, username="bob", password="bobs")
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert len(hass.config_entries.async_entries(DOMAIN)) == 2


async def test_reauth(
    hass: HomeAssistant, ha_sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    result = await init_integration.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    assert (result.get("description_placeholders") or {})["username"] == USERNAME
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"password": "still wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    ha_sim.server.accounts[USERNAME] = "new&pass"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"password": "new&pass"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert init_integration.data["password"] == "new&pass"
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.LOADED


async def test_reconfigure(
    hass: HomeAssistant, ha_sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    ha_sim.server.accounts["bob"] = "bobs"
    result = await init_integration.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"username": "bob", "password": "wrong", "url": ha_sim.url}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"username": "bob", "password": "bobs", "url": ha_sim.url}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert init_integration.unique_id == f"{ha_sim.url}bob"
    assert init_integration.title == "bob"
    assert init_integration.options["source"] == SOURCE  # kept
    # Reloaded with the new login: its probe and its dials are bob's.
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.LOADED
    start = ha_sim.server.count()
    await hass.services.async_call(
        DOMAIN, "dial", {"destination": "0612345678"}, blocking=True
    )
    login = ha_sim.server.requests[start]
    assert login.command == "login"
    assert login.query.startswith("login=bob&password=bobs&")


async def test_reconfigure_onto_configured_account(
    hass: HomeAssistant, ha_sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    other = second_account(ha_sim, init_integration)
    other.add_to_hass(hass)
    result = await init_integration.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"username": "bob", "password": "bobs", "url": ha_sim.url}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert init_integration.data["username"] == USERNAME


@pytest.mark.usefixtures("ha_sim")
async def test_options_without_reload(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    assert result["step_id"] == "init"
    options = {
        "source": "03-AB",
        "mode": "simultaneous",
        "poll_interval": 2,
        "ring_timeout": 20,
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], options
    )
    assert result["errors"] == {"source": "invalid_number"}
    options["source"] = "+31 30 123 4567"
    with patch.object(hass.config_entries, "async_reload") as reload:
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], options
        )
        await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options == options | {"source": "+31301234567"}
    reload.assert_not_called()
    assert init_integration.state is ConfigEntryState.LOADED
