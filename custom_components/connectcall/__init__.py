"""The Connect Call integration: click-to-call through a Dutch ISP's API."""

from __future__ import annotations

from homeassistant.const import (
    CONF_PASSWORD,
    CONF_URL,
    CONF_USERNAME,
    EVENT_HOMEASSISTANT_STOP,
    Platform,
)
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.storage import Store
from homeassistant.helpers.typing import ConfigType

from .api import ConnectCallClient
from .const import DOMAIN, REQUEST_TIMEOUT, STORAGE_VERSION
from .coordinator import ConnectCallConfigEntry, ConnectCallCoordinator
from .issues import async_check_url, async_remove_issues
from .services import async_setup_services

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)
PLATFORMS = [Platform.BINARY_SENSOR, Platform.BUTTON, Platform.EVENT, Platform.SENSOR]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions (once, whatever the entries)."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: ConnectCallConfigEntry) -> bool:
    """Probe the account (no call is placed) and set up the entities."""
    client = ConnectCallClient(
        async_get_clientsession(hass),
        entry.data[CONF_USERNAME],
        entry.data[CONF_PASSWORD],
        entry.data[CONF_URL],
        request_timeout=REQUEST_TIMEOUT,
    )
    async_check_url(hass, entry.entry_id, dict(entry.data))
    coordinator = ConnectCallCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = coordinator

    async def _on_stop(_event: Event) -> None:
        # Stopping does not unload entries: end the login session here.
        await coordinator.async_shutdown()

    entry.async_on_unload(
        hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, _on_stop)
    )
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(
    hass: HomeAssistant, entry: ConnectCallConfigEntry
) -> bool:
    """Unload; the coordinator's shutdown ends the login session."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(
    hass: HomeAssistant, entry: ConnectCallConfigEntry
) -> None:
    """The account is removed: so are its repair issues and stored session."""
    async_remove_issues(hass, entry.entry_id)
    await Store[dict[str, str]](
        hass, STORAGE_VERSION, f"{DOMAIN}.{entry.entry_id}"
    ).async_remove()
