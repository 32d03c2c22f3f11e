"""Triggers: a call started, was answered or ended (the automation editor).

Each listens to the milestones ``activity.py`` announces once per call,
whatever placed it (``dial``, ``call_contact``, a Call button, Assist),
and keeps those of the calls its target picks (``targets.py``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.trigger import (
    Trigger,
    TriggerActionRunner,
    TriggerConfig,
    TriggerNotTriggeredReporter,
)

from .activity import CALL_MILESTONE, CallMilestone
from .call import MILESTONE_ANSWERED, MILESTONE_ENDED, MILESTONE_STARTED
from .targets import (
    ATTR_OUTCOME,
    OUTCOME_SCHEMA,
    TargetedConfig,
    targeted,
)


class CallTrigger(TargetedConfig, Trigger):
    """Fires when a targeted call reaches the trigger's milestone."""

    milestone: ClassVar[str]

    def __init__(self, hass: HomeAssistant, config: TriggerConfig) -> None:
        """The target is resolved at each call: areas and contacts change."""
        super().__init__(hass, config)
        self._target = config.target
        self._outcomes = frozenset((config.options or {}).get(ATTR_OUTCOME, ()))

    async def async_attach_runner(
        self,
        run_action: TriggerActionRunner,
        did_not_trigger: TriggerNotTriggeredReporter | None = None,
    ) -> CALLBACK_TYPE:
        """Listen to the calls of every account."""

        @callback
        def _on_milestone(call: CallMilestone) -> None:
            if call.kind != self.milestone or (
                self._outcomes and call.outcome not in self._outcomes
            ):
                return
            picked = targeted(self._hass, self._target)
            if picked is not None and not picked.covers(
                call.config_entry_id, call.destination
            ):
                return
            run_action(_variables(call), f"Connect Call call {call.kind}")

        return async_dispatcher_connect(self._hass, CALL_MILESTONE, _on_milestone)


def _variables(call: CallMilestone) -> dict[str, Any]:
    """The trigger's variables (``trigger.destination``, ...)."""
    variables: dict[str, Any] = {
        "config_entry_id": call.config_entry_id,
        "device_id": call.device_id,
        "destination": call.destination,
        "contact": call.contact,
    }
    if call.kind == MILESTONE_ENDED:
        variables |= {"outcome": call.outcome, "duration": call.duration}
    return variables


class CallStartedTrigger(CallTrigger):
    """The server accepted a dial (or the call showed a status of its own)."""

    milestone = MILESTONE_STARTED


class CallAnsweredTrigger(CallTrigger):
    """The call was answered (first 9 or 29)."""

    milestone = MILESTONE_ANSWERED


class CallEndedTrigger(CallTrigger):
    """The call is over; option: its outcomes."""

    milestone = MILESTONE_ENDED
    schema = OUTCOME_SCHEMA


TRIGGERS: dict[str, type[Trigger]] = {
    "call_started": CallStartedTrigger,
    "call_answered": CallAnsweredTrigger,
    "call_ended": CallEndedTrigger,
}


async def async_get_triggers(hass: HomeAssistant) -> dict[str, type[Trigger]]:
    """The triggers of Connect Call."""
    return TRIGGERS
