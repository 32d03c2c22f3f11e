"""The call event entity: started, answered, and how each call ended."""

from __future__ import annotations

from typing import Any

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .activity import CALL_MILESTONE, CallMilestone
from .call import MILESTONE_ANSWERED, MILESTONE_STARTED
from .codes import EVENT_STARTED, EVENT_TYPES, OUTCOME_ANSWERED, end_event_type
from .coordinator import ConnectCallConfigEntry
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
    """Fires once per milestone of each call, as ``call.Milestones`` decides."""

    # The dialled number is personal data: keep it out of the recorder.
    _unrecorded_attributes = frozenset({"destination"})

    @property
    def available(self) -> bool:
        """Events are a stream: a failed poll does not make it unavailable."""
        return True

    async def async_added_to_hass(self) -> None:
        """Listen to the account's milestones."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(self.hass, CALL_MILESTONE, self._on_milestone)
        )

    @callback
    def _on_milestone(self, milestone: CallMilestone) -> None:
        state = milestone.state
        # A call found over at a start-up has no state (nor a time) to show.
        if milestone.config_entry_id != self.coordinator.config_entry.entry_id or (
            state is None
        ):
            return
        extra: dict[str, Any] = {}
        if milestone.kind == MILESTONE_STARTED:
            event_type = EVENT_STARTED
        elif milestone.kind == MILESTONE_ANSWERED:
            event_type = OUTCOME_ANSWERED
        else:
            assert milestone.outcome is not None
            event_type = end_event_type(milestone.outcome)
            if state.answered_at is not None:
                extra["duration"] = state.duration
        self._trigger_event(
            event_type,
            {
                "status": state.status,
                "status_code": state.code,
                "destination": state.destination,
            }
            | extra,
        )
        self.async_write_ha_state()
