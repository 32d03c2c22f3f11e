"""`dial` with `respond_on_error`: a failure becomes an outcome with a reason.

What a doorbell needs so that someone learns that someone rang even when the
call could not be placed. Input errors still fail the action.
"""

from __future__ import annotations

from collections.abc import Iterator

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .helpers import DEST, RunningSimulator, commands, dial

pytestmark = pytest.mark.usefixtures("init_integration")


@pytest.fixture
def server_down(init_integration: MockConfigEntry) -> Iterator[None]:
    """Nothing listens where the API is (a closed port on 127.0.0.1)."""
    client = init_integration.runtime_data.keeper.client
    endpoint, client._endpoint = client._endpoint, "http://127.0.0.1:9/x"
    yield
    client._endpoint = endpoint


@pytest.mark.usefixtures("server_down")
async def test_unreachable_server_answers_error_with_the_reason(
    hass: HomeAssistant,
) -> None:
    response = await dial(hass, respond_on_error=True, wait=True)
    assert response["outcome"] == "error"
    assert response["error_key"] == "cannot_connect"
    assert response["error"].startswith("Could not reach")
    assert response["attempts"] == [{"destination": DEST, "outcome": "error"}]
    assert response["skipped"] is False
    assert response["status"] == "idle"


@pytest.mark.usefixtures("server_down")
async def test_without_the_flag_the_action_fails(hass: HomeAssistant) -> None:
    with pytest.raises(HomeAssistantError) as err:
        await dial(hass, wait=True)
    assert err.value.translation_key == "cannot_connect"


async def test_a_dropped_login_answer_is_an_uncertain_call_placed_once(
    hass: HomeAssistant, ha_sim: RunningSimulator
) -> None:
    ha_sim.sim.add_fault("drop_after", command="login")
    response = await dial(hass, respond_on_error=True)
    assert response["outcome"] == "error"
    assert response["error_key"] == "call_uncertain"
    assert "may have placed the call" in response["error"]
    # The reason is a sentence for people: no number, no secret in it.
    assert DEST not in response["error"]
    assert commands(ha_sim) == ["login", "login"]  # the probe, the one dial
    assert [c.destination for c in ha_sim.server.calls] == [DEST]


async def test_input_errors_still_fail_and_send_nothing(
    hass: HomeAssistant, ha_sim: RunningSimulator
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await dial(hass, destination="front door", respond_on_error=True)
    assert err.value.translation_key == "invalid_number"
    assert commands(ha_sim) == ["login"]


@pytest.mark.parametrize("field", ["keep_active_call", "respond_on_error"])
@pytest.mark.parametrize("value", ["yes", 1, None])
async def test_the_flags_take_booleans_only(
    hass: HomeAssistant, ha_sim: RunningSimulator, field: str, value: object
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await dial(hass, **{field: value})
    assert err.value.translation_key == "invalid_flag"
    assert field in str(err.value)
    assert commands(ha_sim) == ["login"]


@pytest.mark.usefixtures("server_down")
async def test_the_reason_is_in_home_assistants_language(hass: HomeAssistant) -> None:
    """A notification reads the reason: Dutch for a Dutch Home Assistant."""
    hass.config.language = "nl"
    response = await dial(hass, respond_on_error=True)
    assert response["error"] == "De Connect Call API is niet bereikbaar."
