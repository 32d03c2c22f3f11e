"""The call-status sensor and the statistics sensors (calls, talk time)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import UnitOfTime
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .codes import CALL_STATES
from .coordinator import ConnectCallConfigEntry, ConnectCallCoordinator
from .entity import ConnectCallEntity

# Polling is the coordinator's; entities only read.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class ConnectCallSensorDescription(SensorEntityDescription):
    """A sensor read from the coordinator's call state or totals."""

    value_fn: Callable[[ConnectCallCoordinator], StateType]
    attributes_fn: Callable[[ConnectCallCoordinator], dict[str, Any] | None] = (
        lambda _: None
    )


SENSORS: tuple[ConnectCallSensorDescription, ...] = (
    ConnectCallSensorDescription(
        key="call_status",
        translation_key="call_status",
        device_class=SensorDeviceClass.ENUM,
        options=CALL_STATES,
        value_fn=lambda coordinator: coordinator.data.status,
        attributes_fn=lambda coordinator: {
            "status_code": coordinator.data.code,
            "status_message": coordinator.data.message,
        },
    ),
    # Totals since the account was added, kept in .storage by the
    # coordinator: long-term statistics for the statistics cards.
    ConnectCallSensorDescription(
        key="calls",
        translation_key="calls",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda coordinator: coordinator.activity.totals.calls,
    ),
    ConnectCallSensorDescription(
        key="talk_time",
        translation_key="talk_time",
        device_class=SensorDeviceClass.DURATION,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_unit_of_measurement=UnitOfTime.MINUTES,
        # Minutes to two places: a few seconds' call shows (0.15 min = 9 s).
        suggested_display_precision=2,
        value_fn=lambda coordinator: coordinator.activity.totals.talk_time,
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
    def native_value(self) -> StateType:
        """The state key, or a total."""
        return self.entity_description.value_fn(self.coordinator)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """The call status's code and server text."""
        return self.entity_description.attributes_fn(self.coordinator)
