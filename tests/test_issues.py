"""Repair issues: raised, cleared, and removed with the entry."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.connectcall.const import DOMAIN

from .helpers import PASSWORD, RunningSimulator, dial, dial_scenario, run


def funds_issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(
        DOMAIN, f"insufficient_funds_{entry.entry_id}"
    )


@pytest.mark.parametrize(
    "scenario",
    [
        "funds_run_out",
        "insufficient_funds",
        "source_insufficient_funds",
        "destination_insufficient_funds",
    ],
)
async def test_funds_issue_raised_then_cleared_by_answer(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    scenario: str,
) -> None:
    ha_sim.server.default_scenario = scenario
    await dial(hass)
    await run(hass, freezer, 25)
    issue = funds_issue(hass, init_integration)
    assert issue is not None
    assert issue.translation_key == "insufficient_funds"
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.translation_placeholders == {"account": init_integration.title}
    # A failed call does not clear it; an answered one does.
    await dial_scenario(hass, ha_sim, "busy")
    await run(hass, freezer, 8)
    assert funds_issue(hass, init_integration) is not None
    await dial_scenario(hass, ha_sim, "answered")
    await run(hass, freezer, 9)
    assert funds_issue(hass, init_integration) is None


async def test_http_url_issue(
    hass: HomeAssistant, ha_sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    registry = ir.async_get(hass)
    issue_id = f"insecure_url_{init_integration.entry_id}"
    issue = registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None  # the simulator speaks http://
    assert issue.translation_key == "insecure_url"
    assert PASSWORD not in str(issue.translation_placeholders)
    # Removing the entry removes its issues (2026.10 has no config_entry_id on issues).
    ha_sim.server.default_scenario = "insufficient_funds"
    await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done()
    assert registry.async_get_issue(DOMAIN, issue_id) is None
    assert funds_issue(hass, init_integration) is None


async def test_https_url_has_no_issue(hass: HomeAssistant) -> None:
    from custom_components.connectcall.issues import async_check_url

    registry = ir.async_get(hass)
    async_check_url(hass, "x", {"url": "http://h/", "username": "u"})
    assert registry.async_get_issue(DOMAIN, "insecure_url_x") is not None
    async_check_url(hass, "x", {"url": "https://h/", "username": "u"})
    assert registry.async_get_issue(DOMAIN, "insecure_url_x") is None
