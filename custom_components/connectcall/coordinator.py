"""The call coordinator: builds one account's line and its parts, publishes.

- ``line.py``: what the parts share (the lock, the session keeper, the
  followed call); ``session.py``: the keeper, every rule of call safety;
- ``call.py``: what a status means for the call and which milestones it
  reached (no I/O);
- ``runner.py``: a dial's numbers worked through; ``placing.py``: one call
  placed; ``schedule.py``: a call followed by its polls; ``ending.py``:
  hang-ups, logouts, shutdown; ``activity.py``: totals and milestones told.

The coordinator publishes the call's state to the entities and turns the
parts' errors into Home Assistant's (setup, polls, a list in the
background). Its ``update_interval`` stays ``None``: calls poll on timers of
their own (``schedule.py``), and outside calls nothing is requested.
"""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from .activity import CallActivity
from .api import ConnectCallClient, ConnectCallError
from .call import CallState, CallTracker, Milestones, restore_tracker
from .const import DOMAIN, LOGGER
from .contacts import contact_name
from .ending import CallEnding
from .errors import background_error, poll_error, setup_errors
from .issues import async_call_may_ring
from .line import FollowedCall, Line
from .placing import CallPlacer
from .runner import PlanRunner
from .schedule import PollSchedule
from .session import Resumed, SessionKeeper
from .storage import session_store

type ConnectCallConfigEntry = ConfigEntry[ConnectCallCoordinator]


class ConnectCallCoordinator(DataUpdateCoordinator[CallState]):
    """One account's line and its parts; the state the entities show."""

    config_entry: ConnectCallConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConnectCallConfigEntry,
        client: ConnectCallClient,
    ) -> None:
        """Nothing is requested here; the probe runs in ``_async_setup``."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=DOMAIN,
            update_interval=None,
            always_update=False,
        )
        self.data = CallState()
        self.keeper = SessionKeeper(client, session_store(hass, entry.entry_id))
        self.line = Line(self.keeper, self)
        self.activity = CallActivity(hass, entry, self.keeper.write_pending)
        self.schedule = PollSchedule(hass, entry, self.line, self._poll_failed)
        self.placer = CallPlacer(
            hass, entry, self.line, self.schedule, self._background_failed
        )
        self.plans: PlanRunner[FollowedCall] = PlanRunner(
            self.placer, self._background_failed
        )
        self.ending = CallEnding(self.line, self.schedule, self.plans)

    @property
    def in_use(self) -> bool:
        """A call rings or talks, is being placed, or a list still goes on."""
        return self.plans.running or self.placer.holds_line

    async def _async_setup(self) -> None:
        """Resume a call the last run left; else probe the credentials once.

        A live session proves the credentials, and a probe (a login) could
        end it on a server that keeps one session per account.
        """
        await self.activity.async_load()
        entry = self.config_entry
        # Unreachable: a stored GUID stays stored for the next attempt.
        with setup_errors():
            resumed = await self.keeper.left.resume()
            if (found := self.keeper.left.ended_while_away) is not None:
                # Before the probe: its session is closed, a retry finds none.
                self.activity.tell_ended_while_away(found)
            if (unseen := self.keeper.left.placed_unseen) is not None:
                async_call_may_ring(
                    self.hass,
                    entry.entry_id,
                    entry.title,
                    unseen.get("contact") or unseen.get("destination") or "?",
                )
            if resumed is None:
                await self.keeper.verify()
        if resumed is not None:
            self._resume(resumed)

    def _resume(self, resumed: Resumed) -> None:
        """Follow the call the last run left; what it told is not told again."""
        # At the instant the keeper judged the status (it found the call
        # not over by this tracker's own rule): the tracker reads it alike.
        record, at = resumed.call, resumed.at
        if record is not None:
            if "contact" not in record:
                # Recorded by a version that named the contact at the end.
                destination = record.get("destination")
                record = record | {
                    "contact": contact_name(self.config_entry, destination)
                }
            tracker = restore_tracker(record)
        else:
            tracker = CallTracker(
                call_id=1, destination=None, dialled=at, reused_session=False
            )
        if resumed.status is not None:
            tracker.on_status(resumed.status.code, resumed.status.message, at)
        self.schedule.follow(tracker, Milestones.restore(record), resumed=True)
        self.data = tracker.state

    async def _async_update_data(self) -> CallState:
        """Polls are the calls' own timers; a refresh only reads."""
        return self.data

    async def async_shutdown(self) -> None:
        """Unload and Home Assistant stop (see ``CallEnding``).

        The totals are written last: a call a placement in flight placed
        counts, and its record is written before them.
        """
        await super().async_shutdown()
        if self.line.stopped:
            return
        try:
            await self.ending.async_shutdown()
        finally:
            await self.activity.async_save()

    def tell(self, call: FollowedCall) -> None:
        """Tell the milestones ``call`` reached, each once (``Milestones``)."""
        due = call.milestones.due(call.tracker)
        if self.line.current is call:
            # Its record (with what was told) before the totals count it.
            self.keeper.track(None if call.tracker.over else call.snapshot())
        self.activity.tell(call, due)

    def publish(self, call: FollowedCall) -> None:
        """Tell the call's milestones and hand its state to the entities."""
        self.tell(call)
        self.async_set_updated_data(call.tracker.state)

    def _poll_failed(self, err: ConnectCallError) -> None:
        self.async_set_update_error(poll_error(err))

    def _background_failed(self, err: ConnectCallError) -> None:
        background_error(self.hass, self.config_entry, err)
