"""The base entity: the account's service device, or a contact's."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import ConnectCallCoordinator


def contact_identifier(entry: ConfigEntry, subentry: ConfigSubentry) -> tuple[str, str]:
    """The device registry identifier of a quick-dial contact."""
    return (DOMAIN, f"{entry.entry_id}_{subentry.subentry_id}")


class ConnectCallEntity(CoordinatorEntity[ConnectCallCoordinator]):
    """An entity of the account's service device, or of a contact's."""

    _attr_has_entity_name = True

    def __init__(
        self,
        coordinator: ConnectCallCoordinator,
        description: EntityDescription,
        subentry: ConfigSubentry | None = None,
    ) -> None:
        """Unique ID from the entry (and contact) and the description's key."""
        super().__init__(coordinator)
        self.entity_description = description
        entry = coordinator.config_entry
        if subentry is None:
            self._attr_unique_id = f"{entry.entry_id}_{description.key}"
            self._attr_device_info = DeviceInfo(
                identifiers={(DOMAIN, entry.entry_id)},
                name=entry.title,
                manufacturer="Connect Call",
                model="Connect Call API",
                entry_type=DeviceEntryType.SERVICE,
            )
            return
        # A contact is its own service device, tied to its subentry.
        self._attr_unique_id = (
            f"{entry.entry_id}_{subentry.subentry_id}_{description.key}"
        )
        self._attr_device_info = DeviceInfo(
            identifiers={contact_identifier(entry, subentry)},
            name=subentry.title,
            manufacturer="Connect Call",
            model="Quick-dial contact",
            entry_type=DeviceEntryType.SERVICE,
        )
