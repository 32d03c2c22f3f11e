"""A whole session at debug level: the password and every GUID stay secret."""

from __future__ import annotations

import json
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.connectcall.const import DOMAIN

from .helpers import (
    DEST,
    MUM,
    PASSWORD,
    USERNAME,
    B,
    RunningSimulator,
    add_contact,
    assert_quiet,
    call_contact,
    dial,
    dial_waiting,
    restart,
    run,
    stop_home_assistant,
    tick,
)


async def test_no_secret_anywhere(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    guids: set[str] = set()
    errors: list[str] = []

    def note_guids() -> None:
        guids.update(ha_sim.server.sessions)

    # Calls, a list, busy retries, a hang-up, outcomes.
    await dial(hass)
    note_guids()
    await tick(hass, freezer, 3)
    ha_sim.server.scenarios = {"0611111111": "busy", "0622222222": "insufficient_funds"}
    await dial_waiting(
        hass,
        freezer,
        destination=["0611111111", "0622222222"],
        retry_busy=1,
        retry_delay=1,
    )
    note_guids()
    await hass.services.async_call(DOMAIN, "hang_up", blocking=True)
    # Faults mid-call, session loss, re-login.
    await dial(hass)
    note_guids()
    for fault in ("http_500", "garbage", "doctype", "huge", "drop"):
        ha_sim.sim.add_fault(fault, 2)
        await tick(hass, freezer)
    ha_sim.sim.faults.clear()
    ha_sim.server.expire_sessions()
    await tick(hass, freezer)
    await dial(hass)
    note_guids()
    # A refused login: reauth, and the error the action raises.
    await hass.services.async_call(DOMAIN, "end_session", blocking=True)
    ha_sim.server.accounts[USERNAME] = "changed"
    try:
        await dial(hass)
    except HomeAssistantError as err:
        errors.extend([str(err), repr(err), str(err.__cause__), repr(err.__cause__)])
    ha_sim.server.accounts[USERNAME] = PASSWORD
    await hass.async_block_till_done()
    for fault in ("http_500", "garbage"):
        ha_sim.sim.add_fault(fault, 2)
        try:
            await dial(hass)
        except HomeAssistantError as err:
            errors.extend(
                [str(err), repr(err), str(err.__cause__), repr(err.__cause__)]
            )
    ha_sim.sim.faults.clear()
    await dial(hass)
    note_guids()
    assert len(guids) >= 3
    assert errors

    diagnostics = json.dumps(
        await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    )
    states = json.dumps([s.as_dict() for s in hass.states.async_all()], default=str)
    issues = json.dumps(
        [
            {"id": i.issue_id, "placeholders": i.translation_placeholders}
            for i in ir.async_get(hass).issues.values()
        ]
    )
    assert ir.async_get(hass).async_get_issue(
        DOMAIN, f"insufficient_funds_{init_integration.entry_id}"
    )
    # The test harness's mock storage logs what it "writes" (the stored GUID
    # included); Home Assistant's real Store logs only the key.
    records = [
        r for r in caplog.records if not r.name.startswith("pytest_homeassistant")
    ]
    logs = "\n".join(
        [r.getMessage() for r in records] + [r.exc_text or "" for r in records]
    )
    assert "Manually updated" in logs  # debug records were captured
    for name, text in {
        "logs": logs,
        "diagnostics": diagnostics,
        "states": states,
        "issues": issues,
        "errors": "\n".join(errors),
    }.items():
        assert PASSWORD not in text, name
        assert "connectcall.aspx" not in text, name
        for guid in guids:
            assert guid not in text, (name, "GUID")


async def test_wire_sequence_and_bytes(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Every request of setup, dial, re-dial, hang-up, stop and unload, as
    the server received it (raw query), and nothing else."""
    await dial(hass)
    await dial(hass, destination="+31 (0)6 8765 4321", mode="simultaneous")
    await hass.services.async_call(DOMAIN, "hang_up", blocking=True)
    await stop_home_assistant(hass, init_integration)
    await assert_quiet(hass, freezer, ha_sim, 3)
    guid = ha_sim.server.requests[2].query.split("&")[0]
    # The password as aiohttp encodes it: & = # % + é escaped, space as +.
    login = "login=alice&password=p%26ss%3Dw%23rd+%25%2B+%C3%A9/?"
    assert [r.query for r in ha_sim.server.requests] == [
        login,  # setup's probe: no numbers, no call
        f"{login}&dest=0612345678&source=0201234567&type=1",
        f"{guid}&cmd=getStatus",
        f"{guid}&cmd=hangUp",  # re-dial: the first call is still ringing
        f"{guid}&cmd=connect&dest=%2B31687654321&source=0201234567&type=2",
        f"{guid}&cmd=getStatus",
        f"{guid}&cmd=hangUp",
        f"{guid}&cmd=getStatus",
        f"{guid}&cmd=end",  # stop with no call in progress; unload: nothing
    ]
    assert guid.startswith("guid=")


async def test_no_number_in_the_integrations_logs(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Debug level, a bad day (dropped connect, failing polls, a restart mid
    call, a refused contact): the integration's own log lines carry no
    phone number (Home Assistant core's bus debug lines are its own)."""
    caplog.set_level(logging.DEBUG, logger="custom_components.connectcall")
    await add_contact(hass, init_integration, name="Mum", number=MUM)
    await call_contact(hass, contact="Mum")
    ha_sim.sim.add_fault("http_500", 3, command="getStatus")
    await run(hass, freezer, 5)
    ha_sim.sim.add_fault("drop_after", command="connect")
    await dial(hass, destination=B)
    await run(hass, freezer, 3)
    await restart(hass, init_integration)
    await run(hass, freezer, 45)
    with pytest.raises(ServiceValidationError):
        await call_contact(hass, contact="Oma")
    ours = [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("custom_components.connectcall")
    ]
    assert ours, "nothing logged: the attack did not run"
    for number in (MUM, "0611112222", "611112222", B, "687654321", DEST[1:]):
        assert not [line for line in ours if number in line], number
