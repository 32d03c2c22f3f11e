"""A call that ended while Home Assistant was stopped (or reloading):
``call_ended`` fires once, with what can be known, when it can be acted on.

Found by the hostile review of the triggers and conditions.
"""

from __future__ import annotations

import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.connectcall.const import DOMAIN

from .conftest import (
    DEST,
    RunningSimulator,
    advance,
    tick,
)
from .helpers import (
    B,
    C,
    calls_placed,
    check,
    dial,
    left_session,
    ran,
    run,
    set_up_automations,
)


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    """Automations write the default blueprints into the config dir."""
    return hass_tmp_config_dir


MISSED = ["busy", "no_answer", "rejected", "canceled", "failed"]


def ended_trigger(**extra: Any) -> dict[str, Any]:
    return {"triggers": [{"trigger": "connectcall.call_ended", **extra}]}


async def _stop_mid_call_then_start(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
    seconds: float,
    *,
    expire: RunningSimulator | None = None,
) -> None:
    """Unload while the call rings; ``seconds`` pass; set up again."""
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    await advance(hass, freezer, seconds)
    if expire is not None:
        expire.server.expire_sessions()
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def test_a_call_answered_and_ended_while_stopped_is_no_missed_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Stopped while it rang; answered at 8 s, talked, ended at 39 s (code 30,
    the server's end of every answered call). ``found_over`` reads 30 without
    a recorded answer as "canceled" ("hung up before it was answered"): the
    README's own missed-call automation tells the user Mum did not answer,
    and last_call_outcome says so too, for a call she talked 30 s in."""
    runs = await set_up_automations(
        hass,
        {
            "missed": ended_trigger(options={"outcome": MISSED}),
            "any": ended_trigger(),
            "last missed": {
                "conditions": [
                    {
                        "condition": "connectcall.last_call_outcome",
                        "options": {"outcome": MISSED},
                    }
                ]
            },
        },
    )
    await dial(hass)
    await tick(hass, freezer)  # ringing: nothing answered yet
    await _stop_mid_call_then_start(hass, freezer, init_integration, 60)
    assert calls_placed(ha_sim) == [DEST]
    assert ha_sim.server.calls[-1].status(ha_sim.server.clock()) == 30
    assert len(ran(runs, "any")) == 1  # its end is told once, as documented
    assert ran(runs, "missed") == [], ran(runs, "missed")
    assert not await check(hass, runs, "last missed")


async def test_a_call_whose_session_was_lost_while_stopped_still_ends_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """call_started fired; the server dropped the session (and its call)
    while Home Assistant was stopped. A running Home Assistant fires
    call_ended for a call whose session is lost (outcome failed/ended); at
    start-up the same loss is found and nothing fires: call_ended never comes
    for a call that call_started announced, and last_call_outcome keeps the
    call before's."""
    runs = await set_up_automations(
        hass,
        {
            "started": {"triggers": [{"trigger": "connectcall.call_started"}]},
            "ended": ended_trigger(),
        },
    )
    await dial(hass)
    await tick(hass, freezer)
    await _stop_mid_call_then_start(hass, freezer, init_integration, 60, expire=ha_sim)
    await run(hass, freezer, 5)
    assert len(ran(runs, "started")) == 1
    assert len(ran(runs, "ended")) == 1, "call_ended never fired for the call"


async def test_a_call_found_over_at_a_reload_can_be_acted_on(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A reload (or a setup retry after the start) tells call_ended "at
    once": from inside the entry's setup, before the account is loaded. An
    automation that reacts with a Connect Call action ("Mum was busy: call
    Dad") then fails with "not loaded" and nobody is called."""
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": [
                {
                    "alias": "call the next one",
                    "triggers": [
                        {
                            "trigger": "connectcall.call_ended",
                            "options": {"outcome": ["busy"]},
                        }
                    ],
                    "actions": [
                        {
                            "action": "connectcall.dial",
                            "data": {"destination": C},
                        }
                    ],
                }
            ]
        },
    )
    await hass.async_block_till_done()
    ha_sim.server.scenarios = {B: "busy"}
    await dial(hass, destination=B)
    await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    await advance(hass, freezer, 10)  # busy at the server meanwhile
    with caplog.at_level(logging.ERROR):
        await hass.config_entries.async_setup(init_integration.entry_id)
        await hass.async_block_till_done()
        await run(hass, freezer, 2)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert calls_placed(ha_sim) == [B, C], errors


@pytest.mark.parametrize("announced", [True, False])
async def test_a_call_announced_before_a_crash_is_not_announced_again(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    announced: bool,
) -> None:
    """Home Assistant stopped without unloading (a crash, a power cut): the
    store holds the call as last written. Found over at start-up, its end is
    told once: not again if the run before had told it already."""
    guid = left_session(ha_sim, DEST)
    ha_sim.server.scenarios = {}
    key = f"{DOMAIN}.{mock_config_entry.entry_id}"
    call = {
        "call_id": 1,
        "destination": DEST,
        "contact": None,
        "dialled": ha_sim.server.clock(),
        "progressed": True,
        "lingering": None,
        "answered": None,
        "ring_timeout": None,
        "max_duration": None,
        "counted": True,
        "reported": announced,
        "answer_reported": False,
    }
    hass_storage[key] = {
        "version": 1,
        "minor_version": 1,
        "key": key,
        "data": {"guid": guid, "call": call},
    }
    runs = await set_up_automations(hass, {"ended": ended_trigger()})
    await advance(hass, freezer, 60)  # the call rings out at the server
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    await run(hass, freezer, 2)
    assert len(ran(runs, "ended")) == (0 if announced else 1)
