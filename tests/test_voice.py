"""The voice blueprint: sentences to Assist, calls at the simulator, answers spoken."""

from __future__ import annotations

import asyncio
from pathlib import Path
import shutil
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .helpers import (
    BLUEPRINTS,
    MUM,
    MUM_AS_TYPED,
    SOURCE,
    RunningSimulator,
    add_contact,
    dial_scenario,
    run_clock,
    second_account,
    set_aliases,
)

MAMA_NUMBER = "0622223333"


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    """A real config dir, so blueprints load from files."""
    shutil.copytree(
        BLUEPRINTS, Path(hass_tmp_config_dir) / "blueprints", dirs_exist_ok=True
    )
    return hass_tmp_config_dir


@pytest.fixture
async def voice(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """Assist and an automation from voice_call_contact.yaml; Mum and Mama saved."""
    await add_contact(hass, init_integration, name="Mum", number=MUM_AS_TYPED)
    await add_contact(hass, init_integration, name="Mama", number=MAMA_NUMBER)
    await setup_assist(hass)
    await use_voice_blueprint(hass)


async def setup_assist(hass: HomeAssistant) -> None:
    """Assist's built-in agent, which matches the sentence triggers."""
    assert await async_setup_component(hass, "homeassistant", {})
    # Fails when hassil, home-assistant-intents or gazetteer-matcher is missing.
    assert await async_setup_component(hass, "conversation", {}), "no Assist"


async def use_voice_blueprint(hass: HomeAssistant, **inputs: Any) -> None:
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "use_blueprint": {
                    "path": "connectcall/voice_call_contact.yaml",
                    "input": {"ring_timeout": 20} | inputs,
                }
            }
        },
    )
    await hass.async_block_till_done()


async def say(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    text: str,
    language: str = "en",
    seconds: int = 60,
) -> str:
    """Assist's spoken answer to ``text``, the clock running while it waits."""
    # Not a tracked task: the automation waits inside an action for the clock.
    task = asyncio.create_task(
        hass.services.async_call(
            "conversation",
            "process",
            {"text": text, "language": language},
            blocking=True,
            return_response=True,
        )
    )
    for _ in range(seconds):
        if task.done():
            break
        await run_clock(hass, freezer, 1)
    assert task.done(), f"no answer to {text!r} within {seconds} s"
    response: Any = task.result()
    speech = response["response"]["speech"]["plain"]["speech"]
    assert isinstance(speech, str)
    return speech


