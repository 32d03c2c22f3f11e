"""Fix flows for repair issues: the http:// API URL, moved to https://."""

from __future__ import annotations

from typing import Any

from homeassistant.components.repairs import RepairsFlow, RepairsFlowResult
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio

from .config_flow import async_probe, other_entry_has, unique_id_of
from .coordinator import ConnectCallConfigEntry
from .issues import ISSUE_HTTP

_URL_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_URL): TextSelector(
            TextSelectorConfig(type=TextSelectorType.URL)
        )
    }
)


class InsecureURLRepairFlow(RepairsFlow):
    """Offer the https:// URL, check it like the config flow, save it."""

    def __init__(self, entry: ConnectCallConfigEntry) -> None:
        """The flow of one account's issue."""
        self._entry = entry

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """The one step: the URL, ``https://`` offered (custom ports kept)."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Check and save; a call in progress is never put at risk."""
        entry = self._entry
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, CONF_URL: user_input[CONF_URL]}
            if (
                # The probe logs in: on a server with one session per account
                # it could end the call (and the reload stops following it).
                entry.state is ConfigEntryState.LOADED and entry.runtime_data.in_use
            ):
                errors["base"] = "call_in_progress"
            elif not (errors := await async_probe(self.hass, data)):
                if not data[CONF_URL].startswith("https://"):
                    errors[CONF_URL] = "not_https"
                else:
                    unique_id = unique_id_of(data[CONF_URL], data[CONF_USERNAME])
                    if other_entry_has(self.hass, entry, unique_id):
                        return self.async_abort(reason="already_configured")
                    self.hass.config_entries.async_update_entry(
                        entry, data=data, unique_id=unique_id
                    )
                    self.hass.config_entries.async_schedule_reload(entry.entry_id)
                    return self.async_create_entry(data={})
        url = entry.data[CONF_URL]
        offered = (user_input or {}).get(CONF_URL) or (
            "https://" + url.removeprefix("http://")
        )
        return self.async_show_form(
            step_id="confirm",
            data_schema=self.add_suggested_values_to_schema(
                _URL_SCHEMA, {CONF_URL: offered}
            ),
            description_placeholders={"account": entry.data[CONF_USERNAME]},
            errors=errors,
        )


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """The fix flow of ``issue_id`` (only the http:// URL issue has one)."""
    assert issue_id.startswith(f"{ISSUE_HTTP}_")
    assert data is not None
    entry = hass.config_entries.async_get_entry(str(data["entry_id"]))
    assert entry is not None
    return InsecureURLRepairFlow(entry)
