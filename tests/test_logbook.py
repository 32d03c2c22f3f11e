"""The Activity panel: one translated line per finished call."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.logbook.const import DOMAIN as LOGBOOK_DOMAIN
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.connectcall.const import DOMAIN, EVENT_CALL_ENDED
from custom_components.connectcall.logbook import describe as describe_line, talk_time

from .helpers import DEST, MUM, RunningSimulator, add_contact, dial, entity_id_of, run


@pytest.fixture(autouse=True)
def _custom_integrations(recorder_mock: Any, enable_custom_integrations: None) -> None:
    """The recorder (the logbook's store) before Home Assistant starts."""


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (0.4, "0 s"),
        (45, "45 s"),
        (60, "1 min"),
        (124, "2 min 4 s"),
        (3600, "1 h"),
        (3725.6, "1 h 2 min 6 s"),
    ],
)
def test_talk_time(seconds: float, text: str) -> None:
    assert talk_time(seconds) == text


def describe(hass: HomeAssistant, **data: Any) -> str:
    """The line the logbook shows for a call-ended event with ``data``."""
    domain, describe_event = hass.data[LOGBOOK_DOMAIN].external_events[EVENT_CALL_ENDED]
    assert domain == DOMAIN
    entry = describe_event(Event(EVENT_CALL_ENDED, data))
    return f"{entry['name']} {entry['message']}"


async def setup_logbook(hass: HomeAssistant) -> None:
    # The test venv has no frontend build; the logbook only registers a panel.
    hass.config.components.add("frontend")
    assert await async_setup_component(hass, LOGBOOK_DOMAIN, {})
    await hass.async_block_till_done()


@pytest.fixture
async def logbook(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> MockConfigEntry:
    await setup_logbook(hass)
    return init_integration


@pytest.mark.usefixtures("logbook")
@pytest.mark.parametrize(
    ("data", "line"),
    [
        (
            {
                "contact": "Mum",
                "destination": MUM,
                "outcome": "answered",
                "duration": 124,
            },
            "Call to Mum answered, talked 2 min 4 s",
        ),
        (
            {"contact": None, "destination": "0612345678", "outcome": "busy"},
            "Call to 0612345678 busy",
        ),
        (
            {"contact": None, "destination": "0612345678", "outcome": "no_answer"},
            "Call to 0612345678 not answered",
        ),
        (
            {"contact": "Mum", "destination": MUM, "outcome": "rejected"},
            "Call to Mum rejected",
        ),
        (
            {"contact": "Mum", "destination": MUM, "outcome": "canceled"},
            "Call to Mum hung up before it was answered",
        ),
        (
            {"contact": "Mum", "destination": MUM, "outcome": "failed"},
            "Call to Mum failed",
        ),
        # Whatever a later version or a hand-fired event holds: still a line.
        ({"destination": None, "outcome": "teleported"}, "Call to ? failed"),
    ],
)
async def test_lines_in_english(
    hass: HomeAssistant, data: dict[str, Any], line: str
) -> None:
    assert describe(hass, **data) == line


async def test_lines_in_dutch(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    hass.config.language = "nl"
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await setup_logbook(hass)
    assert (
        describe(hass, contact="Mum", outcome="answered", duration=124)
        == "Oproep naar Mum opgenomen, 2 min 4 s gesproken"
    )
    assert (
        describe(hass, contact=None, destination="0612345678", outcome="busy")
        == "Oproep naar 0612345678 in gesprek"
    )


async def test_the_logbook_shows_each_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    logbook: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Through the recorder and the logbook's own API: as the Activity panel
    asks for the account's device, and as a logbook card asks for entities."""
    start = dt_util.utcnow()
    await add_contact(hass, logbook, name="Mum", number=MUM)
    ha_sim.server.scenarios["0699999999"] = "busy"
    await dial(hass, destination=MUM)
    await run(hass, freezer, 45)
    await dial(hass, destination="0699999999")
    await run(hass, freezer, 10)
    await async_wait_recording_done(hass)
    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, logbook.entry_id), logbook.entry_id
    )
    assert device is not None
    client = await hass_ws_client(hass)
    for target in (
        {"device_ids": [device.id]},
        {"entity_ids": [entity_id_of(hass, logbook, "event", "call")]},
    ):
        await client.send_json_auto_id(
            {
                "type": "logbook/get_events",
                "start_time": start.isoformat(),
                "end_time": dt_util.utcnow().isoformat(),
            }
            | target
        )
        response = await client.receive_json()
        assert response["success"], response
        lines = [
            f"{row['name']} {row['message']}"
            for row in response["result"]
            if row.get("domain") == DOMAIN
        ]
        assert lines == [
            "Call to Mum answered, talked 33 s",
            "Call to 0699999999 busy",
        ], target


@pytest.mark.parametrize(
    "data",
    [
        {"outcome": "answered", "duration": None, "contact": None, "destination": None},
        {"outcome": "call", "contact": "{who} {duration}", "destination": DEST},
        {"outcome": None},
        {"outcome": "answered", "duration": 3725.4, "contact": "Mum"},
    ],
)
@pytest.mark.usefixtures("init_integration")
async def test_logbook_line_survives_odd_events_and_a_language_switch(
    hass: HomeAssistant, data: dict[str, Any]
) -> None:
    """Hand-fired or odd events, and a language set after start-up (its
    texts never loaded): a line, never an exception in the Activity panel."""
    for language in ("en", "de", "nl"):
        hass.config.language = language
        line = describe_line(hass, data)
        assert line["name"]
        assert line["message"]
    hass.config.language = "en"
