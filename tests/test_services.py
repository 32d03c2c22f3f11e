"""The actions against the simulator: input, outcomes, sessions, errors."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.connectcall.const import DOMAIN

from .helpers import (
    DEST,
    SOURCE,
    RunningSimulator,
    assert_quiet,
    call_status,
    commands,
    dial,
    dial_waiting,
    drain,
    hang_up_offset,
    run,
    tick,
)

pytestmark = pytest.mark.usefixtures("init_integration")


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"destination": "06&dest=1"}, "invalid_number"),
        ({"destination": ""}, "invalid_number"),
        ({"destination": 612345678}, "invalid_number"),
        ({"destination": "06\n12345678"}, "invalid_number"),
        ({"destination": "٠٦١٢٣٤٥٦٧٨"}, "invalid_number"),
        ({"destination": "0" * 10_000}, "invalid_number"),
        ({"destination": [DEST, "#31"]}, "invalid_number"),
        ({"destination": []}, "invalid_destinations"),
        ({"destination": [DEST] * 11}, "invalid_destinations"),
        ({"source": "front door"}, "invalid_source"),
        ({"mode": "loud"}, "invalid_mode"),
        ({"mode": 1}, "invalid_mode"),
        ({"ring_timeout": 4}, "invalid_range"),
        ({"ring_timeout": 301}, "invalid_range"),
        ({"ring_timeout": "10"}, "invalid_range"),
        ({"ring_timeout": True}, "invalid_range"),
        ({"max_duration": 9}, "invalid_range"),
        ({"max_duration": 86401}, "invalid_range"),
        ({"wait": "yes"}, "invalid_wait"),
        ({"retry_busy": 6}, "invalid_range"),
        ({"retry_busy": -1}, "invalid_range"),
        ({"retry_busy": 1.5}, "invalid_range"),
        ({"retry_delay": 0}, "invalid_range"),
        ({"retry_delay": 301}, "invalid_range"),
        ({"config_entry_id": 5}, "invalid_config_entry"),
    ],
)
async def test_bad_input_sends_nothing(
    hass: HomeAssistant, ha_sim: RunningSimulator, data: dict[str, Any], key: str
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await dial(hass, **data)
    assert err.value.translation_key == key
    assert err.value.translation_domain == DOMAIN
    assert str(err.value) != key  # a sentence from translations/en.json
    assert commands(ha_sim) == ["login"]  # only the setup probe


async def test_unknown_entry(hass: HomeAssistant, ha_sim: RunningSimulator) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await dial(hass, config_entry_id="nope")
    assert err.value.translation_key == "service_config_entry_not_found"
    assert commands(ha_sim) == ["login"]


@pytest.mark.usefixtures("init_integration")
async def test_entry_required_with_two_accounts(
    hass: HomeAssistant, ha_sim: RunningSimulator, bob: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError):
        await dial(hass)
    await dial(hass, config_entry_id=bob.entry_id)
    assert ha_sim.server.sessions[next(iter(ha_sim.server.sessions))].username == "bob"


async def test_dial_response_and_defaults(
    hass: HomeAssistant, ha_sim: RunningSimulator
) -> None:
    response = await dial(hass, destination="+31 (6) 1234-5678")
    assert response == {
        "status": "source_alerting",
        "status_code": 27,
        "outcome": None,
        "answered_by": None,
        "attempts": [{"destination": "+3161234" + "5678", "outcome": None}],
        "skipped": False,
        "held_by": None,
        "error": None,
        "error_key": None,
    }
    call = ha_sim.server.calls[-1]
    assert (call.source, call.mode) == (SOURCE, 1)


async def test_dial_options_and_overrides(
    hass: HomeAssistant, ha_sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    hass.config_entries.async_update_entry(
        init_integration, options={"source": "0301234567", "mode": "simultaneous"}
    )
    await dial(hass)
    assert (ha_sim.server.calls[-1].source, ha_sim.server.calls[-1].mode) == (
        "0301234567",
        2,
    )
    await dial(hass, source="0401234567", mode="source_first")
    assert (ha_sim.server.calls[-1].source, ha_sim.server.calls[-1].mode) == (
        "0401234567",
        1,
    )


async def test_hang_up_before_connect(
    hass: HomeAssistant, ha_sim: RunningSimulator
) -> None:
    await dial(hass)
    await dial(hass, destination="0687654321")
    assert commands(ha_sim) == [
        "login",
        "login",
        "getStatus",
        "hangUp",
        "connect",
        "getStatus",
    ]
    assert len(ha_sim.server.sessions) == 1
    assert ha_sim.server.calls[0].status(ha_sim.server.clock()) == 4


@pytest.mark.parametrize("code", [101, 102, 104])
async def test_relogin_after_session_loss(
    hass: HomeAssistant, ha_sim: RunningSimulator, code: int
) -> None:
    ha_sim.server.behaviour.expired_guid_code = code
    ha_sim.server.behaviour.hangup_when_idle = 105
    await dial(hass)
    await hass.services.async_call(DOMAIN, "hang_up", blocking=True)
    ha_sim.server.expire_sessions()
    response = await dial(hass)
    assert response["status"] == "source_alerting"
    # The loss is confirmed by a getStatus before the one new login.
    assert commands(ha_sim)[-4:] == ["connect", "getStatus", "login", "getStatus"]
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_relogin_refused_starts_reauth(
    hass: HomeAssistant, ha_sim: RunningSimulator
) -> None:
    await dial(hass)
    await hass.services.async_call(DOMAIN, "hang_up", blocking=True)
    ha_sim.server.expire_sessions()
    ha_sim.server.accounts.clear()
    with pytest.raises(HomeAssistantError) as err:
        await dial(hass)
    assert err.value.translation_key == "auth_failed"
    assert str(err.value).startswith("The Connect Call server refused the login")
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


@pytest.mark.parametrize("fault", ["http_500", "garbage"])
async def test_api_failure_is_translated(
    hass: HomeAssistant, ha_sim: RunningSimulator, fault: str
) -> None:
    """A login without a readable answer may have placed a call: said so,
    and the login is not sent again."""
    ha_sim.sim.add_fault(fault, 2)
    with pytest.raises(HomeAssistantError) as err:
        await dial(hass)
    assert err.value.translation_key == "call_uncertain"
    assert "may have placed the call" in str(err.value)
    assert commands(ha_sim) == ["login", "login"]  # the probe, then the dial


@pytest.mark.usefixtures("ha_sim")
async def test_unreachable_server_is_translated(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """No connection at all: the server cannot have placed anything."""
    init_integration.runtime_data.keeper.client._endpoint = "http://127.0.0.1:9/x"
    with pytest.raises(HomeAssistantError) as err:
        await dial(hass)
    assert err.value.translation_key == "cannot_connect"


async def test_command_refused_is_translated(
    hass: HomeAssistant, ha_sim: RunningSimulator
) -> None:
    ha_sim.sim.forced = (105, "NoChanges")
    with pytest.raises(HomeAssistantError) as err:
        await dial(hass)
    assert err.value.translation_key == "command_failed"
    assert err.value.translation_placeholders == {"code": "105"}


@pytest.mark.parametrize(
    ("scenario", "outcome", "state"),
    [
        ("answered", "answered", "connected"),
        ("busy", "busy", "busy"),
        ("rejected", "rejected", "rejected"),
        ("no_answer", "no_answer", "no_answer"),
        ("wrong_destination", "failed", "wrong_destination_number"),
        ("insufficient_funds", "failed", "insufficient_funds"),
    ],
)
async def test_wait_outcomes(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    scenario: str,
    outcome: str,
    state: str,
) -> None:
    ha_sim.server.default_scenario = scenario
    response = await dial_waiting(hass, freezer)
    assert response["outcome"] == outcome
    assert response["answered_by"] == (DEST if outcome == "answered" else None)
    assert response["attempts"] == [{"destination": DEST, "outcome": outcome}]
    if outcome == "answered":
        await tick(hass, freezer)
    assert call_status(hass, init_integration) == state


async def test_server_hang_up_before_answer_is_canceled(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    ha_sim.server.default_scenario = "cancelled"
    response = await dial_waiting(hass, freezer)
    assert response["outcome"] == "canceled"


@pytest.mark.parametrize(
    ("data", "options", "low", "high"),
    [
        ({"ring_timeout": 10}, {}, 10, 10),  # the dial's own bound
        ({}, {"ring_timeout": 20}, 20, 20),  # the options' default
        ({}, {}, 120, 126),  # nothing bounds the ring: 120 s (+ slack)
    ],
)
async def test_wait_bounded_hangs_up(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    data: dict[str, Any],
    options: dict[str, Any],
    low: int,
    high: int,
) -> None:
    hass.config_entries.async_update_entry(
        init_integration, options=dict(init_integration.options) | options
    )
    ha_sim.server.default_scenario = "ringing_forever"
    response = await dial_waiting(hass, freezer, **data)
    assert response["outcome"] == "no_answer"
    assert low <= hang_up_offset(ha_sim) <= high
    assert ha_sim.server.active_call() is None


async def test_cancelled_wait_leaves_call(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    task = asyncio.create_task(dial(hass, wait=True))
    await drain(hass)
    await tick(hass, freezer)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert ha_sim.server.active_call() is not None
    polls = ha_sim.server.count("getStatus")
    await tick(hass, freezer)
    assert ha_sim.server.count("getStatus") == polls + 1  # still followed
    assert "hangUp" not in commands(ha_sim)


async def test_hang_up(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    await hass.services.async_call(DOMAIN, "hang_up", blocking=True)
    assert commands(ha_sim) == ["login"]  # no call: nothing to do
    await dial(hass)
    await tick(hass, freezer)
    await hass.services.async_call(DOMAIN, "hang_up", blocking=True)
    assert call_status(hass, init_integration) == "hung_up"
    assert ha_sim.server.active_call() is None
    await assert_quiet(hass, freezer, ha_sim, 5)


@pytest.mark.usefixtures("freezer")
async def test_hang_up_on_server_that_keeps_reporting(
    hass: HomeAssistant, ha_sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """Our hang-up succeeded: the call is over even if getStatus lags behind."""
    await dial(hass)
    ha_sim.server.behaviour.hangup_effective = False
    await hass.services.async_call(DOMAIN, "hang_up", blocking=True)
    assert ha_sim.server.active_call() is not None
    assert call_status(hass, init_integration) == "hung_up"


async def test_end_session(
    hass: HomeAssistant, ha_sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    await hass.services.async_call(DOMAIN, "end_session", blocking=True)
    assert commands(ha_sim) == ["login"]  # no session: nothing to end
    await dial(hass)
    await hass.services.async_call(DOMAIN, "end_session", blocking=True)
    assert ha_sim.server.sessions == {}
    assert call_status(hass, init_integration) == "hung_up"
    await dial(hass)
    assert commands(ha_sim)[-2:] == ["login", "getStatus"]


async def test_end_session_already_gone(
    hass: HomeAssistant, ha_sim: RunningSimulator
) -> None:
    await dial(hass)
    ha_sim.server.expire_sessions()
    start = ha_sim.server.count()
    await hass.services.async_call(DOMAIN, "end_session", blocking=True)
    # hangUp answered 101, confirmed gone by getStatus: nothing left to end.
    assert commands(ha_sim)[start:] == ["hangUp", "getStatus"]
    assert [r.code for r in ha_sim.server.requests[start:]] == [101, 101]
    await dial(hass)
    assert commands(ha_sim)[start + 2 :] == ["login", "getStatus"]
    # A hang-up the server fails: an error, and the session is not dropped.
    ha_sim.sim.add_fault("http_500")
    with pytest.raises(HomeAssistantError):
        await hass.services.async_call(DOMAIN, "end_session", blocking=True)
    assert ha_sim.server.sessions


async def test_poll_failures_unavailable_and_logged_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    await dial(hass)
    ha_sim.sim.add_fault("http_500", 3)
    # Failed polls at 1, 2 and 4 s (backing off: 1, 2, 4 s apart); 8 s answers.
    for _ in range(7):
        await tick(hass, freezer)
        assert call_status(hass, init_integration) == "unavailable"
    await tick(hass, freezer)
    assert call_status(hass, init_integration) == "destination_connected"  # 8 s
    ours = [
        r for r in caplog.records if r.name.startswith("custom_components.connectcall")
    ]
    assert [r.levelno for r in ours if r.levelno >= logging.INFO] == [
        logging.ERROR,
        logging.INFO,
    ]
    # Answered: the first poll and the one after; the three between hit faults.
    polls = [r.fault for r in ha_sim.server.requests if r.command == "getStatus"]
    assert polls == [None, "http_500", "http_500", "http_500", None]


async def test_poll_gives_up_after_long_outage(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    await dial(hass)
    ha_sim.sim.add_fault("http_500", 10_000)
    await run(hass, freezer, 305)
    polls = ha_sim.server.count()
    ha_sim.sim.faults.clear()
    await run(hass, freezer, 5)
    assert ha_sim.server.count() == polls  # the poller stopped
    assert call_status(hass, init_integration) == "status_unknown"


async def test_manual_refresh(
    hass: HomeAssistant,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    coordinator = init_integration.runtime_data
    await coordinator.async_refresh()
    assert commands(ha_sim) == ["login"]  # no call: no request
    await dial(hass)
    await coordinator.async_refresh()
    assert commands(ha_sim)[-1] == "getStatus"
    assert coordinator.keeper.is_open
