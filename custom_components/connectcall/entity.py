"""The base entity: one service device per account."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import ConnectCallCoordinator


class ConnectCallEntity(CoordinatorEntity[ConnectCallCoordinator]):
    """An entity of the account's service device."""

    _attr_has_entity_name = True

    def __init__(
        self, coordinator: ConnectCallCoordinator, description: EntityDescription
    ) -> None:
        """Unique ID from the entry (the account) and the description's key."""
        super().__init__(coordinator)
        self.entity_description = description
        entry = coordinator.config_entry
        self._attr_unique_id = f"{entry.entry_id}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            name=entry.title,
            manufacturer="Connect Call",
            model="Connect Call API",
            entry_type=DeviceEntryType.SERVICE,
        )
