"""Activity: an account's call totals and the call-ended event.

The totals are kept in ``.storage``; each finished call fires one
``connectcall_call_ended`` event; a call's codes raise or clear the funds
repair. Each call is counted and announced once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er

from .call import CallState, CallTotals
from .codes import FUNDS_CODES, OUTCOME_ANSWERED
from .const import DOMAIN, EVENT_CALL_ENDED, LOGGER
from .issues import async_call_answered, async_funds_seen
from .storage import totals_store

if TYPE_CHECKING:
    from .coordinator import ConnectCallConfigEntry
    from .schedule import FollowedCall


class CallActivity:
    """Totals and the call-ended event of one account."""

    def __init__(self, hass: HomeAssistant, entry: ConnectCallConfigEntry) -> None:
        """Nothing is loaded here."""
        self._hass = hass
        self._entry = entry
        self.totals = CallTotals()
        self._store = totals_store(hass, entry.entry_id)

    async def async_load(self) -> None:
        """The totals of earlier runs; unreadable ones never stop the setup."""
        if stored := await self._store.async_load():
            try:
                self.totals = CallTotals(
                    int(stored["calls"]), float(stored["talk_time"])
                )
            except KeyError, TypeError, ValueError:
                LOGGER.warning("The stored call totals are unreadable; from 0")

    async def async_save(self) -> None:
        """Written at once (shutdown: the next run reads them at its setup)."""
        await self._store.async_save(self._data())

    def dialled(self) -> None:
        """The server accepted a dial: one more call."""
        self._set(self.totals.dialled())

    def published(
        self, call: FollowedCall, state: CallState, before: CallState
    ) -> None:
        """What a new state of ``call`` means for the totals, event and repairs.

        ``before``: the state the entities showed until now.
        """
        if state.answered_at is not None and before.answered_at is None:
            async_call_answered(self._hass, self._entry.entry_id)
        if state.code in FUNDS_CODES:
            async_funds_seen(self._hass, self._entry.entry_id, self._entry.title)
        if not call.counted and call.tracker.progressed:
            # A connect that got no answer counts once it shows its own status.
            call.counted = True
            self.dialled()
        if state.ended_at is not None and not call.reported:
            call.reported = True
            if call.counted:
                self._set(self.totals.ended(state))
                self._announce_end(state)

    def _set(self, totals: CallTotals) -> None:
        """New totals, saved at once (a crash must not count a call again)."""
        self.totals = totals
        self._store.async_delay_save(self._data, 0)

    def _data(self) -> dict[str, Any]:
        return {"calls": self.totals.calls, "talk_time": self.totals.talk_time}

    def _announce_end(self, state: CallState) -> None:
        """The bus event of a finished call (the logbook's line, a trigger)."""
        entry = self._entry
        device = dr.async_get(self._hass).async_get_device_by_identifier(
            (DOMAIN, entry.entry_id), entry.entry_id
        )
        self._hass.bus.async_fire(
            EVENT_CALL_ENDED,
            {
                "config_entry_id": entry.entry_id,
                "device_id": device.id if device else None,
                # The account's call event entity: a logbook card filtered to
                # it shows this line (logbook cards filter by entity only).
                "entity_id": er.async_get(self._hass).async_get_entity_id(
                    "event", DOMAIN, f"{entry.entry_id}_call"
                ),
                "destination": state.destination,
                "contact": state.contact,
                # As `dial` reports it: an answered call is "answered".
                "outcome": OUTCOME_ANSWERED
                if state.answered_at is not None
                else state.outcome,
                "duration": state.duration or 0,
            },
        )
