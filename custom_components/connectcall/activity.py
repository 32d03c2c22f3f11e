"""What an account's calls did: their milestones told, totals and last outcomes kept.

The totals and the last outcomes are kept in ``.storage``. What a call
reached (``call.Milestones`` decides it, once) is told here: to the
triggers and the call event entity (``SIGNAL_CALL_MILESTONE``), its end
also as the ``connectcall_call_ended`` event. A call's codes raise or clear
the funds repair.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.start import async_at_started
from homeassistant.helpers.storage import Store
from homeassistant.util.signal_type import SignalType

from .call import (
    MILESTONE_ANSWERED,
    MILESTONE_ENDED,
    MILESTONE_STARTED,
    CallState,
    CallTotals,
    Milestones,
    outcome_found,
)
from .codes import FUNDS_CODES
from .const import DOMAIN, EVENT_CALL_ENDED, LOGGER, SIGNAL_CALL_MILESTONE
from .issues import async_call_answered, async_funds_seen
from .line import FollowedCall, wall_time
from .session import Resumed
from .storage import outcomes_store, totals_store

# Last outcomes are kept for this many numbers, the most recent: every
# contact of a household, bounded for an account that dials many numbers.
MAX_NUMBERS: Final = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class CallMilestone:
    """A call of an account started, was answered or ended."""

    kind: str
    config_entry_id: str
    device_id: str | None  # the account's device
    destination: str | None
    contact: str | None
    # Only for "ended": as `connectcall_call_ended` reports them.
    outcome: str | None = None
    duration: float | None = None
    # The call's state then; None for a call found over at a start-up.
    state: CallState | None = None


CALL_MILESTONE: SignalType[CallMilestone] = SignalType(SIGNAL_CALL_MILESTONE)


@dataclass(frozen=True, slots=True)
class LastOutcome:
    """How the last finished call (of an account, or to a number) ended."""

    outcome: str
    ended: float  # Unix time: the latest of several accounts' calls wins


def _read_outcome(value: Any) -> LastOutcome:
    return LastOutcome(str(value["outcome"]), float(value["ended"]))


class LastOutcomes:
    """How the last call ended, of the account and of each number called."""

    def __init__(self, store: Store[dict[str, Any]]) -> None:
        """Nothing is loaded here."""
        self._store = store
        self.last: LastOutcome | None = None
        # By number, the least recently ended first.
        self.by_number: dict[str, LastOutcome] = {}

    async def async_load(self) -> None:
        """The outcomes of earlier runs; unreadable ones never stop the setup."""
        if not (stored := await self._store.async_load()):
            return
        try:
            if (last := stored["last"]) is not None:
                self.last = _read_outcome(last)
            self.by_number = {
                number: _read_outcome(value)
                for number, value in stored["numbers"].items()
            }
        except AttributeError, KeyError, TypeError, ValueError:
            LOGGER.warning("The stored outcomes of the last calls are unreadable")

    async def async_save(self) -> None:
        """Written at once."""
        await self._store.async_save(self._data())

    def remember(self, number: str | None, outcome: str, ended: float) -> None:
        """The last outcome of the account and of the number called."""
        last = LastOutcome(outcome, ended)
        self.last = last
        if number is not None:
            self.by_number.pop(number, None)
            self.by_number[number] = last
            if len(self.by_number) > MAX_NUMBERS:
                del self.by_number[next(iter(self.by_number))]
        self._store.async_delay_save(self._data, 0)

    def _data(self) -> dict[str, Any]:
        return {
            "last": None
            if self.last is None
            else {"outcome": self.last.outcome, "ended": self.last.ended},
            "numbers": {
                number: {"outcome": last.outcome, "ended": last.ended}
                for number, last in self.by_number.items()
            },
        }


class CallActivity:
    """Totals, milestones and last outcomes of one account."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        record_written: Callable[[], Awaitable[None]],
    ) -> None:
        """Nothing is loaded here.

        ``record_written``: writes the session's record of the call now; the
        totals are written after it.
        """
        self._hass = hass
        self._entry = entry
        self._record_written = record_written
        self.totals = CallTotals()
        self.outcomes = LastOutcomes(outcomes_store(hass, entry.entry_id))
        self._store = totals_store(hass, entry.entry_id)

    async def async_load(self) -> None:
        """The data of earlier runs; unreadable data never stops the setup."""
        if stored := await self._store.async_load():
            try:
                self.totals = CallTotals(
                    int(stored["calls"]), float(stored["talk_time"])
                )
            except KeyError, TypeError, ValueError:
                LOGGER.warning("The stored call totals are unreadable; from 0")
        await self.outcomes.async_load()

    async def async_save(self) -> None:
        """Written at once (shutdown: the next run reads them at its setup)."""
        await self._store.async_save(self._data())
        await self.outcomes.async_save()

    def tell(self, call: FollowedCall, due: tuple[str, ...]) -> None:
        """Tell what ``call`` reached (``Milestones.due``), and its repairs."""
        state = call.tracker.state
        for kind in due:
            if kind == MILESTONE_STARTED:
                self._set(self.totals.dialled())
            elif kind == MILESTONE_ANSWERED:
                async_call_answered(self._hass, self._entry.entry_id)
            else:
                # The tracker sets an outcome with the end.
                assert state.outcome is not None
                assert state.ended_at is not None
                self.outcomes.remember(
                    state.destination, state.outcome, state.ended_at.timestamp()
                )
                self._set(self.totals.ended(state))
                self._fire_call_ended(state)
            self._send(
                kind,
                state.destination,
                state.contact,
                state=state,
                outcome=state.outcome if kind == MILESTONE_ENDED else None,
                duration=(state.duration or 0) if kind == MILESTONE_ENDED else None,
            )
        # After an answer told at once with it, which clears the repair.
        if state.code in FUNDS_CODES:
            async_funds_seen(self._hass, self._entry.entry_id, self._entry.title)

    def tell_ended_while_away(self, found: Resumed) -> None:
        """The call the last run left was over at the start-up's ``getStatus``.

        When it ended is unknown: no talk time and no ``connectcall_call_ended``
        event (see the README). Its outcome is remembered, and the
        ``call_ended`` trigger fires once Home Assistant has started: a
        start-up arms the automations just before that.
        """
        record, status = found.call, found.status
        if record is None or not (due := Milestones.restore(record).ended_while_away()):
            return
        if MILESTONE_STARTED in due:
            # Accepted by the server, but the last run stopped before its
            # first poll told it.
            self._set(self.totals.dialled())
        outcome = outcome_found(record, None if status is None else status.code)
        if outcome is not None and MILESTONE_ENDED in due:
            self.outcomes.remember(record.get("destination"), outcome, wall_time())
        entry = self._entry

        @callback
        def _announce() -> None:
            for kind in due:
                self._send(
                    kind,
                    record.get("destination"),
                    record.get("contact"),
                    outcome=outcome if kind == MILESTONE_ENDED else None,
                )

        @callback
        def _once_loaded(_: HomeAssistant) -> None:
            # An automation may act on it with this account's actions: not
            # before the entry is loaded (at a reload, at a setup retry).
            if entry.state is ConfigEntryState.LOADED:
                _announce()
                return

            @callback
            def _on_state() -> None:
                if entry.state is ConfigEntryState.LOADED:
                    remove()
                    _announce()

            remove = entry.async_on_state_change(_on_state)

        # Not tied to this setup: should it fail after this (the probe), a
        # retry finds the session closed and the end would never be told.
        async_at_started(self._hass, _once_loaded)

    def _set(self, totals: CallTotals) -> None:
        """New totals, saved once the call's record is.

        A crash between the two writes never counts a call twice (at worst
        once less).
        """
        self.totals = totals
        self._hass.async_create_task(self._write_totals(), f"{DOMAIN} totals")

    async def _write_totals(self) -> None:
        await self._record_written()
        await self._store.async_save(self._data())

    def _data(self) -> dict[str, Any]:
        return {"calls": self.totals.calls, "talk_time": self.totals.talk_time}

    def _device_id(self) -> str | None:
        entry = self._entry
        device = dr.async_get(self._hass).async_get_device_by_identifier(
            (DOMAIN, entry.entry_id), entry.entry_id
        )
        return device.id if device else None

    def _send(
        self,
        kind: str,
        destination: str | None,
        contact: str | None,
        *,
        state: CallState | None = None,
        outcome: str | None = None,
        duration: float | None = None,
    ) -> None:
        """The one place a milestone is made: to the triggers and the event entity."""
        async_dispatcher_send(
            self._hass,
            CALL_MILESTONE,
            CallMilestone(
                kind=kind,
                config_entry_id=self._entry.entry_id,
                device_id=self._device_id(),
                destination=destination,
                contact=contact,
                outcome=outcome,
                duration=duration,
                state=state,
            ),
        )

    def _fire_call_ended(self, state: CallState) -> None:
        """The ``connectcall_call_ended`` bus event (the logbook's line)."""
        entry = self._entry
        self._hass.bus.async_fire(
            EVENT_CALL_ENDED,
            {
                "config_entry_id": entry.entry_id,
                "device_id": self._device_id(),
                # The account's call event entity: a logbook card filtered to
                # it shows this line (logbook cards filter by entity only).
                "entity_id": er.async_get(self._hass).async_get_entity_id(
                    "event", DOMAIN, f"{entry.entry_id}_call"
                ),
                "destination": state.destination,
                "contact": state.contact,
                "outcome": state.outcome,
                "duration": state.duration or 0,
            },
        )
