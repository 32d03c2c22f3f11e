"""Hostile input: nothing reaches the API unless valid, and valid input
reaches it intact."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.connectcall.api import InvalidNumberError, normalize_number
from custom_components.connectcall.const import DOMAIN

from .helpers import SOURCE, RunningSimulator

HOSTILE = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "06&dest=0900",
            "06=1",
            "06#1",
            "061234\n5678",
            "٠٦١٢٣٤٥٦٧٨",
            "\uff10\uff16\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18",  # fullwidth
            "0" * 100_000,
            "+31 (0)6-1234.5678",
            "0612345678 ",
        ]
    ),
    st.from_regex(r"\+?[0-9 ().-]{3,30}", fullmatch=True),
)
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _valid(value: str) -> str | None:
    try:
        return normalize_number(value)
    except InvalidNumberError:
        return None


@pytest.mark.usefixtures("init_integration")
@FUZZ
@given(destination=HOSTILE, source=st.one_of(st.none(), HOSTILE))
async def test_dial_hostile_numbers(
    hass: HomeAssistant,
    ha_sim: RunningSimulator,
    destination: str,
    source: str | None,
) -> None:
    data: dict[str, Any] = {"destination": destination}
    if source is not None:
        data["source"] = source
    before = ha_sim.server.count()
    want_dest = _valid(destination)
    want_source = SOURCE if source is None else _valid(source)
    if want_dest is None or want_source is None:
        with pytest.raises(ServiceValidationError):
            await hass.services.async_call(DOMAIN, "dial", data, blocking=True)
        assert ha_sim.server.count() == before  # nothing sent
        return
    await hass.services.async_call(DOMAIN, "dial", data, blocking=True)
    call = ha_sim.server.calls[-1]
    assert (call.destination, call.source) == (want_dest, want_source)


@pytest.mark.usefixtures("init_integration")
@FUZZ
@given(
    field=st.sampled_from(
        ["ring_timeout", "max_duration", "retry_busy", "retry_delay", "wait", "mode"]
    ),
    value=st.one_of(
        st.integers(-(10**9), 10**9),
        st.floats(allow_nan=True),
        st.text(max_size=10),
        st.booleans(),
        st.none(),
        st.lists(st.integers(), max_size=2),
    ),
)
async def test_dial_hostile_options(
    hass: HomeAssistant, ha_sim: RunningSimulator, field: str, value: object
) -> None:
    """Every field: a valid value dials, anything else is a translated error."""
    before = ha_sim.server.count()
    try:
        await hass.services.async_call(
            DOMAIN, "dial", {"destination": "0612345678", field: value}, blocking=True
        )
    except ServiceValidationError as err:
        assert err.translation_domain == DOMAIN  # noqa: PT017
        assert ha_sim.server.count() == before
    else:
        assert ha_sim.server.count() > before


@FUZZ
@given(
    password=st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=30),
    url_junk=st.sampled_from(["", " ", "ftp://x/", "javascript:alert(1)", "http://"]),
    source=HOSTILE,
)
async def test_config_flow_hostile(
    hass: HomeAssistant,
    ha_sim: RunningSimulator,
    password: str,
    url_junk: str,
    source: str,
) -> None:
    """Any password reaches the server intact; bad URLs and numbers never leave."""
    ha_sim.server.accounts = {"fuzz": password}
    url = ha_sim.url if url_junk in ("", " ") else url_junk
    before = ha_sim.server.count()
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "username": "fuzz",
            "password": password,
            "url": url_junk + url if url_junk == " " else url,
            "source": source,
        },
    )
    if url != ha_sim.url:
        assert result["errors"] == {"url": "invalid_url"}
    elif _valid(source) is None:
        assert result["errors"] == {"source": "invalid_number"}
    else:
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["data"]["password"] == password
        for entry in hass.config_entries.async_entries(DOMAIN):
            await hass.config_entries.async_remove(entry.entry_id)
        return
    assert ha_sim.server.count() == before
    hass.config_entries.flow.async_abort(result["flow_id"])


@pytest.mark.usefixtures("init_integration")
async def test_huge_destination_list_refused(
    hass: HomeAssistant, ha_sim: RunningSimulator
) -> None:
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            DOMAIN, "dial", {"destination": ["0612345678"] * 10_000}, blocking=True
        )
    assert ha_sim.server.count() == 1
