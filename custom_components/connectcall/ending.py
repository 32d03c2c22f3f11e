"""Ending calls and sessions: hang_up, end_session, unload and stop.

A call in progress outlives a restart (its session stays in ``.storage``);
a hang-up that fails keeps the call followed; a session is ended only when
no call is left in it, or when asked to.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from .api import PLACE_TIMEOUT, ConnectCallError
from .codes import CODE_HUNG_UP, OUTCOME_CANCELED
from .const import LOGGER, SHUTDOWN_TIMEOUT
from .errors import action_errors
from .schedule import FollowedCall, now

if TYPE_CHECKING:
    from .coordinator import ConnectCallCoordinator


class CallEnding:
    """Hang-ups, logouts and the shutdown of one account's line."""

    def __init__(self, coordinator: ConnectCallCoordinator) -> None:
        """Nothing is ended until asked."""
        self._co = coordinator

    async def async_hang_up(self) -> None:
        """Hang up the current call and stop a running list; no call: no-op.

        A call over only by our own knowledge (the API kept failing) is hung
        up too: the server never said it ended. One whose hang-up the server
        already accepted (a bound's) is not: one hangUp per call, unless the
        first was refused.
        """
        co = self._co
        await co.plans.async_supersede()
        async with co.lock:
            call = co.current
            if call is None or call.tracker.server_final or call.tracker.hung_up_by_us:
                return
            with action_errors(co.hass, co.config_entry):
                await self.hang_up_locked(call, OUTCOME_CANCELED)
        await co.schedule.poll_again(call)

    async def async_end_session(self) -> None:
        """Hang up a call that may be active, log out; the next dial logs in."""
        co = self._co
        await co.plans.async_supersede()
        async with co.lock:
            call = co.current
            if call is not None and not call.tracker.server_final:
                with action_errors(co.hass, co.config_entry):
                    await self.end_call_locked(call)
                if not call.tracker.over:
                    call.tracker.end_locally(CODE_HUNG_UP, now())
                    co.publish(call)
            await co.keeper.close(hang_up=False)

    async def async_shutdown(self) -> None:
        """Unload and stop: a call in progress is left alone, else logged out.

        An in-flight placement is waited for (and recorded) first. Bounded.
        The totals are written last: a call that placement placed counts.
        """
        co = self._co
        await co.plans.async_supersede()
        try:
            async with asyncio.timeout(PLACE_TIMEOUT + SHUTDOWN_TIMEOUT):
                async with co.lock:
                    call = co.current
                    if call is not None:
                        call.cancel_timers()
                        call.settled.set()  # a waiting dial stops waiting
                        if not call.tracker.server_final:
                            await co.keeper.leave()
                            return
                    async with asyncio.timeout(SHUTDOWN_TIMEOUT):
                        await co.keeper.close(hang_up=False)
        except TimeoutError:
            LOGGER.debug("Could not end the session on shutdown in time")
        finally:
            await co.activity.async_save()
            await co.keeper.write_pending()

    async def hang_up_locked(self, call: FollowedCall, outcome: str) -> None:
        """Hang up (lock held); raises and changes nothing when it fails."""
        await self._co.keeper.hang_up(final_trusted=call.tracker.final_trusted(now()))
        call.tracker.hung_up(outcome)
        self._co.schedule.paced_up(call)

    async def end_call_locked(self, call: FollowedCall) -> None:
        """Hang up before a new call or a logout (lock held).

        A call given up on (the API kept failing) must not block every later
        dial: if its hang-up fails too and the GUID is dead (error pages while
        the server answers without it), the session is closed the safe way
        and the next dial logs in. An overloaded or unreachable server raises.
        """
        keeper = self._co.keeper
        try:
            await self.hang_up_locked(call, OUTCOME_CANCELED)
        except ConnectCallError:
            if (
                not call.tracker.over
                or not await keeper.guid_dead()
                or not await keeper.close()
            ):
                raise
