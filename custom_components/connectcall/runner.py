"""Working a dial plan through: one number after another until one answers.

Busy numbers are dialled again, in the caller or in the background, until a
newer dial or a hang-up supersedes the plan. Placing a call and waiting for
its outcome are the ``Placer``'s (``placing.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
import contextlib
from dataclasses import dataclass, field
from typing import Any, Protocol

from .api import ConnectCallError
from .call import CallState
from .codes import OUTCOME_ANSWERED, OUTCOME_BUSY, OUTCOME_LINE_BUSY
from .const import DOMAIN, LOGGER
from .plans import DialPlan


@dataclass(frozen=True, slots=True, kw_only=True)
class LineHolder:
    """What holds the line when keep_active_call skips a dial."""

    destination: str | None  # the number called last
    contact: str | None
    # The holder was dialled with the same source and numbers: a second
    # press of the doorbell whose own call holds the line.
    same_dial: bool


@dataclass(slots=True)
class DialResult:
    """The ``dial`` action's response."""

    status: str | None = None
    status_code: int | None = None
    outcome: str | None = None
    answered_by: str | None = None
    attempts: list[dict[str, str | None]] = field(default_factory=list)
    # keep_active_call found a call in progress: nothing was dialled.
    skipped: bool = False
    held_by: LineHolder | None = None


@dataclass(slots=True, eq=False)
class _RunningDial:
    """A dial from its start until its list runs on its own or ends."""

    plan: DialPlan
    # The plan generation it runs as; None until it superseded the last.
    generation: int | None = None


class Placer[CallT](Protocol):
    """What a plan needs to place calls (a call is opaque to it)."""

    @property
    def state(self) -> CallState:
        """The line's call, as the entities show it."""

    @property
    def holds_line(self) -> bool:
        """A call not yet over, or a placement in flight."""

    @property
    def holder_key(self) -> str | None:
        """The ``DialPlan.key`` of the call holding the line, if known."""

    async def async_place(self, plan: DialPlan, number: str) -> CallT:
        """Place one call (hanging up one before), poll it once."""

    async def async_wait(self, call: CallT, seconds: float) -> str:
        """``answered`` or the call's outcome; hangs up after ``seconds`` in vain."""

    async def async_unconfirmed_end_still_up(self) -> bool:
        """A call over by our knowledge only is still up at the server."""

    def create_background_task(
        self, coro: Coroutine[Any, Any, None], name: str
    ) -> asyncio.Task[None]:
        """A task bound to the config entry."""


