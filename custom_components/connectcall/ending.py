"""Ending calls and sessions: hang_up, end_session, unload and stop.

A call in progress outlives a restart (its session stays in ``.storage``);
a hang-up that fails keeps the call followed; a session is ended only when
no call is left in it, or when asked to.
"""

from __future__ import annotations

import asyncio

from .api import PLACE_TIMEOUT
from .codes import OUTCOME_CANCELED
from .const import LOGGER, SHUTDOWN_TIMEOUT
from .line import FollowedCall, Line
from .runner import PlanRunner
from .schedule import PollSchedule


class CallEnding:
    """Hang-ups, logouts and the shutdown of one account's line."""

    def __init__(
        self, line: Line, schedule: PollSchedule, plans: PlanRunner[FollowedCall]
    ) -> None:
        """Nothing is ended until asked."""
        self._line = line
        self._schedule = schedule
        self._plans = plans

    async def async_hang_up(self) -> None:
        """Hang up the current call and stop a running list; no call: no-op.

        A call over only by our own knowledge (the API kept failing) is hung
        up too: the server never said it ended. One whose hang-up the server
        already accepted (a bound's) is not: one hangUp per call, unless the
        first was refused.
        """
        line = self._line
        await self._plans.async_supersede()
        async with line.lock:
            call = line.current
            if call is None or call.tracker.server_final or call.tracker.hung_up_by_us:
                return
            await line.hang_up_locked(call, OUTCOME_CANCELED)
        await self._schedule.poll_now(call)

    async def async_end_session(self) -> None:
        """Hang up a call that may be active, log out; the next dial logs in."""
        line = self._line
        await self._plans.async_supersede()
        async with line.lock:
            await line.end_current_locked()
            await line.keeper.close(hang_up=False)

    async def async_shutdown(self) -> None:
        """Unload and stop: a call in progress is left alone, else logged out.

        From now on no timer, poll or bound sends anything. An in-flight
        placement is waited for (and recorded) first. Bounded.
        """
        line = self._line
        line.stop()
        await self._plans.async_supersede()
        try:
            async with asyncio.timeout(PLACE_TIMEOUT + SHUTDOWN_TIMEOUT):
                async with line.lock:
                    # The call a placement in flight made current meanwhile:
                    # told (counted) before it is left to the next start.
                    line.stop()
                    call = line.current
                    if call is not None:
                        line.tell(call)
                        if not call.tracker.server_final:
                            await line.keeper.leave()
                            return
                    async with asyncio.timeout(SHUTDOWN_TIMEOUT):
                        await line.keeper.close(hang_up=False)
        except TimeoutError:
            LOGGER.debug("Could not end the session on shutdown in time")
        finally:
            await line.keeper.write_pending()
