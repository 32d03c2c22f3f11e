"""The call event entity: started, answered, and how each call ended."""

from __future__ import annotations

from typing import Any

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .call import CallState
from .codes import EVENT_STARTED, EVENT_TYPES, OUTCOME_ANSWERED, end_event_type
from .coordinator import ConnectCallConfigEntry, ConnectCallCoordinator
from .entity import ConnectCallEntity

PARALLEL_UPDATES = 0


DESCRIPTION = EventEntityDescription(
    key="call", translation_key="call", event_types=list(EVENT_TYPES)
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ConnectCallConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the account's call event entity."""
    async_add_entities([ConnectCallEvent(entry.runtime_data, DESCRIPTION)])


class ConnectCallEvent(ConnectCallEntity, EventEntity):
    """Fires once per milestone of each call, derived from the call state."""

    # The dialled number is personal data: keep it out of the recorder.
    _unrecorded_attributes = frozenset({"destination"})

    def __init__(
        self, coordinator: ConnectCallCoordinator, description: EventEntityDescription
    ) -> None:
        """Start from the current call: nothing of it is fired again."""
        super().__init__(coordinator, description)
        self._fired: tuple[int, bool, bool] = self._milestones(coordinator.data)

    @property
    def available(self) -> bool:
        """Events are a stream: a failed poll does not make it unavailable."""
        return True

    @staticmethod
    def _milestones(state: CallState) -> tuple[int, bool, bool]:
        return (
            state.call_id,
            state.answered_at is not None,
            state.ended_at is not None,
        )

    @callback
    def _handle_coordinator_update(self) -> None:
        state = self.coordinator.data
        call_id, answered, ended = self._milestones(state)
        seen_id, seen_answered, seen_ended = self._fired
        if call_id != seen_id:
            seen_answered = seen_ended = False
            self._fire(EVENT_STARTED, state)
        if answered and not seen_answered:
            self._fire(OUTCOME_ANSWERED, state)
        if ended and not seen_ended and state.outcome:
            extra = {"duration": state.duration} if answered else {}
            self._fire(end_event_type(state.outcome), state, extra)
        self._fired = (call_id, answered, ended)

    def _fire(
        self, event_type: str, state: CallState, extra: dict[str, Any] | None = None
    ) -> None:
        self._trigger_event(
            event_type,
            {
                "status": state.status,
                "status_code": state.code,
                "destination": state.destination,
            }
            | (extra or {}),
        )
        self.async_write_ha_state()
