"""Where an account's data outlives a restart (Home Assistant's ``.storage``)."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from .codes import OUTCOME_RENAMED
from .const import DOMAIN, STORAGE_VERSION

# Minor version 2: the outcomes say "canceled" where 1 said "ended" (a hang-up before
# the answer).
OUTCOMES_MINOR_VERSION = 2


def session_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """The GUID and the call in progress (private: the GUID is a secret)."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}", private=True)


def totals_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """The account's call totals."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.totals")


class _OutcomesStore(Store[dict[str, Any]]):
    """How the account's last calls ended, in today's words."""

    async def _async_migrate_func(
        self, old_major_version: int, old_minor_version: int, old_data: Any
    ) -> Any:
        if old_minor_version < 2 and isinstance(old_data, dict):
            # Unreadable data stays as it is: the setup warns and goes on.
            numbers = old_data.get("numbers")
            kept = [
                old_data.get("last"),
                *(numbers.values() if isinstance(numbers, dict) else ()),
            ]
            for last in kept:
                if isinstance(last, dict) and isinstance(
                    outcome := last.get("outcome"), str
                ):
                    last["outcome"] = OUTCOME_RENAMED.get(outcome, outcome)
        return old_data


def outcomes_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """How the account's last calls ended (private: it names the numbers)."""
    return _OutcomesStore(
        hass,
        STORAGE_VERSION,
        f"{DOMAIN}.{entry_id}.outcomes",
        private=True,
        minor_version=OUTCOMES_MINOR_VERSION,
    )
