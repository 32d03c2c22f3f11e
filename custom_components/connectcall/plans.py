"""Dial plans: a dial's numbers, bounds and retries, checked, then worked through.

``build_plan`` checks an action's whole input (nothing is sent unless all of
it is valid); ``PlanRunner`` works a plan through: one number after another
until one answers, busy numbers again, in the caller or in the background,
until a newer dial or a hang-up supersedes it. Placing a call and waiting
for its outcome are the coordinator's (the ``CallLine`` it offers).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping
import contextlib
from dataclasses import dataclass, field, replace
import json
import math
from typing import TYPE_CHECKING, Any, Final, Protocol

from homeassistant.exceptions import HomeAssistantError

from .call import CallState
from .codes import OUTCOME_ANSWERED, OUTCOME_BUSY, OUTCOME_LINE_BUSY, CallMode
from .const import (
    ATTR_DESTINATION,
    ATTR_MAX_DURATION,
    ATTR_RETRY_BUSY,
    ATTR_RETRY_DELAY,
    ATTR_WAIT,
    CONF_MODE,
    CONF_NUMBER,
    CONF_RING_TIMEOUT,
    CONF_SOURCE,
    DEFAULT_LIST_RING,
    DEFAULT_MODE,
    DEFAULT_WAIT_RING,
    DOMAIN,
    LOGGER,
    WAIT_SLACK,
)
from .errors import checked_number, invalid_input

if TYPE_CHECKING:
    from .contacts import Contact

MAX_DESTINATIONS = 10
# The actions' numeric limits: the one table the handlers check against
# (services.yaml keeps a copy for the UI; a test compares the two).
LIMITS: Final[dict[str, tuple[int, int]]] = {
    CONF_RING_TIMEOUT: (5, 300),
    ATTR_MAX_DURATION: (10, 86400),
    ATTR_RETRY_BUSY: (0, 5),
    ATTR_RETRY_DELAY: (1, 300),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class DialPlan:
    """A validated ``dial``: numbers in order, each ring bounded."""

    destinations: tuple[str, ...]
    source: str
    mode: CallMode
    ring_timeout: float | None
    max_duration: float | None
    retry_busy: int
    retry_delay: float
    # How long a waiting dial waits for one number's outcome.
    wait_bound: float
    # The quick-dial contact called by name (call_contact), if so.
    contact: str | None = None

    @property
    def key(self) -> str:
        """What a dial asked for: two dials with one key are the same dial.

        The contact counts: a call to Mum by her button is not the
        doorbell's call to her number.
        """
        return json.dumps([self.source, self.destinations, self.contact])


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
class _Dial:
    """A dial from its start until its list runs on its own or ends."""

    plan: DialPlan
    # The plan generation it runs as; None until it superseded the last.
    generation: int | None = None


class CallLine[CallT](Protocol):
    """What a plan needs of the coordinator (a call is opaque to it)."""

    @property
    def data(self) -> CallState:
        """The current call's state."""

    @property
    def occupied(self) -> bool:
        """A call not yet over, or a placement in flight."""

    @property
    def holder_key(self) -> str | None:
        """The ``DialPlan.key`` of the call holding the line, if known."""

    async def async_place(self, plan: DialPlan, number: str) -> CallT:
        """Place one call (hanging up one before), poll it once."""

    async def async_wait(self, call: CallT, bound: float) -> str:
        """``answered`` or the call's outcome; hangs up when ``bound`` runs out."""

    async def async_unconfirmed_end_still_up(self) -> bool:
        """A call over by our knowledge only is still up at the server."""

    def create_background_task(
        self, coro: Coroutine[Any, Any, None], name: str
    ) -> asyncio.Task[None]:
        """A task bound to the config entry."""


def contact_plan(contact: Contact, data: dict[str, Any]) -> tuple[DialPlan, bool]:
    """A dial of the contact as it is now: its number, source and mode.

    ``data`` adds what the caller may choose (wait and the bounds).
    """
    saved = contact.subentry.data
    dial: dict[str, Any] = {
        key: data[key]
        for key in (ATTR_WAIT, CONF_RING_TIMEOUT, ATTR_MAX_DURATION)
        if key in data
    }
    dial[ATTR_DESTINATION] = saved[CONF_NUMBER]
    dial |= {key: saved[key] for key in (CONF_SOURCE, CONF_MODE) if saved.get(key)}
    plan, wait = build_plan(dial, contact.entry.options)
    return replace(plan, contact=contact.name), wait


def _limited[T: (int, float)](
    data: dict[str, Any], field: str, kind: type[T]
) -> T | None:
    """A number within the field's LIMITS, or None when not given."""
    value = data.get(field)
    if value is None:
        return None
    low, high = LIMITS[field]
    # bool is an int to Python, never a number to a user.
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float if kind is float else int)
        or not (math.isfinite(value) and low <= value <= high)
    ):
        raise invalid_input("invalid_range", field=field, min=str(low), max=str(high))
    return kind(value)


