"""Where an account's data outlives a restart (Home Assistant's ``.storage``)."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from .const import DOMAIN, STORAGE_VERSION


def session_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """The GUID and the call in progress (private: the GUID is a secret)."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}", private=True)


def totals_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """The account's call totals."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.totals")


def outcomes_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """How the account's last calls ended (private: it names the numbers)."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.outcomes", private=True)