class PlanRunner[CallT]:
    """Works dial plans through, one at a time; a newer one supersedes."""

    def __init__(
        self,
        placer: Placer[CallT],
        background_failed: Callable[[ConnectCallError], None],
    ) -> None:
        """Nothing runs until a plan does.

        ``background_failed``: told what stopped a list nobody waits for.
        """
        self._placer = placer
        self._background_failed = background_failed
        self._plan_task: asyncio.Task[None] | None = None
        self._plan_generation = 0
        # In the order they started (a dict: an ordered set).
        self._dials: dict[_RunningDial, None] = {}
        # The plan of the list running in the background.
        self._background_plan: DialPlan | None = None
        # Set (and replaced) when a plan is superseded: wakes a busy retry's
        # pause, so a hang-up ends a waiting list at once.
        self._plan_changed = asyncio.Event()

    @property
    def running(self) -> bool:
        """A dial runs (from its start), or a list goes on in the background."""
        return bool(
            # A superseded dial (a hang-up, a newer dial) is on its way out.
            any(d.generation in (None, self._plan_generation) for d in self._dials)
            or (self._plan_task is not None and not self._plan_task.done())
        )

    async def async_run(
        self,
        plan: DialPlan,
        result: DialResult,
        *,
        wait: bool,
        keep_active_call: bool = False,
    ) -> None:
        """Work through ``plan`` into ``result``: one number after another.

        Returns after the first poll of the first call, unless ``wait``; then
        once the outcome is known. Without ``wait`` the rest of a list (or a
        busy retry) runs in the background until a new dial or a hang-up.
        ``keep_active_call``: a call in progress is left alone and nothing is
        dialled (checked before the first await: two such dials at once
        place one call). ``result`` holds what was tried when this raises.
        """
        if keep_active_call and (self.running or self._placer.holds_line):
            self._skipped(plan, result)
            return
        dial = _RunningDial(plan)
        self._dials[dial] = None
        try:
            if keep_active_call and await self._placer.async_unconfirmed_end_still_up():
                self._skipped(plan, result, asking=dial)
                return
            generation = dial.generation = await self.async_supersede()
            first = await self._dial_attempt(plan, plan.destinations[0], result)
            result.status, result.status_code = (
                self._placer.state.status,
                self._placer.state.code,
            )
            if wait:
                await self._run_plan(plan, result, first, generation)
            elif len(plan.destinations) > 1 or plan.retry_busy:
                self._background_plan = plan
                self._plan_task = self._placer.create_background_task(
                    self._run_plan_in_background(plan, result, first, generation),
                    f"{DOMAIN} call list",
                )
        finally:
            self._dials.pop(dial, None)

    def _skipped(
        self, plan: DialPlan, result: DialResult, asking: _RunningDial | None = None
    ) -> None:
        """Nothing dialled: what holds the line, and whether it is this dial.

        ``asking``: the skipped dial itself, when it was skipped after asking
        the server (it is no holder).
        """
        state = self._placer.state
        result.skipped = True
        result.outcome = OUTCOME_LINE_BUSY
        result.status, result.status_code = state.status, state.code
        result.held_by = LineHolder(
            destination=state.destination,
            contact=state.contact,
            same_dial=self._holder_key(asking) == plan.key,
        )

    def _holder_key(self, asking: _RunningDial | None) -> str | None:
        """The key of the dial holding the line; None: unknown.

        A dial still running comes first (the newest), then a list in the
        background, then what placed the call on the line (kept across a
        restart).
        """
        running = [
            dial.plan.key
            for dial in self._dials
            if dial is not asking and dial.generation in (None, self._plan_generation)
        ]
        if running:
            return running[-1]
        if self._plan_task is not None and not self._plan_task.done():
            assert self._background_plan is not None
            return self._background_plan.key
        return self._placer.holder_key

    async def _dial_attempt(
        self, plan: DialPlan, number: str, result: DialResult
    ) -> CallT:
        result.attempts.append({"destination": number, "outcome": None})
        return await self._placer.async_place(plan, number)

    async def _run_plan(
        self, plan: DialPlan, result: DialResult, call: CallT, generation: int
    ) -> None:
        """Follow the plan from its first call (already placed) to its outcome.

        A newer dial, a hang-up or the end of the session supersedes it: it
        then stops before placing another call.
        """
        numbers = list(plan.destinations)
        index, retries = 0, 0
        while True:
            outcome = await self._placer.async_wait(call, plan.wait_bound)
            result.attempts[-1]["outcome"] = outcome
            result.outcome = outcome
            if outcome == OUTCOME_ANSWERED:
                result.answered_by = numbers[index]
                return
            if outcome == OUTCOME_BUSY and retries < plan.retry_busy:
                retries += 1
                await self._pause(plan.retry_delay, generation)
            elif index + 1 < len(numbers):
                index, retries = index + 1, 0
            else:
                return
            if generation != self._plan_generation:
                return
            call = await self._dial_attempt(plan, numbers[index], result)

    async def _run_plan_in_background(
        self, plan: DialPlan, result: DialResult, call: CallT, generation: int
    ) -> None:
        try:
            await self._run_plan(plan, result, call, generation)
        except ConnectCallError as err:
            # Nobody awaits this task: the log is where the failure goes.
            LOGGER.warning("Call list stopped: %s", err)
            self._background_failed(err)

    async def _pause(self, seconds: float, generation: int) -> None:
        """Sleep before a re-dial; cut short when the plan is superseded."""
        if generation != self._plan_generation:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._plan_changed.wait()

    async def async_supersede(self) -> int:
        """Stop any running list; returns the new plan generation."""
        self._plan_generation += 1
        self._plan_changed.set()
        self._plan_changed = asyncio.Event()
        if (task := self._plan_task) is not None:
            self._plan_task = None
            if task is not asyncio.current_task():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        return self._plan_generation
