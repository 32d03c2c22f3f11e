"""Activity: an account's call totals, its calls' milestones, the last outcomes.

The totals and the last outcomes are kept in ``.storage``. Each call
announces its start, its answer and its end once, to the triggers
(``SIGNAL_CALL_MILESTONE``); its end also as the ``connectcall_call_ended``
event. A call's codes raise or clear the funds repair.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.start import async_at_started
from homeassistant.util.signal_type import SignalType

from .api import CallStatus
from .call import CallState, CallTotals
from .codes import (
    FUNDS_CODES,
    OUTCOME_ANSWERED,
    OUTCOME_FAILED,
    UNANSWERED_OUTCOMES,
)
from .const import DOMAIN, EVENT_CALL_ENDED, LOGGER, SIGNAL_CALL_MILESTONE
from .issues import async_call_answered, async_funds_seen
from .schedule import now
from .storage import outcomes_store, totals_store

if TYPE_CHECKING:
    from .coordinator import ConnectCallConfigEntry
    from .schedule import FollowedCall
    from .session import Resumed

# The milestones of a call (the triggers call_started, call_answered,
# call_ended).
MILESTONE_STARTED: Final = "started"
MILESTONE_ANSWERED: Final = "answered"
MILESTONE_ENDED: Final = "ended"
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


CALL_MILESTONE: SignalType[CallMilestone] = SignalType(SIGNAL_CALL_MILESTONE)


@dataclass(frozen=True, slots=True)
class LastOutcome:
    """How the last finished call (of an account, or to a number) ended."""

    outcome: str
    ended: float  # Unix time: the latest of several accounts' calls wins


def _read_outcome(value: Any) -> LastOutcome:
    return LastOutcome(str(value["outcome"]), float(value["ended"]))


class CallActivity:
    """Totals, milestones and last outcomes of one account."""

    def __init__(self, hass: HomeAssistant, entry: ConnectCallConfigEntry) -> None:
        """Nothing is loaded here."""
        self._hass = hass
        self._entry = entry
        self.totals = CallTotals()
        self.last: LastOutcome | None = None
        # By number, the least recently ended first.
        self.by_number: dict[str, LastOutcome] = {}
        self._store = totals_store(hass, entry.entry_id)
        self._outcomes_store = outcomes_store(hass, entry.entry_id)

    async def async_load(self) -> None:
        """The data of earlier runs; unreadable data never stops the setup."""
        if stored := await self._store.async_load():
            try:
                self.totals = CallTotals(
                    int(stored["calls"]), float(stored["talk_time"])
                )
            except KeyError, TypeError, ValueError:
                LOGGER.warning("The stored call totals are unreadable; from 0")
        if outcomes := await self._outcomes_store.async_load():
            try:
                if (last := outcomes["last"]) is not None:
                    self.last = _read_outcome(last)
                self.by_number = {
                    number: _read_outcome(value)
                    for number, value in outcomes["numbers"].items()
                }
            except AttributeError, KeyError, TypeError, ValueError:
                LOGGER.warning("The stored outcomes of the last calls are unreadable")

    async def async_save(self) -> None:
        """Written at once (shutdown: the next run reads them at its setup)."""
        await self._store.async_save(self._data())
        await self._outcomes_store.async_save(self._outcomes())

    def dialled(self, call: FollowedCall) -> None:
        """The server accepted a dial: one more call, and its start announced."""
        self._set(self.totals.dialled())
        self._milestone(MILESTONE_STARTED, call.tracker.state)

    def published(
        self, call: FollowedCall, state: CallState, before: CallState
    ) -> None:
        """What a new state of ``call`` means for the totals, events and repairs.

        ``before``: the state the entities showed until now.
        """
        if state.answered_at is not None and before.answered_at is None:
            async_call_answered(self._hass, self._entry.entry_id)
        if state.code in FUNDS_CODES:
            async_funds_seen(self._hass, self._entry.entry_id, self._entry.title)
        if not call.counted and call.tracker.progressed:
            # A connect that got no answer counts once it shows its own status.
            call.counted = True
            self.dialled(call)
        if state.answered_at is not None and not call.answer_reported:
            call.answer_reported = True
            self._milestone(MILESTONE_ANSWERED, state)
        if state.ended_at is not None and not call.reported:
            call.reported = True
            if call.counted:
                # The tracker sets an outcome with the end.
                outcome = state.outcome
                assert outcome is not None
                self._remember(state.destination, outcome, state.ended_at.timestamp())
                self._set(self.totals.ended(state))
                self._announce_end(state, outcome)

    def found_over(self, found: Resumed) -> None:
        """The call the last run left was over at the start-up's ``getStatus``.

        When it ended is unknown: no talk time and no ``connectcall_call_ended``
        event (see the README). Its outcome is remembered, and the
        ``call_ended`` trigger fires once Home Assistant has started: a
        start-up arms the automations just before that.
        """
        record, status = found.call, found.status
        if (
            record is None
            # Counted and announced by the run that followed it.
            or record.get("reported", False)
            # A connect that never showed a status: maybe never placed.
            or not record.get("counted", True)
        ):
            return
        outcome = _outcome_found(record, status)
        if outcome is not None:
            self._remember(record.get("destination"), outcome, now())
        milestone = CallMilestone(
            kind=MILESTONE_ENDED,
            config_entry_id=self._entry.entry_id,
            device_id=self._device_id(),
            destination=record.get("destination"),
            contact=record.get("contact"),
            outcome=outcome,
        )

        entry = self._entry

        @callback
        def _announce() -> None:
            async_dispatcher_send(self._hass, CALL_MILESTONE, milestone)

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

    def _remember(self, number: str | None, outcome: str, ended: float) -> None:
        """The last outcome of the account and of the number called."""
        last = LastOutcome(outcome, ended)
        self.last = last
        if number is not None:
            self.by_number.pop(number, None)
            self.by_number[number] = last
            if len(self.by_number) > MAX_NUMBERS:
                del self.by_number[next(iter(self.by_number))]
        self._outcomes_store.async_delay_save(self._outcomes, 0)

    def _set(self, totals: CallTotals) -> None:
        """New totals, saved at once (a crash must not count a call again)."""
        self.totals = totals
        self._store.async_delay_save(self._data, 0)

    def _data(self) -> dict[str, Any]:
        return {"calls": self.totals.calls, "talk_time": self.totals.talk_time}

    def _outcomes(self) -> dict[str, Any]:
        return {
            "last": None
            if self.last is None
            else {"outcome": self.last.outcome, "ended": self.last.ended},
            "numbers": {
                number: {"outcome": last.outcome, "ended": last.ended}
                for number, last in self.by_number.items()
            },
        }

    def _device_id(self) -> str | None:
        entry = self._entry
        device = dr.async_get(self._hass).async_get_device_by_identifier(
            (DOMAIN, entry.entry_id), entry.entry_id
        )
        return device.id if device else None

    def _milestone(self, kind: str, state: CallState) -> None:
        """Tell the triggers: a call started or was answered."""
        async_dispatcher_send(
            self._hass,
            CALL_MILESTONE,
            CallMilestone(
                kind=kind,
                config_entry_id=self._entry.entry_id,
                device_id=self._device_id(),
                destination=state.destination,
                contact=state.contact,
            ),
        )

    def _announce_end(self, state: CallState, outcome: str) -> None:
        """The end of a call: the bus event (the logbook's line) and the triggers."""
        entry, device_id, duration = self._entry, self._device_id(), state.duration or 0
        data = {
            "config_entry_id": entry.entry_id,
            "device_id": device_id,
            # The account's call event entity: a logbook card filtered to
            # it shows this line (logbook cards filter by entity only).
            "entity_id": er.async_get(self._hass).async_get_entity_id(
                "event", DOMAIN, f"{entry.entry_id}_call"
            ),
            "destination": state.destination,
            "contact": state.contact,
            "outcome": outcome,
            "duration": duration,
        }
        self._hass.bus.async_fire(EVENT_CALL_ENDED, data)
        async_dispatcher_send(
            self._hass,
            CALL_MILESTONE,
            CallMilestone(
                kind=MILESTONE_ENDED,
                config_entry_id=entry.entry_id,
                device_id=device_id,
                destination=state.destination,
                contact=state.contact,
                outcome=outcome,
                duration=duration,
            ),
        )


# Final codes that end an answered call as well as one hung up before the
# answer: without a recorded answer, the outcome of a call found over at
# start-up cannot be told from them.
_AMBIGUOUS_ENDS: Final = frozenset({4, 30, 31})


def _outcome_found(record: dict[str, Any], status: CallStatus | None) -> str | None:
    """The outcome of a call found over at start-up; None: unknown.

    Its session gone (no status) or a code any call may end with (4, 30, 31)
    tell nothing: the call may have been answered while Home Assistant was
    stopped. Unknown outcomes match no outcome filter and are not remembered.
    """
    if record.get("answered") is not None:
        return OUTCOME_ANSWERED
    if status is None or status.code in _AMBIGUOUS_ENDS:
        return None
    return UNANSWERED_OUTCOMES.get(status.code, OUTCOME_FAILED)