def build_plan(
    data: dict[str, Any], options: Mapping[str, Any]
) -> tuple[DialPlan, bool]:
    """Check the whole input; a DialPlan only when all of it is valid.

    ``options``: the account's defaults (source, mode, ring timeout).
    """
    raw = data[ATTR_DESTINATION]
    raw_list = raw if isinstance(raw, list) else [raw]
    if not 1 <= len(raw_list) <= MAX_DESTINATIONS:
        raise invalid_input("invalid_destinations", max=str(MAX_DESTINATIONS))
    destinations = tuple(checked_number(value, "invalid_number") for value in raw_list)

    source = checked_number(
        data.get(CONF_SOURCE, options.get(CONF_SOURCE)), "invalid_source"
    )

    mode_value = data.get(CONF_MODE, options.get(CONF_MODE, DEFAULT_MODE))
    if mode_value not in tuple(CallMode):
        raise invalid_input("invalid_mode")
    wait = data.get(ATTR_WAIT, False)
    if not isinstance(wait, bool):
        raise invalid_input("invalid_wait")
    ring_timeout = _limited(data, CONF_RING_TIMEOUT, float)
    max_duration = _limited(data, ATTR_MAX_DURATION, float)
    retry_delay = _limited(data, ATTR_RETRY_DELAY, float)
    retry_busy = _limited(data, ATTR_RETRY_BUSY, int) or 0

    if ring_timeout is None and len(destinations) > 1:
        ring_timeout = DEFAULT_LIST_RING
    if ring_timeout is None and (default := options.get(CONF_RING_TIMEOUT)):
        ring_timeout = float(default)
    plan = DialPlan(
        destinations=destinations,
        source=source,
        mode=CallMode(mode_value),
        ring_timeout=ring_timeout,
        max_duration=max_duration,
        retry_busy=retry_busy,
        retry_delay=10.0 if retry_delay is None else retry_delay,
        wait_bound=(ring_timeout or DEFAULT_WAIT_RING) + WAIT_SLACK,
    )
    return plan, wait


def checked_flag(data: dict[str, Any], field: str) -> bool:
    """A boolean field (default false), or its translated error."""
    value = data.get(field, False)
    if not isinstance(value, bool):
        raise invalid_input("invalid_flag", field=field)
    return value


class PlanRunner[CallT]:
    """Works dial plans through, one at a time; a newer one supersedes."""

    def __init__(self, line: CallLine[CallT]) -> None:
        """Nothing runs until a plan does."""
        self._line = line
        self._plan_task: asyncio.Task[None] | None = None
        self._plan_generation = 0
        # In the order they started (a dict: an ordered set).
        self._dials: dict[_Dial, None] = {}
        # The plan of the list running in the background.
        self._background_plan: DialPlan | None = None
        # Set (and replaced) when a plan is superseded: wakes a busy retry's
        # pause, so a hang-up ends a waiting list at once.
        self._plan_changed = asyncio.Event()

    @property
    def in_progress(self) -> bool:
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
        if keep_active_call and (self.in_progress or self._line.occupied):
            self._skipped(plan, result)
            return
        dial = _Dial(plan)
        self._dials[dial] = None
        try:
            if keep_active_call and await self._line.async_unconfirmed_end_still_up():
                self._skipped(plan, result, asking=dial)
                return
            generation = dial.generation = await self.async_supersede()
            first = await self._dial_attempt(plan, plan.destinations[0], result)
            result.status, result.status_code = (
                self._line.data.status,
                self._line.data.code,
            )
            if wait:
                await self._run_plan(plan, result, first, generation)
            elif len(plan.destinations) > 1 or plan.retry_busy:
                self._background_plan = plan
                self._plan_task = self._line.create_background_task(
                    self._run_plan_in_background(plan, result, first, generation),
                    f"{DOMAIN} call list",
                )
        finally:
            self._dials.pop(dial, None)

    def _skipped(
        self, plan: DialPlan, result: DialResult, asking: _Dial | None = None
    ) -> None:
        """Nothing dialled: what holds the line, and whether it is this dial.

        ``asking``: the skipped dial itself, when it was skipped after asking
        the server (it is no holder).
        """
        state = self._line.data
        result.skipped = True
        result.outcome = OUTCOME_LINE_BUSY
        result.status, result.status_code = state.status, state.code
        result.held_by = LineHolder(
            destination=state.destination,
            contact=state.contact,
            same_dial=self._holder_key(asking) == plan.key,
        )

    def _holder_key(self, asking: _Dial | None) -> str | None:
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
        return self._line.holder_key

    async def _dial_attempt(
        self, plan: DialPlan, number: str, result: DialResult
    ) -> CallT:
        result.attempts.append({"destination": number, "outcome": None})
        return await self._line.async_place(plan, number)

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
            outcome = await self._line.async_wait(call, plan.wait_bound)
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
        except HomeAssistantError as err:
            # Nobody awaits this task: the log is where the failure goes.
            LOGGER.warning("Call list stopped: %s", err)

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
