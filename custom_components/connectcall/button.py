"""The hang-up button."""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import ConnectCallConfigEntry
from .entity import ConnectCallEntity

# Presses go through the coordinator's lock; no limit needed here.
PARALLEL_UPDATES = 0

DESCRIPTION = ButtonEntityDescription(key="hang_up", translation_key="hang_up")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ConnectCallConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the account's hang-up button."""
    async_add_entities([ConnectCallHangUpButton(entry.runtime_data, DESCRIPTION)])


class ConnectCallHangUpButton(ConnectCallEntity, ButtonEntity):
    """Hangs up the current call (and stops a running call list)."""

    @property
    def available(self) -> bool:
        """Hanging up must stay possible while status polls fail."""
        return True

    async def async_press(self) -> None:
        """Hang up; no call: nothing happens."""
        await self.coordinator.async_hang_up()
