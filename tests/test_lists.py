"""Call lists and busy retries: one number after another until one answers."""

from __future__ import annotations

import asyncio
import itertools
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.connectcall.const import DOMAIN

from .helpers import RunningSimulator, commands, dial, dial_waiting, drain, run, tick

pytestmark = pytest.mark.usefixtures("init_integration")

A, B, C = "0611111111", "0622222222", "0633333333"


def dialled(sim: RunningSimulator) -> list[str]:
    return [call.destination for call in sim.server.calls]


async def test_first_busy_second_answers(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    ha_sim.server.scenarios = {A: "busy", B: "answered"}
    response = await dial_waiting(hass, freezer, destination=[A, B])
    assert response["outcome"] == "answered"
    assert response["answered_by"] == B
    assert response["attempts"] == [
        {"destination": A, "outcome": "busy"},
        {"destination": B, "outcome": "answered"},
    ]
    assert response["status"] == "source_alerting"  # the first call's first poll
    assert dialled(ha_sim) == [A, B]


async def test_all_fail(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    ha_sim.server.scenarios = {A: "busy", B: "rejected", C: "ringing_forever"}
    response = await dial_waiting(hass, freezer, destination=[A, B, C])
    assert response["outcome"] == "no_answer"
    assert response["answered_by"] is None
    assert [a["outcome"] for a in response["attempts"]] == [
        "busy",
        "rejected",
        "no_answer",
    ]
    # A list without ring_timeout rings each number 15 s: before a mobile's
    # voicemail answers (README, "How long a phone rings").
    last = ha_sim.server.calls[-1]
    hang_up = [r for r in ha_sim.server.requests if r.command == "hangUp"][-1]
    assert hang_up.at - last.started == 15
    assert ha_sim.server.active_call() is None


async def test_list_in_background(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    ha_sim.server.scenarios = {A: "busy", B: "answered"}
    response = await dial(hass, destination=[A, B])
    assert response["outcome"] is None
    assert dialled(ha_sim) == [A]
    await run(hass, freezer, 10)
    assert dialled(ha_sim) == [A, B]


@pytest.mark.parametrize(
    ("then", "placed", "left_up"),
    [("hang_up", [A], None), ("dial", [A, C], C)],
)
async def test_a_hang_up_or_a_new_dial_ends_a_list(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    then: str,
    placed: list[str],
    left_up: str | None,
) -> None:
    """The user's hang-up, or a new dial, ends a list in the background: the
    ringing call is hung up once and the list's next numbers never ring."""
    ha_sim.server.scenarios = {A: "ringing_forever", C: "answered_long"}
    await dial(hass, destination=[A, B])
    await tick(hass, freezer)
    if then == "hang_up":
        await hass.services.async_call(DOMAIN, "hang_up", blocking=True)
    else:
        await dial(hass, destination=C)
    await run(hass, freezer, 60)
    assert dialled(ha_sim) == placed
    assert commands(ha_sim).count("hangUp") == 1  # A, before anything else
    active = ha_sim.server.active_call()
    assert (active.destination if active else None) == left_up


async def test_waiting_list_superseded_by_new_dial(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    """A waiting list whose call another dial replaced stops there."""

    ha_sim.server.scenarios = {A: "ringing_forever", C: "answered_long"}
    waiting = asyncio.create_task(dial(hass, destination=[A, B], wait=True))
    await drain(hass)
    await tick(hass, freezer)
    await dial(hass, destination=C)
    await drain(hass)
    assert waiting.done()
    assert waiting.result()["attempts"] == [{"destination": A, "outcome": "canceled"}]
    await run(hass, freezer, 40)
    assert dialled(ha_sim) == [A, C]


async def test_retry_busy(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    ha_sim.server.scenarios = {A: "busy"}
    response = await dial_waiting(
        hass, freezer, destination=A, retry_busy=2, retry_delay=5
    )
    assert response["outcome"] == "busy"
    assert [a["outcome"] for a in response["attempts"]] == ["busy"] * 3
    starts = [call.started for call in ha_sim.server.calls]
    # Busy at 5 s after each dial, then 5 s pause.
    assert [round(b - a) for a, b in itertools.pairwise(starts)] == [10, 10]


async def test_retry_busy_then_answer(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    ha_sim.server.scenarios = {A: "busy"}
    task_response = await dial(hass, destination=A, retry_busy=1, retry_delay=3)
    assert task_response["outcome"] is None
    await run(hass, freezer, 6)
    ha_sim.server.scenarios = {A: "answered"}
    await run(hass, freezer, 6)
    assert dialled(ha_sim) == [A, A]


async def test_unload_cancels_list(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    ha_sim.server.scenarios = {A: "ringing_forever"}
    await dial(hass, destination=[A, B])
    await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    await run(hass, freezer, 60)
    assert dialled(ha_sim) == [A]
    # A was still ringing: unloading leaves the call and its session alone.
    assert len(ha_sim.server.sessions) == 1


async def test_background_list_failure_is_logged(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ha_sim.server.scenarios = {A: "busy"}
    await dial(hass, destination=[A, B])
    # The password changed on the server: B's login is refused.
    ha_sim.server.accounts.clear()
    ha_sim.server.expire_sessions()
    await run(hass, freezer, 5)
    assert dialled(ha_sim) == [A]
    assert "Call list stopped" in caplog.text
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN)  # reauth
    assert "Traceback" not in caplog.text
    assert not [
        r
        for r in caplog.records
        if r.levelno >= logging.ERROR and "Task" in r.getMessage()
    ]