@pytest.mark.usefixtures("voice")
async def test_call_mum_answered(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    speech = await say(hass, freezer, "call mum")
    # The saved name, not the word as heard.
    assert speech == "Calling Mum… Mum answered."
    assert [(c.destination, c.source) for c in ha_sim.server.calls] == [(MUM, SOURCE)]


@pytest.mark.parametrize("sentence", ["bel mama op", "Bel Mama", "bel mama op."])
@pytest.mark.usefixtures("voice")
async def test_dutch(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    sentence: str,
) -> None:
    speech = await say(hass, freezer, sentence, language="nl")
    assert speech == "Ik bel Mama… Mama heeft opgenomen."
    assert [c.destination for c in ha_sim.server.calls] == [MAMA_NUMBER]


@pytest.mark.parametrize(
    ("scenario", "sentence", "language", "expected"),
    [
        ("busy", "call mum", "en", "Mum is busy."),
        ("busy", "bel mum", "nl", "Mum is in gesprek."),
        ("rejected", "ring Mum", "en", "Mum declined the call."),
        ("ringing_forever", "call mum", "en", "Mum did not answer."),
        ("cancelled", "call mum", "en", "The call was hung up before Mum answered."),
        ("wrong_destination", "call mum", "en", "The call to Mum failed."),
    ],
)
@pytest.mark.usefixtures("voice")
async def test_outcomes_spoken(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    scenario: str,
    sentence: str,
    language: str,
    expected: str,
) -> None:
    ha_sim.server.default_scenario = scenario
    assert await say(hass, freezer, sentence, language=language) == expected
    assert [c.destination for c in ha_sim.server.calls] == [MUM]


@pytest.mark.usefixtures("voice")
async def test_no_answer_hangs_up_at_ring_timeout(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    """The ring time input reaches the action: hung up after 20 s, not 34."""
    ha_sim.server.default_scenario = "no_answer"
    assert await say(hass, freezer, "call mum") == "Mum did not answer."
    hang_up = next(r for r in ha_sim.server.requests if r.command == "hangUp")
    assert hang_up.at - ha_sim.server.calls[0].started == pytest.approx(20, abs=2)


@pytest.mark.parametrize(
    ("sentence", "language", "expected"),
    [
        ("call grandpa", "en", "I have no contact called grandpa."),
        # The account's own device is named "alice": no contact.
        ("call alice", "en", "I have no contact called alice."),
        ("bel opa op", "nl", "Ik heb geen contact dat opa heet."),
    ],
)
@pytest.mark.usefixtures("voice")
async def test_unknown_name_sends_nothing(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    sentence: str,
    language: str,
    expected: str,
) -> None:
    before = [r.command for r in ha_sim.server.requests]
    assert await say(hass, freezer, sentence, language=language) == expected
    assert ha_sim.server.calls == []
    assert [r.command for r in ha_sim.server.requests] == before


@pytest.mark.usefixtures("voice")
async def test_failed_request_is_not_an_unknown_name(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    """The server refuses the call: a known contact, so "could not call"."""
    ha_sim.sim.forced = (105, "NoChanges")
    assert await say(hass, freezer, "call MUM") == "I could not call Mum."


async def test_account_input_limits_the_contacts(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """With another account chosen, the first account's Mum is no contact."""
    await add_contact(hass, init_integration, name="Mum", number=MUM_AS_TYPED)
    other = second_account(ha_sim, init_integration)
    other.add_to_hass(hass)
    assert await hass.config_entries.async_setup(other.entry_id)
    await setup_assist(hass)
    await use_voice_blueprint(hass, account=other.entry_id)
    await hass.async_block_till_done()
    before = [r.command for r in ha_sim.server.requests]
    assert await say(hass, freezer, "call mum") == "I have no contact called mum."
    assert [r.command for r in ha_sim.server.requests] == before


@pytest.mark.parametrize(
    ("sentence", "language", "expected"),
    [
        ("call the front door", "en", "Calling Front door… Front door answered."),
        ("bel de voordeur", "nl", "Ik bel Voordeur… Voordeur heeft opgenomen."),
    ],
)
@pytest.mark.usefixtures("voice")
async def test_a_leading_article_is_not_part_of_the_name(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    sentence: str,
    language: str,
    expected: str,
) -> None:
    """The built-in agent hears "the front door"; the contact is "Front door"."""
    await add_contact(hass, init_integration, name="Front door", number="0301112233")
    await add_contact(hass, init_integration, name="Voordeur", number="0301112244")
    speech = await say(hass, freezer, sentence, language=language)
    assert speech == expected
    assert len(ha_sim.server.calls) == 1


@pytest.mark.parametrize(
    ("sentence", "language", "expected"),
    [
        ("call mummy", "en", "Calling Mum… Mum answered."),
        ("bel moeder op", "nl", "Ik bel Mum… Mum heeft opgenomen."),
        ("bel Moeke", "nl", "Ik bel Mum… Mum heeft opgenomen."),
    ],
)
async def test_a_contact_answers_to_its_call_button_s_aliases(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    sentence: str,
    language: str,
    expected: str,
) -> None:
    """One contact, several words: Home Assistant's own voice aliases of the
    contact's Call button (Settings > Voice assistants) reach call_contact."""
    await add_contact(hass, init_integration, name="Mum", number=MUM_AS_TYPED)
    set_aliases(hass, init_integration, "Mum", "Mummy", "moeder", "Moeke")
    await setup_assist(hass)
    await use_voice_blueprint(hass)
    assert await say(hass, freezer, sentence, language=language) == expected
    assert [c.destination for c in ha_sim.server.calls] == [MUM]


@pytest.mark.parametrize(
    ("sentence", "language", "expected"),
    [
        ("hang up", "en", "Hung up."),
        ("Hang up the phone", "en", "Hung up."),
        ("ophangen", "nl", "Opgehangen."),
        ("hang de telefoon op", "nl", "Opgehangen."),
    ],
)
@pytest.mark.usefixtures("voice")
async def test_hang_up_by_voice(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    sentence: str,
    language: str,
    expected: str,
) -> None:
    """The built-in assistant hangs up the current call, whatever placed it."""
    await dial_scenario(hass, ha_sim, "answered_long")
    await run_clock(hass, freezer, 12)
    assert ha_sim.server.active_call() is ha_sim.server.calls[0]
    assert await say(hass, freezer, sentence, language=language) == expected
    assert [r.command for r in ha_sim.server.requests].count("hangUp") == 1
    assert ha_sim.server.active_call() is None


@pytest.mark.usefixtures("voice")
async def test_hang_up_by_voice_while_a_voice_call_rings(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    """ "Call mum" waits for the outcome while her phone rings; "hang up" in
    the meantime runs at once (not after the ring time) and ends it."""
    ha_sim.server.default_scenario = "ringing_forever"
    calling = asyncio.create_task(
        hass.services.async_call(
            "conversation",
            "process",
            {"text": "call mum", "language": "en"},
            blocking=True,
            return_response=True,
        )
    )
    await run_clock(hass, freezer, 6)
    assert ha_sim.server.active_call() is not None
    assert await say(hass, freezer, "hang up", seconds=3) == "Hung up."
    assert ha_sim.server.active_call() is None
    assert [r.command for r in ha_sim.server.requests].count("hangUp") == 1
    await run_clock(hass, freezer, 3)
    assert calling.done()
    assert len(ha_sim.server.calls) == 1


@pytest.mark.usefixtures("voice")
async def test_a_second_call_by_voice_leaves_the_first_alone(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    """ "Call mama" while Mum talks (or the doorbell's visitor does): that
    call is never cut; Assist says a call is going on."""
    ha_sim.server.default_scenario = "answered_long"
    assert await say(hass, freezer, "call mum") == "Calling Mum… Mum answered."
    start = ha_sim.server.count()
    speech = await say(hass, freezer, "bel mama", language="nl")
    assert speech == "Er is al een gesprek; zeg eerst ophangen."
    assert {r.command for r in ha_sim.server.requests[start:]} <= {"getStatus"}
    assert [c.destination for c in ha_sim.server.calls] == [MUM]


@pytest.mark.usefixtures("voice", "ha_sim")
async def test_a_contact_of_an_account_not_loaded_could_not_be_called(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """Mum is saved, but her account is not loaded (its server was down at
    start-up): "I could not call Mum", not "no such contact"."""
    await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert await say(hass, freezer, "call mum") == "I could not call Mum."
