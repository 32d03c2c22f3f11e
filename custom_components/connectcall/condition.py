"""Conditions: a call is active; the last call ended so (the automation editor).

A target picks accounts and contacts (``targets.py``); none: every account.
"""

from __future__ import annotations

from typing import Unpack

from homeassistant.core import HomeAssistant
from homeassistant.helpers.condition import (
    Condition,
    ConditionCheckParams,
    ConditionConfig,
)

from .activity import LastOutcome
from .const import DOMAIN
from .coordinator import ConnectCallConfigEntry
from .targets import (
    ATTR_OUTCOME,
    OUTCOME_SCHEMA,
    Targeted,
    TargetedConfig,
    targeted,
)


class CallCondition(TargetedConfig, Condition):
    """A condition on the targeted accounts' calls."""

    def __init__(self, hass: HomeAssistant, config: ConditionConfig) -> None:
        """The target is resolved at each check: areas and contacts change."""
        super().__init__(hass, config)
        self._target = config.target
        self._outcomes = frozenset((config.options or {}).get(ATTR_OUTCOME, ()))

    def _accounts(self) -> tuple[list[ConnectCallConfigEntry], Targeted | None]:
        """The loaded accounts (a removed or unloaded one knows no calls)."""
        entries: list[ConnectCallConfigEntry] = (
            self._hass.config_entries.async_loaded_entries(DOMAIN)
        )
        return entries, targeted(self._hass, self._target)


class CallActiveCondition(CallCondition):
    """A targeted call rings or talks.

    Read from the followed call, not the published state: an automation a
    call's trigger starts checks its conditions before the state is published.
    """

    def _async_check(self, **kwargs: Unpack[ConditionCheckParams]) -> bool:
        entries, picked = self._accounts()
        return any(
            (call := entry.runtime_data.line.current) is not None
            and not call.tracker.over
            and (
                picked is None
                or picked.covers(entry.entry_id, call.tracker.destination)
            )
            for entry in entries
        )


class LastCallOutcomeCondition(CallCondition):
    """The last finished call of the targets ended with one of the outcomes.

    Of several accounts or contacts, the one that ended last counts. A call
    in progress does not: until it ends, the previous call is the last.
    """

    schema = OUTCOME_SCHEMA

    def _async_check(self, **kwargs: Unpack[ConditionCheckParams]) -> bool:
        entries, picked = self._accounts()
        candidates: list[LastOutcome | None] = []
        for entry in entries:
            activity = entry.runtime_data.activity
            if picked is None or entry.entry_id in picked.accounts:
                candidates.append(activity.outcomes.last)
            else:
                candidates.extend(
                    activity.outcomes.by_number.get(number)
                    for entry_id, number in picked.contacts
                    if entry_id == entry.entry_id
                )
        known = [last for last in candidates if last is not None]
        if not known:
            return False
        last = max(known, key=lambda outcome: outcome.ended)
        return not self._outcomes or last.outcome in self._outcomes


CONDITIONS: dict[str, type[Condition]] = {
    "call_active": CallActiveCondition,
    "last_call_outcome": LastCallOutcomeCondition,
}


async def async_get_conditions(hass: HomeAssistant) -> dict[str, type[Condition]]:
    """The conditions of Connect Call."""
    return CONDITIONS
