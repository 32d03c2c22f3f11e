"""The call-active binary sensor: on from the dial until a final state."""

from __future__ import annotations

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import ConnectCallConfigEntry
from .entity import ConnectCallEntity

PARALLEL_UPDATES = 0

DESCRIPTION = BinarySensorEntityDescription(
    key="call_active", translation_key="call_active"
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ConnectCallConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the account's call-active sensor."""
    async_add_entities([ConnectCallActive(entry.runtime_data, DESCRIPTION)])


class ConnectCallActive(ConnectCallEntity, BinarySensorEntity):
    """Whether a call is in progress."""

    @property
    def is_on(self) -> bool:
        """From the dial until a final state."""
        return self.coordinator.data.active
