"""Upgrading to 2.0.0: "ended" (a hang-up before the answer) became "canceled".

What a user saved before keeps its meaning: the stored last outcomes are
migrated, an automation that picks "ended" still matches those calls, and a
repair tells the user what to change.
"""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.connectcall.const import DOMAIN
from custom_components.connectcall.issues import ISSUE_OUTCOME_RENAMED

from .helpers import (
    DEST,
    B,
    RunningSimulator,
    check,
    dial,
    on,
    ran,
    run,
    set_up_automations,
)


def _renamed_issue(hass: HomeAssistant) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, ISSUE_OUTCOME_RENAMED)


async def test_stored_outcome_ended_is_read_as_canceled(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """The last outcomes a 1.x install wrote say "ended" for a call hung up
    before the answer: after the upgrade they say "canceled"."""
    key = f"{DOMAIN}.{mock_config_entry.entry_id}.outcomes"
    hass_storage[key] = {
        "version": 1,
        "minor_version": 1,
        "key": key,
        "data": {
            "last": {"outcome": "ended", "ended": 1_796_000_000.0},
            "numbers": {
                DEST: {"outcome": "ended", "ended": 1_796_000_000.0},
                B: {"outcome": "busy", "ended": 1_795_000_000.0},
            },
        },
    }
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    runs = await set_up_automations(
        hass,
        {
            "canceled": {
                "conditions": [
                    {
                        "condition": "connectcall.last_call_outcome",
                        "options": {"outcome": ["canceled"]},
                    }
                ]
            }
        },
    )
    assert await check(hass, runs, "canceled")
    activity = mock_config_entry.runtime_data.activity
    assert activity.outcomes.last is not None
    assert activity.outcomes.last.outcome == "canceled"
    assert {n: o.outcome for n, o in activity.outcomes.by_number.items()} == {
        DEST: "canceled",
        B: "busy",
    }
    assert _renamed_issue(hass) is None


@pytest.mark.usefixtures("init_integration")
async def test_automation_saying_ended_still_matches_and_raises_a_repair(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    """A 1.x automation "A call ended, outcome ended" (hung up before the
    answer) runs for such a call and no other; the repair says to pick
    "canceled" instead."""
    assert _renamed_issue(hass) is None
    runs = await set_up_automations(
        hass,
        {"old": on("call_ended", options={"outcome": "ended"})},
    )
    issue = _renamed_issue(hass)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.WARNING
    assert not issue.is_persistent
    ha_sim.server.scenarios = {DEST: "cancelled", B: "busy"}
    await dial(hass, destination=B)
    await run(hass, freezer, 10)
    await dial(hass, destination=DEST)
    await run(hass, freezer, 10)
    assert [r["outcome"] for r in ran(runs, "old")] == ["canceled"]


@pytest.mark.parametrize(
    "data",
    [
        {"last": "ended", "numbers": ["ended"]},
        {"last": None, "numbers": None},
        ["ended"],
        {"last": {"outcome": ["ended"], "ended": 1.0}, "numbers": {}},
        {"last": None, "numbers": {DEST: {"outcome": {"x": 1}}}},
    ],
)
async def test_unreadable_old_outcomes_never_stop_the_setup(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    data: Any,
) -> None:
    """The migration leaves data it cannot read alone: the account loads."""
    key = f"{DOMAIN}.{mock_config_entry.entry_id}.outcomes"
    hass_storage[key] = {"version": 1, "minor_version": 1, "key": key, "data": data}
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.LOADED
