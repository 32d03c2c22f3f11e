"""The one place the parts' errors become Home Assistant's (errors.py).

Each boundary (an action, the setup, a poll, a list nobody waits for, a
flow's form) gets its own translated error from the same table; a refused
login starts reauth wherever it is met.
"""

from __future__ import annotations

from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    HomeAssistantError,
    ServiceValidationError,
)
from homeassistant.helpers.update_coordinator import UpdateFailed
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.connectcall.api import (
    ConnectCallAuthenticationError,
    ConnectCallCommandError,
    ConnectCallConnectionError,
    ConnectCallError,
    ConnectCallHTTPError,
    ConnectCallResponseError,
)
from custom_components.connectcall.const import DOMAIN
from custom_components.connectcall.errors import (
    action_errors,
    background_error,
    flow_error,
    input_errors,
    poll_error,
    setup_errors,
)
from custom_components.connectcall.line import LineClosedError
from custom_components.connectcall.plans import InvalidPlanError
from custom_components.connectcall.session import CallMayBePlacedError

ERRORS: list[tuple[ConnectCallError, str, str]] = [
    # (the part's error, the action's translation key, the flow's form error)
    (ConnectCallAuthenticationError("no"), "auth_failed", "invalid_auth"),
    (CallMayBePlacedError("no answer"), "call_uncertain", "cannot_connect"),
    (LineClosedError("unloaded"), "unloaded", "cannot_connect"),
    (ConnectCallCommandError(104), "command_failed", "cannot_connect"),
    (ConnectCallResponseError("garbage"), "invalid_response", "cannot_connect"),
    (ConnectCallHTTPError(500), "cannot_connect", "cannot_connect"),
    (ConnectCallConnectionError("down"), "cannot_connect", "cannot_connect"),
]


def reauth_flows(hass: HomeAssistant) -> list[object]:
    return [
        flow
        for flow in hass.config_entries.flow.async_progress()
        if flow["context"]["source"] == SOURCE_REAUTH
    ]


@pytest.mark.parametrize(("err", "key", "form"), ERRORS)
async def test_an_action_gets_the_translated_error(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    err: ConnectCallError,
    key: str,
    form: str,
) -> None:
    entry = mock_config_entry
    entry.add_to_hass(hass)
    with pytest.raises(HomeAssistantError) as raised, action_errors(hass, entry):
        raise err
    assert (raised.value.translation_domain, raised.value.translation_key) == (
        DOMAIN,
        key,
    )
    assert raised.value.__cause__ is err
    if isinstance(err, ConnectCallCommandError):
        # The server's code is shown: the user can look it up.
        assert raised.value.translation_placeholders == {"code": "104"}
    await hass.async_block_till_done()
    assert len(reauth_flows(hass)) == (key == "auth_failed")


@pytest.mark.parametrize(("err", "key", "form"), ERRORS)
def test_a_flow_gets_its_form_error(err: ConnectCallError, key: str, form: str) -> None:
    assert flow_error(err) == form


def test_an_unexpected_error_in_a_flow_is_unknown() -> None:
    assert flow_error(ValueError("bug")) == "unknown"


async def test_a_refused_login_in_the_background_starts_reauth(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    entry = mock_config_entry
    entry.add_to_hass(hass)
    background_error(hass, entry, ConnectCallConnectionError("down"))
    await hass.async_block_till_done()
    assert reauth_flows(hass) == []
    background_error(hass, entry, ConnectCallAuthenticationError("no"))
    await hass.async_block_till_done()
    assert len(reauth_flows(hass)) == 1


@pytest.mark.parametrize(
    ("err", "raised", "key"),
    [
        (ConnectCallAuthenticationError("no"), ConfigEntryAuthFailed, "auth_failed"),
        (ConnectCallResponseError("garbage"), UpdateFailed, "invalid_response"),
        # Anything else is "could not reach": the setup is retried.
        (ConnectCallCommandError(104), UpdateFailed, "cannot_connect"),
        (ConnectCallConnectionError("down"), UpdateFailed, "cannot_connect"),
    ],
)
def test_the_setup_retries_or_asks_for_the_password(
    err: ConnectCallError, raised: type[HomeAssistantError], key: str
) -> None:
    with pytest.raises(raised) as caught, setup_errors():
        raise err
    assert caught.value.translation_key == key


def test_a_failed_poll_is_the_entities_update_error() -> None:
    cause = ConnectCallConnectionError("down")
    failed = poll_error(cause)
    assert failed.translation_key == "update_failed"
    assert failed.__cause__ is cause


def test_refused_input_is_the_action_s_translated_validation_error() -> None:
    """The plans refuse input with their own error; the action shows it as
    Home Assistant's validation error, in the user's language."""
    with pytest.raises(ServiceValidationError) as raised, input_errors():
        raise InvalidPlanError(
            "invalid_range", field="ring_timeout", min="5", max="300"
        )
    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == "invalid_range"
    assert raised.value.translation_placeholders == {
        "field": "ring_timeout",
        "min": "5",
        "max": "300",
    }
    assert raised.value.__cause__ is None
