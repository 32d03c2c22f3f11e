"""Diagnostics: what support needs, with every secret and number redacted."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant

from .const import CONF_SOURCE
from .coordinator import ConnectCallConfigEntry

TO_REDACT = {
    CONF_PASSWORD,
    CONF_USERNAME,
    CONF_SOURCE,
    "title",
    "unique_id",
    "destination",
    "number",
    "contact",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: ConnectCallConfigEntry
) -> dict[str, Any]:
    """Entry, options, last call state, totals, session and request counters."""
    coordinator = entry.runtime_data
    client = coordinator.keeper.client
    return async_redact_data(
        {
            "entry": {
                "title": entry.title,
                "unique_id": entry.unique_id,
                "data": dict(entry.data),
                "options": dict(entry.options),
                "subentries": [
                    {"subentry_type": sub.subentry_type, "data": dict(sub.data)}
                    for sub in entry.subentries.values()
                ],
            },
            "call": asdict(coordinator.data),
            "totals": asdict(coordinator.activity.totals),
            "session_open": coordinator.keeper.is_open,
            "last_update_success": coordinator.last_update_success,
            "requests": client.request_count,
            "request_errors": client.error_count,
        },
        TO_REDACT,
    )
