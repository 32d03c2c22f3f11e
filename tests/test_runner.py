"""Working a dial plan through (runner.py) against a scripted placer.

No Home Assistant and no server: the placer answers each number with the
outcome the test scripts, so the plan's rules alone are under test (the
next number, busy retries, keeping the active call, being superseded).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import pytest

from custom_components.connectcall.api import ConnectCallError
from custom_components.connectcall.call import CallState
from custom_components.connectcall.codes import CallMode
from custom_components.connectcall.plans import DialPlan
from custom_components.connectcall.runner import DialResult, PlanRunner


@pytest.fixture(autouse=True)
def _custom_integrations() -> None:
    """Replaces conftest's autouse fixture: no Home Assistant is started here."""


def plan(*numbers: str, retry_busy: int = 0) -> DialPlan:
    return DialPlan(
        destinations=numbers,
        source="0201234567",
        mode=CallMode.SOURCE_FIRST,
        ring_timeout=15.0,
        max_duration=None,
        retry_busy=retry_busy,
        retry_delay=1.0,
        wait_bound=20.0,
    )


class ScriptedPlacer:
    """Each number's outcomes in turn; what was placed, in order."""

    def __init__(self, outcomes: dict[str, list[str]]) -> None:
        self.outcomes = outcomes
        self.placed: list[str] = []
        self.holds_line = False
        self.holder_key: str | None = None
        self.still_up = False
        self.fail_on: str | None = None
        self.tasks: list[asyncio.Task[None]] = []

    @property
    def state(self) -> CallState:
        return CallState()

    async def async_place(self, plan: DialPlan, number: str) -> str:
        if number == self.fail_on:
            raise ConnectCallError("refused")
        self.placed.append(number)
        return number

    async def async_wait(self, call: str, seconds: float) -> str:
        return self.outcomes[call].pop(0)

    async def async_unconfirmed_end_still_up(self) -> bool:
        return self.still_up

    def create_background_task(
        self, coro: Coroutine[Any, Any, None], name: str
    ) -> asyncio.Task[None]:
        task = asyncio.ensure_future(coro)
        self.tasks.append(task)
        return task


def runner(placer: ScriptedPlacer) -> tuple[PlanRunner[str], list[ConnectCallError]]:
    failed: list[ConnectCallError] = []
    return PlanRunner(placer, failed.append), failed


async def test_a_list_goes_on_until_a_number_answers() -> None:
    placer = ScriptedPlacer({"1": ["no_answer"], "2": ["busy"], "3": ["answered"]})
    plans, _ = runner(placer)
    result = DialResult()
    await plans.async_run(plan("1", "2", "3"), result, wait=True)
    assert placer.placed == ["1", "2", "3"]
    assert (result.outcome, result.answered_by) == ("answered", "3")
    assert [a["outcome"] for a in result.attempts] == ["no_answer", "busy", "answered"]


async def test_a_busy_number_is_dialled_again_as_often_as_asked() -> None:
    placer = ScriptedPlacer({"1": ["busy", "busy", "busy"]})
    plans, _ = runner(placer)
    result = DialResult()
    await plans.async_run(plan("1", retry_busy=2), result, wait=True)
    assert placer.placed == ["1", "1", "1"]
    assert result.outcome == "busy"


async def test_keep_active_call_skips_while_the_line_is_held() -> None:
    """Nothing is placed; the result names what holds the line and whether
    it was dialled the same way."""
    placer = ScriptedPlacer({})
    placer.holds_line = True
    placer.holder_key = plan("1").key
    plans, _ = runner(placer)
    result = DialResult()
    await plans.async_run(plan("1"), result, wait=False, keep_active_call=True)
    assert placer.placed == []
    assert (result.skipped, result.outcome) == (True, "line_busy")
    assert result.held_by is not None
    assert result.held_by.same_dial


async def test_keep_active_call_asks_about_a_call_over_by_our_knowledge() -> None:
    placer = ScriptedPlacer({})
    placer.still_up = True
    plans, _ = runner(placer)
    result = DialResult()
    await plans.async_run(plan("1"), result, wait=False, keep_active_call=True)
    assert placer.placed == []
    assert result.skipped
    assert result.held_by is not None
    assert not result.held_by.same_dial  # the asking dial is no holder


async def test_a_list_in_the_background_stops_when_superseded() -> None:
    placer = ScriptedPlacer({"1": ["no_answer"], "2": ["no_answer"]})
    plans, _ = runner(placer)
    await plans.async_run(plan("1", "2"), DialResult(), wait=False)
    assert plans.running
    await plans.async_supersede()
    await asyncio.gather(*placer.tasks, return_exceptions=True)
    assert placer.placed == ["1"]
    assert not plans.running


async def test_a_failure_in_the_background_is_handed_on() -> None:
    """Nobody awaits a list in the background: its failure goes to the
    coordinator (which starts reauth for a refused login)."""
    placer = ScriptedPlacer({"1": ["no_answer"]})
    placer.fail_on = "2"
    plans, failed = runner(placer)
    await plans.async_run(plan("1", "2"), DialResult(), wait=False)
    await asyncio.gather(*placer.tasks)
    assert [str(err) for err in failed] == ["refused"]
