"""The call coordinator: wires the parts of one account's line together.

- ``session.py``: the session keeper, every rule of call safety;
- ``call.py``: what a status code means for the call (no I/O);
- ``plans.py``: a dial's numbers worked through; ``placing.py``: one call
  placed; ``schedule.py``: a call followed by its polls; ``ending.py``:
  hang-ups, logouts, shutdown; ``activity.py``: totals and the call event.

The coordinator holds what they share (the lock around every request about
calls, the keeper, the followed call) and publishes the call's state to the
entities. Its ``update_interval`` stays ``None``: calls poll on timers of
their own (``schedule.py``), and outside calls nothing is requested.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from .activity import CallActivity
from .api import ConnectCallClient
from .call import CallState, CallTotals
from .const import DOMAIN, LOGGER
from .ending import CallEnding
from .errors import setup_errors
from .issues import async_call_may_ring
from .placing import CallPlacer
from .plans import DialPlan, PlanRunner
from .schedule import FollowedCall, PollSchedule
from .session import SessionKeeper
from .storage import session_store

type ConnectCallConfigEntry = ConfigEntry[ConnectCallCoordinator]


class ConnectCallCoordinator(DataUpdateCoordinator[CallState]):
    """One account's line: its parts, what they share, the state published."""

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
        self.client = client
        self.data = CallState()
        self.keeper = SessionKeeper(client, session_store(hass, entry.entry_id))
        # Held around every request about calls: one at a time, in order.
        self.lock = asyncio.Lock()
        # The followed call (the last one placed or resumed).
        self.current: FollowedCall | None = None
        self.call_ids = 0
        self.shut_down = False
        self.activity = CallActivity(hass, entry)
        self.plans: PlanRunner[FollowedCall] = PlanRunner(self)
        self.placer = CallPlacer(self)
        self.schedule = PollSchedule(self)
        self.ending = CallEnding(self)

    @property
    def totals(self) -> CallTotals:
        """The account's calls and talk time (the statistics sensors)."""
        return self.activity.totals

    @property
    def session_open(self) -> bool:
        """A login session is open (diagnostics; never the GUID itself)."""
        return self.keeper.is_open

    @property
    def occupied(self) -> bool:
        """A call not yet over, or a placement in flight (``CallLine``)."""
        return bool(
            self.placer.in_flight
            or (self.current is not None and not self.current.tracker.over)
        )

    @property
    def holder_key(self) -> str | None:
        """What dialled the call holding the line (``CallLine``)."""
        return self.placer.holder_key

    @property
    def call_in_progress(self) -> bool:
        """A call rings or talks, is being placed, or a list still goes on."""
        return self.plans.in_progress or self.occupied

    def is_current(self, call: FollowedCall) -> bool:
        """``call`` is the one followed, not over, and this run goes on."""
        return self.current is call and not call.tracker.over and not self.shut_down

    async def _async_setup(self) -> None:
        """Resume a call the last run left; else probe the credentials once.

        A live session proves the credentials, and a probe (a login) could
        end it on a server that keeps one session per account.
        """
        await self.activity.async_load()
        # Unreachable: a stored GUID stays stored for the next attempt.
        with setup_errors():
            resumed = await self.keeper.resume()
            if (found := self.keeper.found_over) is not None:
                # Before the probe: its session is closed, a retry finds none.
                self.activity.found_over(found)
            if (unseen := self.keeper.placed_unseen) is not None:
                async_call_may_ring(
                    self.hass,
                    self.config_entry.entry_id,
                    self.config_entry.title,
                    unseen.get("contact") or unseen.get("destination") or "?",
                )
            if resumed is None:
                await self.client.verify()
        if resumed is not None:
            self.schedule.resume(resumed)

    async def _async_update_data(self) -> CallState:
        """Polls are the calls' own timers; a refresh only reads."""
        return self.data

    # The actions (and the plan runner's CallLine).

    async def async_place(self, plan: DialPlan, destination: str) -> FollowedCall:
        """Place one call and poll it once (``CallLine``)."""
        return await self.placer.async_place(plan, destination)

    async def async_wait(self, call: FollowedCall, bound: float) -> str:
        """The call's outcome, hanging up at ``bound`` (``CallLine``)."""
        return await self.placer.async_wait(call, bound)

    async def async_unconfirmed_end_still_up(self) -> bool:
        """Ask the server about a call over by our knowledge (``CallLine``)."""
        return await self.schedule.async_unconfirmed_end_still_up()

    def create_background_task(
        self, coro: Coroutine[Any, Any, None], name: str
    ) -> asyncio.Task[None]:
        """A task the config entry ends at unload (``CallLine``)."""
        return self.config_entry.async_create_background_task(self.hass, coro, name)

    async def async_hang_up(self) -> None:
        """The ``hang_up`` action."""
        await self.ending.async_hang_up()

    async def async_end_session(self) -> None:
        """The ``end_session`` action."""
        await self.ending.async_end_session()

    async def async_shutdown(self) -> None:
        """Unload and Home Assistant stop (see ``CallEnding``)."""
        await super().async_shutdown()
        if self.shut_down:
            return
        # From here on no timer, poll or bound sends anything.
        self.shut_down = True
        await self.ending.async_shutdown()

    def publish(self, call: FollowedCall) -> None:
        """Hand the tracker's state to the entities, with its side effects."""
        state = call.tracker.state
        self.activity.published(call, state, self.data)
        if state.answered_at is not None or state.ended_at is not None:
            call.settled.set()
        if self.current is call:
            self.keeper.track(None if state.ended_at else call.snapshot())
        self.async_set_updated_data(state)
