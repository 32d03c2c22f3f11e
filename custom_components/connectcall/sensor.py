"""The call-status sensor."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .call import CallState
from .const import CALL_STATES
from .coordinator import ConnectCallConfigEntry
from .entity import ConnectCallEntity

# Polling is the coordinator's; entities only read.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class ConnectCallSensorDescription(SensorEntityDescription):
    """A sensor read from the call state."""

    value_fn: Callable[[CallState], str | None]
    attributes_fn: Callable[[CallState], dict[str, Any]]


SENSORS: tuple[ConnectCallSensorDescription, ...] = (
    ConnectCallSensorDescription(
        key="call_status",
        translation_key="call_status",
        device_class=SensorDeviceClass.ENUM,
        options=CALL_STATES,
        value_fn=lambda state: state.status,
        attributes_fn=lambda state: {
            "status_code": state.code,
            "status_message": state.message,
        },
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ConnectCallConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the account's sensors."""
    async_add_entities(
        ConnectCallSensor(entry.runtime_data, description) for description in SENSORS
    )


class ConnectCallSensor(ConnectCallEntity, SensorEntity):
    """A sensor of the account's service device."""

    entity_description: ConnectCallSensorDescription

    @property
    def native_value(self) -> str | None:
        """The state key."""
        return self.entity_description.value_fn(self.coordinator.data)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Code and server text."""
        return self.entity_description.attributes_fn(self.coordinator.data)
