"""The conditions call_active and last_call_outcome in real automations."""

from __future__ import annotations

import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.connectcall import activity
from custom_components.connectcall.const import DOMAIN

from .helpers import (
    DEST,
    MUM,
    B,
    RunningSimulator,
    add_contact,
    calls_placed,
    check,
    device_of,
    dial,
    restart,
    run,
    set_up_automations,
    tick,
)


def condition(name: str, target: Any = None, **options: Any) -> dict[str, Any]:
    """An automation run by ``check`` under one Connect Call condition."""
    spec: dict[str, Any] = {"condition": f"connectcall.{name}"}
    if target is not None:
        spec["target"] = {"device_id": target}
    if options:
        spec["options"] = options
    return {"conditions": [spec]}


async def test_call_active_while_a_call_rings_or_talks(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    bob: MockConfigEntry,
) -> None:
    runs = await set_up_automations(
        hass,
        {
            "any": condition("call_active"),
            "alice": condition("call_active", device_of(hass, init_integration)),
            "bob": condition("call_active", device_of(hass, bob)),
        },
    )
    assert not await check(hass, runs, "any")
    await dial(hass, config_entry_id=init_integration.entry_id)
    assert ha_sim.server.active_call() is not None
    for _ in range(2):  # ringing, then talking
        assert await check(hass, runs, "any")
        assert await check(hass, runs, "alice")
        assert not await check(hass, runs, "bob")
        await run(hass, freezer, 10)
    await hass.services.async_call(
        DOMAIN, "hang_up", {"config_entry_id": init_integration.entry_id}, blocking=True
    )
    assert not await check(hass, runs, "any")
    assert not await check(hass, runs, "alice")


