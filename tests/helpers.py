"""Helpers the test modules share (fixtures live in conftest.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant

from .conftest import advance


async def until_done[T](
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    coro: Awaitable[T],
    *,
    step: float = 0.5,
    limit: float = 60,
) -> T:
    """Run ``coro`` while the clock moves in steps (a late answer is due)."""
    task = asyncio.ensure_future(coro)
    waited = 0.0
    while not task.done() and waited < limit:
        await advance(hass, freezer, step)
        waited += step
    assert task.done(), "still waiting"
    return task.result()
