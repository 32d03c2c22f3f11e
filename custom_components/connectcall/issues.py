"""Repair issues: what the user should know and fix outside Home Assistant.

Created without ``config_entry_id`` (2026.11 has it, 2026.10 does not), so
they are removed by ``async_remove_entry`` on both.
"""

from __future__ import annotations

from homeassistant.const import CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN

ISSUE_FUNDS = "insufficient_funds"
ISSUE_HTTP = "insecure_url"
ISSUE_OUTCOME_RENAMED = "outcome_ended_renamed"
ISSUE_CALL_MAY_RING = "call_may_ring"


def _issue_id(kind: str, entry_id: str) -> str:
    return f"{kind}_{entry_id}"


@callback
def async_check_url(hass: HomeAssistant, entry_id: str, data: dict[str, str]) -> None:
    """Raise (or clear) the issue of an http:// API URL: the password travels in it."""
    issue_id = _issue_id(ISSUE_HTTP, entry_id)
    if data[CONF_URL].startswith("http://"):
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=True,
            data={"entry_id": entry_id},
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_HTTP,
            translation_placeholders={"account": data[CONF_USERNAME]},
        )
    else:
        ir.async_delete_issue(hass, DOMAIN, issue_id)


@callback
def async_funds_seen(hass: HomeAssistant, entry_id: str, account: str) -> None:
    """A call failed for lack of funds."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        _issue_id(ISSUE_FUNDS, entry_id),
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=ISSUE_FUNDS,
        translation_placeholders={"account": account},
    )


@callback
def async_call_answered(hass: HomeAssistant, entry_id: str) -> None:
    """An answered call proves the funds are back."""
    ir.async_delete_issue(hass, DOMAIN, _issue_id(ISSUE_FUNDS, entry_id))


@callback
def async_outcome_renamed(hass: HomeAssistant) -> None:
    """An automation picks the outcome "ended", now "canceled".

    Not persistent: each start raises it again while an automation still
    says "ended", and not once they all were saved anew.
    """
    ir.async_create_issue(
        hass,
        DOMAIN,
        ISSUE_OUTCOME_RENAMED,
        is_fixable=False,
        is_persistent=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_OUTCOME_RENAMED,
    )


@callback
def async_call_may_ring(
    hass: HomeAssistant, entry_id: str, account: str, called: str
) -> None:
    """The last run stopped during a login that places a call: none to follow.

    Not persistent: it tells of one start-up, and goes with the next.
    """
    ir.async_create_issue(
        hass,
        DOMAIN,
        _issue_id(ISSUE_CALL_MAY_RING, entry_id),
        is_fixable=False,
        is_persistent=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_CALL_MAY_RING,
        translation_placeholders={"account": account, "called": called},
    )


@callback
def async_remove_issues(hass: HomeAssistant, entry_id: str) -> None:
    """The entry is gone: so are its issues."""
    for kind in (ISSUE_FUNDS, ISSUE_HTTP, ISSUE_CALL_MAY_RING):
        ir.async_delete_issue(hass, DOMAIN, _issue_id(kind, entry_id))
