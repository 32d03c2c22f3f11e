"""One vocabulary: each outcome has one key and one label wherever a user meets it.

A key in one place without its twin in another (an automation option the
event never carries, a label that differs between the editor and the event
entity) makes a user's automation misfire silently. The same for the one
default ring time: a figure that differs between the README, the
blueprints and the options sends a visitor to voicemail.
"""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.connectcall.codes import (
    DIAL_OUTCOMES,
    EVENT_ENDED,
    EVENT_STARTED,
    EVENT_TYPES,
    OUTCOME_ANSWERED,
    OUTCOME_ERROR,
    OUTCOMES,
    UNANSWERED_OUTCOMES,
    end_event_type,
)
from custom_components.connectcall.const import DEFAULT_LIST_RING
from custom_components.connectcall.llm import OUTCOME_TEXT
from custom_components.connectcall.logbook import describe

from .helpers import BLUEPRINTS

REPO = Path(__file__).parent.parent
ROOT = REPO / "custom_components" / "connectcall"
LANGUAGES = ("en", "nl")


def _strings(language: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (ROOT / "translations" / f"{language}.json").read_text()
    )
    return data


def _labels(language: str) -> dict[str, str]:
    labels: dict[str, str] = _strings(language)["selector"]["outcome"]["options"]
    return labels


def _event_labels(language: str) -> dict[str, str]:
    event = _strings(language)["entity"]["event"]["call"]
    labels: dict[str, str] = event["state_attributes"]["event_type"]["state"]
    return labels


def test_ended_is_an_event_type_never_an_outcome() -> None:
    """`ended` is the end of an answered call; a hang-up before the answer
    is `canceled`, an outcome of its own."""
    assert EVENT_ENDED not in DIAL_OUTCOMES
    assert end_event_type(OUTCOME_ANSWERED) == EVENT_ENDED
    assert all(end_event_type(outcome) == outcome for outcome in OUTCOMES[1:])
    assert set(EVENT_TYPES) == {EVENT_STARTED, EVENT_ENDED, *OUTCOMES}
    assert {UNANSWERED_OUTCOMES[code] for code in (4, 30, 31)} == {"canceled"}


@pytest.mark.parametrize("section", ["triggers", "conditions"])
def test_editor_options_are_the_outcomes(section: str) -> None:
    options = [
        spec["fields"]["outcome"]["selector"]["select"]["options"]
        for key, spec in load_yaml_dict(ROOT / f"{section}.yaml").items()
        if not key.startswith(".") and "fields" in spec
    ]
    assert options
    assert all(tuple(found) == OUTCOMES for found in options)


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_outcome_has_one_label(language: str) -> None:
    """The editor's label of an outcome is the event entity's label of it."""
    labels, events = _labels(language), _event_labels(language)
    assert tuple(labels) == OUTCOMES
    assert tuple(events) == EVENT_TYPES
    assert len(set(labels.values())) == len(labels)
    for outcome, label in labels.items():
        assert events[outcome] == label, outcome
    # The end of an answered call reads apart from every outcome.
    assert events[EVENT_ENDED] not in labels.values()
    # A call-status state named like an outcome reads like it.
    states = _strings(language)["entity"]["sensor"]["call_status"]["state"]
    for outcome in set(states) & set(labels):
        assert states[outcome] == labels[outcome], outcome


@pytest.mark.parametrize("language", LANGUAGES)
async def test_logbook_says_the_label(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, language: str
) -> None:
    """The Activity panel's line of a call ends in its outcome's label."""
    hass.config.language = language
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    for outcome, label in _labels(language).items():
        line = describe(hass, {"contact": "Mum", "outcome": outcome, "duration": 4})
        message = line["message"]
        assert message.split(",")[0] == label[0].lower() + label[1:], outcome


def test_spoken_outcomes_cover_every_outcome() -> None:
    """Assist says something of every outcome a waiting call can end with."""
    assert set(OUTCOME_TEXT) == set(OUTCOMES)
    voice = load_yaml_dict(
        BLUEPRINTS / "automation/connectcall/voice_call_contact.yaml"
    )
    answers = next(
        step["variables"]
        for step in voice["actions"]
        if "english" in step.get("variables", {})
    )
    for table in ("english", "nederlands"):
        assert set(answers[table]) >= {*OUTCOMES, OUTCOME_ERROR}, table


def test_users_read_every_dial_outcome() -> None:
    """The README's response section and the doorbell blueprint (whose
    "When nobody answers" gets every outcome but answered) name them all."""
    readme = (REPO / "README.md").read_text()
    response = readme.split("#### Response")[1].split("####")[0]
    doorbell = (BLUEPRINTS / "automation/connectcall/doorbell_call.yaml").read_text()
    for outcome in DIAL_OUTCOMES:
        assert re.search(rf"`(outcome: )?{outcome}`", response), outcome
        if outcome != OUTCOME_ANSWERED:
            assert re.search(rf"\b{outcome}\b", doorbell), outcome
    assert not re.search(r"\bended\b", doorbell)


def test_one_ring_time_everywhere() -> None:
    """Lists, both blueprints, every README example and the options' text
    give the same ring time."""
    seconds = int(DEFAULT_LIST_RING)
    for blueprint in ("doorbell_call.yaml", "voice_call_contact.yaml"):
        spec = load_yaml_dict(BLUEPRINTS / "automation/connectcall" / blueprint)
        inputs = spec["blueprint"]["input"]
        assert inputs["ring_timeout"]["default"] == seconds, blueprint
    readme = (REPO / "README.md").read_text()
    assert set(re.findall(r"ring_timeout: (\d+)", readme)) == {str(seconds)}
    assert f"**{seconds} s** per number" in readme
    for language in LANGUAGES:
        text = _strings(language)["options"]["step"]["init"]["data_description"]
        assert f" {seconds} s" in text["ring_timeout"], language
