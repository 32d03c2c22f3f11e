"""Buttons: hang up (the account's device) and call (one per contact device)."""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
    ConfigSubentry,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import CONF_MODE, CONF_NUMBER, CONF_SOURCE, DOMAIN, SUBENTRY_CONTACT
from .coordinator import ConnectCallConfigEntry, ConnectCallCoordinator
from .entity import ConnectCallEntity
from .services import ATTR_DESTINATION, dial_plan

# Presses go through the coordinator's lock; no limit needed here.
PARALLEL_UPDATES = 0

HANG_UP = ButtonEntityDescription(key="hang_up", translation_key="hang_up")
CALL = ButtonEntityDescription(key="call", translation_key="call")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ConnectCallConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the hang-up button, and a call button per contact as they come."""
    coordinator = entry.runtime_data
    async_add_entities([ConnectCallHangUpButton(coordinator, HANG_UP)])
    known: dict[str, str] = {}

    @callback
    def _sync_contacts() -> None:
        device_registry = dr.async_get(hass)
        for subentry in entry.subentries.values():
            if subentry.subentry_type != SUBENTRY_CONTACT:
                continue
            if subentry.subentry_id not in known:
                async_add_entities(
                    [ContactCallButton(coordinator, subentry)],
                    config_subentry_id=subentry.subentry_id,
                )
            elif known[subentry.subentry_id] != subentry.title and (
                device := device_registry.async_get_device_by_identifier(
                    _contact_identifier(entry, subentry), entry.entry_id
                )
            ):
                # A renamed contact: its device follows, no reload.
                device_registry.async_update_device(device.id, name=subentry.title)
            known[subentry.subentry_id] = subentry.title
        # Removed contacts: Home Assistant clears their devices and entities.
        for subentry_id in set(known) - set(entry.subentries):
            del known[subentry_id]

    @callback
    def _entry_changed(change: ConfigEntryChange, changed: ConfigEntry) -> None:
        if change is ConfigEntryChange.UPDATED and changed.entry_id == entry.entry_id:
            _sync_contacts()

    _sync_contacts()
    entry.async_on_unload(
        async_dispatcher_connect(hass, SIGNAL_CONFIG_ENTRY_CHANGED, _entry_changed)
    )


def _contact_identifier(
    entry: ConfigEntry, subentry: ConfigSubentry
) -> tuple[str, str]:
    return (DOMAIN, f"{entry.entry_id}_{subentry.subentry_id}")


class ConnectCallHangUpButton(ConnectCallEntity, ButtonEntity):
    """Hangs up the current call (and stops a running call list)."""

    @property
    def available(self) -> bool:
        """Hanging up must stay possible while status polls fail."""
        return True

    async def async_press(self) -> None:
        """Hang up; no call: nothing happens."""
        await self.coordinator.async_hang_up()


class ContactCallButton(ButtonEntity):
    """Calls one contact; the contact is its own service device."""

    _attr_has_entity_name = True
    entity_description = CALL

    def __init__(
        self, coordinator: ConnectCallCoordinator, subentry: ConfigSubentry
    ) -> None:
        """Tie the button and its device to the contact's subentry."""
        self._coordinator = coordinator
        self._subentry_id = subentry.subentry_id
        entry = coordinator.config_entry
        self._attr_unique_id = f"{entry.entry_id}_{subentry.subentry_id}_call"
        self._attr_device_info = DeviceInfo(
            identifiers={_contact_identifier(entry, subentry)},
            name=subentry.title,
            manufacturer="Connect Call",
            model="Quick-dial contact",
            entry_type=DeviceEntryType.SERVICE,
        )

    async def async_press(self) -> None:
        """Dial the contact as it is now (an edit applies at once)."""
        entry = self._coordinator.config_entry
        data = entry.subentries[self._subentry_id].data
        call = {ATTR_DESTINATION: data[CONF_NUMBER]} | {
            key: data[key] for key in (CONF_SOURCE, CONF_MODE) if data.get(key)
        }
        plan, _ = dial_plan(call, entry)
        await self._coordinator.async_call(plan, wait=False)