@pytest.mark.usefixtures("init_integration")
async def test_call_active_holds_for_each_milestone_of_the_call(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    """An automation runs at once: its conditions see the call that fired it."""
    active = [{"condition": "connectcall.call_active"}]
    runs = await set_up_automations(
        hass,
        {
            name: {
                "triggers": [{"trigger": f"connectcall.call_{name}"}],
                "conditions": active,
            }
            for name in ("started", "answered", "ended")
        },
    )
    await dial(hass)
    await run(hass, freezer, 45)
    assert calls_placed(ha_sim) == [DEST]
    assert [run_.data["alias"] for run_ in runs] == ["started", "answered"]


async def test_call_active_for_a_contact_is_a_call_to_its_number(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    mum = await add_contact(hass, init_integration, name="Mum", number=MUM)
    runs = await set_up_automations(
        hass, {"mum": condition("call_active", device_of(hass, init_integration, mum))}
    )
    await dial(hass)
    assert not await check(hass, runs, "mum")
    await dial(hass, destination=MUM)
    await tick(hass, freezer)
    assert calls_placed(ha_sim) == [DEST, MUM]
    assert await check(hass, runs, "mum")


@pytest.mark.usefixtures("init_integration")
async def test_last_call_outcome_is_the_previous_call_s_until_a_call_ends(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    runs = await set_up_automations(
        hass,
        {
            "any": condition("last_call_outcome"),
            "answered": condition("last_call_outcome", outcome=["answered"]),
            "missed": condition(
                "last_call_outcome",
                outcome=["busy", "no_answer", "rejected", "canceled", "failed"],
            ),
        },
    )
    assert not await check(hass, runs, "any")  # no call yet
    await dial(hass)
    await run(hass, freezer, 45)
    assert await check(hass, runs, "any")
    assert await check(hass, runs, "answered")
    assert not await check(hass, runs, "missed")
    ha_sim.server.scenarios = {B: "busy"}
    await dial(hass, destination=B)
    await tick(hass, freezer)
    assert await check(hass, runs, "answered")  # during a call: the one before
    await run(hass, freezer, 10)
    assert calls_placed(ha_sim) == [DEST, B]
    assert not await check(hass, runs, "answered")
    assert await check(hass, runs, "missed")


async def test_last_call_outcome_survives_a_restart_per_account_and_contact(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    mum = await add_contact(hass, init_integration, name="Mum", number=MUM)
    account = device_of(hass, init_integration)
    runs = await set_up_automations(
        hass,
        {
            "mum answered": condition(
                "last_call_outcome",
                device_of(hass, init_integration, mum),
                outcome=["answered"],
            ),
            "account busy": condition("last_call_outcome", account, outcome=["busy"]),
        },
    )
    ha_sim.server.scenarios = {B: "busy"}
    await dial(hass, destination=MUM)
    await run(hass, freezer, 45)
    await dial(hass, destination=B)
    await run(hass, freezer, 10)
    await restart(hass, init_integration)
    assert await check(hass, runs, "mum answered")
    assert await check(hass, runs, "account busy")
    stored = hass_storage[f"{DOMAIN}.{init_integration.entry_id}.outcomes"]["data"]
    assert stored["last"]["outcome"] == "busy"
    assert {n: v["outcome"] for n, v in stored["numbers"].items()} == {
        MUM: "answered",
        B: "busy",
    }


async def test_last_call_outcome_of_several_accounts_is_the_latest(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    bob: MockConfigEntry,
) -> None:
    ha_sim.server.scenarios = {B: "busy"}
    runs = await set_up_automations(
        hass,
        {
            "any busy": condition("last_call_outcome", outcome=["busy"]),
            "both busy": condition(
                "last_call_outcome",
                [device_of(hass, init_integration), device_of(hass, bob)],
                outcome=["busy"],
            ),
        },
    )
    await dial(hass, config_entry_id=bob.entry_id, destination=B)
    await run(hass, freezer, 10)
    assert await check(hass, runs, "any busy")
    await dial(hass, config_entry_id=init_integration.entry_id)
    await run(hass, freezer, 45)
    assert not await check(hass, runs, "any busy")
    assert not await check(hass, runs, "both busy")


@pytest.mark.parametrize("name", ["call_active", "last_call_outcome"])
@pytest.mark.usefixtures("ha_sim")
async def test_an_unloaded_or_removed_account_is_no_call_and_no_outcome(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    name: str,
) -> None:
    await dial(hass)
    await run(hass, freezer, 45 if name == "last_call_outcome" else 1)
    runs = await set_up_automations(
        hass,
        {
            "account": condition(name, device_of(hass, init_integration)),
            "any": condition(name),
        },
    )
    assert await check(hass, runs, "account")
    await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert not await check(hass, runs, "account")
    assert not await check(hass, runs, "any")
    await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done()
    assert not await check(hass, runs, "account")
    assert not await check(hass, runs, "any")
    assert "Traceback" not in caplog.text


@pytest.mark.usefixtures("init_integration")
async def test_an_unknown_device_fails_the_condition_s_validation(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    unknown = "0123456789abcdef0123456789abcdef"
    with caplog.at_level(logging.ERROR):
        runs = await set_up_automations(
            hass, {"unknown": condition("call_active", unknown)}
        )
    assert f"Device {unknown} is not a Connect Call account or contact" in caplog.text
    assert not await check(hass, runs, "unknown")


async def test_last_outcomes_are_kept_for_the_latest_numbers_only(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(activity, "MAX_NUMBERS", 2)
    ha_sim.server.scenarios = {B: "busy", MUM: "busy"}
    for number in (B, MUM, B, DEST):
        await dial(hass, destination=number)
        await run(hass, freezer, 45)
    stored = hass_storage[f"{DOMAIN}.{init_integration.entry_id}.outcomes"]["data"]
    # B dialled again moved up; MUM, the least recent, went.
    assert list(stored["numbers"]) == [B, DEST]


async def test_unreadable_stored_outcomes_are_none(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    key = f"{DOMAIN}.{mock_config_entry.entry_id}.outcomes"
    hass_storage[key] = {
        "version": 1,
        "key": key,
        "data": {"last": {"outcome": "busy"}, "numbers": {}},
    }
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    runs = await set_up_automations(hass, {"any": condition("last_call_outcome")})
    assert "The stored outcomes of the last calls are unreadable" in caplog.text
    assert not await check(hass, runs, "any")
