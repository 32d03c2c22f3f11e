"""The Connect Call integration: click-to-call through a Dutch ISP's API."""

from __future__ import annotations

import asyncio

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
from homeassistant.helpers.translation import async_get_translations
from homeassistant.helpers.typing import ConfigType

from .api import PLACE_TIMEOUT, ConnectCallClient
from .const import (
    CONF_SOURCE,
    DOMAIN,
    LOGGER,
    REQUEST_TIMEOUT,
    SHUTDOWN_TIMEOUT,
)
from .coordinator import ConnectCallConfigEntry, ConnectCallCoordinator
from .issues import async_check_url, async_remove_issues
from .services import async_setup_services
from .session import SessionKeeper
from .storage import outcomes_store, session_store, totals_store

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)
PLATFORMS = [Platform.BINARY_SENSOR, Platform.BUTTON, Platform.EVENT, Platform.SENSOR]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions (once, whatever the entries)."""
    async_setup_services(hass)
    # The logbook's lines are built in a callback, from cached texts.
    await async_get_translations(hass, hass.config.language, "logbook", {DOMAIN})
    return True


async def async_setup_entry(hass: HomeAssistant, entry: ConnectCallConfigEntry) -> bool:
    """Probe the account (no call is placed) and set up the entities."""
    async_check_url(hass, entry.entry_id, dict(entry.data))
    coordinator = ConnectCallCoordinator(hass, entry, _client(hass, entry))
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = coordinator

    async def _on_stop(_event: Event) -> None:
        # Stopping does not unload entries: end (or keep) the session here.
        await coordinator.async_shutdown()

    entry.async_on_unload(
        hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, _on_stop)
    )
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_migrate_entry(
    hass: HomeAssistant, entry: ConnectCallConfigEntry
) -> bool:
    """Version 1 kept the default source in ``data``; it is an option."""
    if entry.version > 2:
        return False  # a downgrade: this version cannot read it
    if entry.version == 1:
        data, options = dict(entry.data), dict(entry.options)
        if (source := data.pop(CONF_SOURCE, None)) is not None:
            options.setdefault(CONF_SOURCE, source)
        hass.config_entries.async_update_entry(
            entry, data=data, options=options, version=2, minor_version=1
        )
    return True


async def async_unload_entry(
    hass: HomeAssistant, entry: ConnectCallConfigEntry
) -> bool:
    """Unload; the coordinator's shutdown ends the session or keeps its call."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(
    hass: HomeAssistant, entry: ConnectCallConfigEntry
) -> None:
    """The account is removed: hang up and end a session it left, forget it all.

    Unloading kept a call in progress (and its GUID in .storage); removal
    is the moment to end it.
    """
    async_remove_issues(hass, entry.entry_id)
    keeper = SessionKeeper(_client(hass, entry), session_store(hass, entry.entry_id))
    try:
        async with asyncio.timeout(2 * SHUTDOWN_TIMEOUT):
            await keeper.left.remove()
    except TimeoutError:
        LOGGER.debug("Could not end the removed account's session in time")
    await totals_store(hass, entry.entry_id).async_remove()
    await outcomes_store(hass, entry.entry_id).async_remove()


def _client(hass: HomeAssistant, entry: ConnectCallConfigEntry) -> ConnectCallClient:
    return ConnectCallClient(
        async_get_clientsession(hass),
        entry.data[CONF_USERNAME],
        entry.data[CONF_PASSWORD],
        entry.data[CONF_URL],
        request_timeout=REQUEST_TIMEOUT,
        place_timeout=PLACE_TIMEOUT,
    )
