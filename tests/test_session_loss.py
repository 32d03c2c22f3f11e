"""Session loss (CONTRIBUTING.md, call safety): a lost session is confirmed, not
assumed, so a placed call is never forgotten; a dead session is closed the
safe way and never blocks dials until a reload."""

from __future__ import annotations

from collections.abc import Mapping

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.connectcall.const import DOMAIN
from simulator.core import HTTP_500, command_of

from .helpers import (
    DEST,
    B,
    C,
    RunningSimulator,
    active,
    answer_next,
    assert_dials_go_on,
    assert_quiet,
    call_status,
    calls_placed,
    commands,
    dial,
    dial_scenario,
    fails,
    hang_up,
    hung_up_at_server,
    one_call_over,
    run,
    since,
    tick,
)


def outage_until_login(sim: RunningSimulator) -> None:
    """Every request gets an HTTP 500 page (an overloaded server), acting on
    nothing, until the first ``login`` arrives: that one is served."""
    server = sim.server
    answer = server.answer

    def patched(query: Mapping[str, str]) -> tuple[int, str]:
        if command_of(query) == "login":
            server.answer = answer  # type: ignore[method-assign]
            return answer(query)
        return HTTP_500, "Internal Server Error"

    server.answer = patched  # type: ignore[method-assign]


# A lost code is confirmed before the session is taken as lost.


@pytest.mark.usefixtures("freezer", "init_integration")
async def test_connect_refused_by_live_session_no_login(
    hass: HomeAssistant, ha_sim: RunningSimulator
) -> None:
    """104 to connect from a session that getStatus shows alive: a refusal
    (here, a number format the server wants otherwise), not a lost session."""
    await one_call_over(hass)
    guid = next(iter(ha_sim.server.sessions))
    ha_sim.server.behaviour.refuse_number = r"\+.*"
    start = ha_sim.server.count()
    with pytest.raises(HomeAssistantError) as err:
        await dial(hass, destination="+31687654321")
    assert err.value.translation_key == "command_failed"
    assert err.value.translation_placeholders == {"code": "104"}
    assert since(ha_sim, start) == ["connect", "getStatus"]
    assert list(ha_sim.server.sessions) == [guid]
    assert calls_placed(ha_sim) == ["0612345678"]
    await dial(hass, destination=B)  # the same session goes on
    assert since(ha_sim, start)[2:4] == ["connect", "getStatus"]
    assert list(ha_sim.server.sessions) == [guid]


@pytest.mark.parametrize("code", [101, 102, 104])
async def test_one_lost_code_mid_call_is_not_a_loss(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    code: int,
) -> None:
    """A getStatus answered 101/102/104 once: the confirming one answers."""
    await dial(hass)
    answer_next(ha_sim, "getStatus", code)
    await tick(hass, freezer)
    assert [r.code for r in ha_sim.server.requests[-2:]] == [code, 27]
    assert call_status(hass, init_integration) == "source_alerting"
    assert init_integration.runtime_data.keeper.is_open
    await run(hass, freezer, 3)
    assert call_status(hass, init_integration) == "destination_alerting"


@pytest.mark.usefixtures("freezer")
async def test_lost_code_to_connect_unconfirmed_is_a_refusal(
    hass: HomeAssistant, ha_sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """104 to connect, and the confirming getStatus gets no answer: not a
    confirmed loss, so no login; the session is kept."""
    await one_call_over(hass)
    answer_next(ha_sim, "connect", 104)
    ha_sim.sim.add_fault("http_500", command="getStatus")
    start = ha_sim.server.count()
    with pytest.raises(HomeAssistantError) as err:
        await dial(hass, destination=B)
    assert err.value.translation_placeholders == {"code": "104"}
    assert since(ha_sim, start) == ["connect", "getStatus"]
    assert init_integration.runtime_data.keeper.is_open


@pytest.mark.usefixtures("freezer")
async def test_connect_unsent_keeps_session(
    hass: HomeAssistant, ha_sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """No connection at all: nothing can have been placed, nothing to check."""
    await one_call_over(hass)
    client = init_integration.runtime_data.keeper.client
    endpoint, client._endpoint = client._endpoint, "http://127.0.0.1:9/x"
    with pytest.raises(HomeAssistantError) as err:
        await dial(hass, destination=B)
    assert err.value.translation_key == "cannot_connect"
    client._endpoint = endpoint
    assert init_integration.runtime_data.keeper.is_open
    await dial(hass, destination=B)
    assert commands(ha_sim)[-2:] == ["connect", "getStatus"]


async def test_hang_up_on_a_lost_session(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """hangUp answered 101 and getStatus confirms: no session, no call left."""
    await dial(hass)
    ha_sim.server.expire_sessions()
    start = ha_sim.server.count()
    await hang_up(hass)
    assert since(ha_sim, start) == ["hangUp", "getStatus"]
    assert not init_integration.runtime_data.keeper.is_open
    assert call_status(hass, init_integration) == "hung_up"
    await assert_quiet(hass, freezer, ha_sim, 3)


@pytest.mark.parametrize("codes", [(100,), (101, 103)])
async def test_odd_answers_to_a_poll_are_failures(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    codes: tuple[int, ...],
) -> None:
    """A command code to getStatus (not 101/102/104 twice) is a failed poll,
    not a loss: unavailable for one poll, then followed on."""
    await dial(hass)
    answer_next(ha_sim, "getStatus", *codes)
    await tick(hass, freezer)
    assert call_status(hass, init_integration) == "unavailable"
    await tick(hass, freezer)
    assert call_status(hass, init_integration) == "source_alerting"
    assert init_integration.runtime_data.keeper.is_open


@pytest.mark.usefixtures("freezer")
async def test_uncertain_connect_status_answers_a_command_code(
    hass: HomeAssistant, ha_sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """The checking getStatus answers 100: the session answers, so it lives."""
    await one_call_over(hass)
    ha_sim.sim.add_fault("drop_after", command="connect")
    answer_next(ha_sim, "getStatus", 100)
    await dial(hass, destination=B)
    assert calls_placed(ha_sim) == ["0612345678", B]
    assert init_integration.runtime_data.keeper.is_open


@pytest.mark.usefixtures("freezer")
async def test_uncertain_connect_in_a_lost_session_is_not_retried(
    hass: HomeAssistant, ha_sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """connect unanswered, getStatus says the session is gone: no login in
    the same dial (the connect may have rung); the next dial logs in."""
    await one_call_over(hass)
    ha_sim.sim.add_fault("drop", command="connect")
    ha_sim.server.expire_sessions()
    start = ha_sim.server.count()
    with pytest.raises(HomeAssistantError) as err:
        await dial(hass, destination=B)
    assert err.value.translation_key == "call_uncertain"
    # The loss confirmed by a second getStatus; closed the safe way.
    assert since(ha_sim, start) == [
        "connect",
        "getStatus",
        "getStatus",
        "hangUp",
        "end",
    ]
    assert not init_integration.runtime_data.keeper.is_open
    await dial(hass, destination=B)
    assert since(ha_sim, start)[5:] == ["login", "getStatus"]


async def test_uncertain_connect_then_one_lost_code_keeps_the_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """connect is acted on but its answer dropped; the checking getStatus
    answers 104 once (the same transient answer a live call's poll survives
    in test_one_lost_code_mid_call_is_not_a_loss). One lost code is not a
    confirmed loss: a second getStatus shows the session alive, and the call
    is followed."""
    await one_call_over(hass)
    start = ha_sim.server.count()
    ha_sim.sim.add_fault("drop_after", command="connect")
    answer_next(ha_sim, "getStatus", 104)
    await dial(hass, destination=B)
    assert since(ha_sim, start)[:3] == ["connect", "getStatus", "getStatus"]
    assert calls_placed(ha_sim) == [DEST, B]
    await hang_up(hass)  # the user tries to stop it
    await tick(hass, freezer)
    assert not active(ha_sim), (
        "call B placed by connect rings on; the integration forgot its GUID "
        f"(session_open={init_integration.runtime_data.keeper.is_open}), "
        f"requests after connect: {since(ha_sim, start)[1:]}"
    )


async def test_uncertain_connect_then_network_blip_keeps_the_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """connect acted on, then the connection drops for every request that
    follows it (getStatus, hangUp, end, each also re-sent), on a server
    whose `end` leaves a call up (the page does not say). Nothing reached
    the server, so the GUID is kept and the call followed as placed."""
    ha_sim.server.behaviour.end_hangs_up = False
    await one_call_over(hass)
    start = ha_sim.server.count()
    ha_sim.sim.add_fault("drop_after", command="connect")
    # Twice each: aiohttp re-sends these GETs once after a drop.
    for command in ("getStatus", "hangUp", "end"):
        ha_sim.sim.add_fault("drop", 2, command=command)
    await dial(hass, destination=B)
    assert since(ha_sim, start)[:7] == ["connect"] + [
        c for c in ("getStatus", "hangUp", "end") for _ in range(2)
    ]
    assert init_integration.runtime_data.keeper.is_open
    await hang_up(hass)
    await run(hass, freezer, 3)
    assert not active(ha_sim), "call B rings on: GUID forgotten, no hangUp arrived"


async def test_500_status_right_after_connect_keeps_following(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    await one_call_over(hass)
    ha_sim.sim.add_fault("http_500", 2, command="getStatus")
    await dial(hass, destination=B)
    await run(hass, freezer, 4)
    assert call_status(hass, init_integration) == "destination_alerting"
    assert calls_placed(ha_sim) == [DEST, B]
    await hang_up(hass)
    assert ha_sim.server.active_call() is None


@pytest.mark.usefixtures("init_integration")
async def test_session_expiring_between_hang_up_and_connect_logs_in_once(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ha_sim: RunningSimulator
) -> None:
    await dial(hass)
    await tick(hass, freezer)
    server = ha_sim.server
    answer = server.answer

    def expire_after_hang_up(query: Mapping[str, str]) -> tuple[int, str]:
        reply = answer(query)
        if command_of(query) == "hangUp":
            server.answer = answer  # type: ignore[method-assign]
            server.expire_sessions()
        return reply

    server.answer = expire_after_hang_up  # type: ignore[method-assign]
    start = server.count()
    await dial(hass, destination=B)
    expected = ["hangUp", "connect", "getStatus", "login", "getStatus"]
    assert since(ha_sim, start) == expected
    assert calls_placed(ha_sim) == [DEST, B]
    assert hung_up_at_server(ha_sim, 0)
    await hang_up(hass)
    assert server.active_call() is None


# Dead sessions: closed the safe way, never stuck until a reload.


async def test_dead_guid_answering_http_500_is_closed_and_dials_go_on(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The server restarts mid-call and answers the stale GUID with HTTP 500
    pages (the simulator's own expired_guid_http_500). The call is given up
    after 5 min; a later hangUp gets a 500 and so does getStatus: the
    session is closed the safe way, and end_session and dials go on."""
    await dial(hass)
    await tick(hass, freezer)
    ha_sim.server.behaviour.expired_guid_http_500 = True
    ha_sim.server.expire_sessions()
    for _ in range(31):
        await tick(hass, freezer, 10)
    assert call_status(hass, init_integration) == "status_unknown"  # given up
    await hass.services.async_call(DOMAIN, "end_session", blocking=True)
    assert not init_integration.runtime_data.keeper.is_open
    await assert_dials_go_on(hass, ha_sim)


async def test_live_call_given_up_in_an_overload_is_not_forgotten(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A is talking; the server answers HTTP 500 to everything for 5+ min (an
    overload, not a dead GUID): A is given up. The next dial's hangUp and
    getStatus get 500, so Line.end_current_locked closes the session "the safe way"
    (hangUp 500, end 500: nothing acted on) and forgets A's GUID. The server
    recovers as the login arrives: B rings while A talks on, lost."""
    await dial_scenario(hass, ha_sim, "answered_long")
    await tick(hass, freezer)
    outage_until_login(ha_sim)
    for _ in range(31):
        await tick(hass, freezer, 10)
    assert call_status(hass, init_integration) == "status_unknown"  # given up
    start = ha_sim.server.count()
    await dial(hass, destination=B)
    # The GUID's error pages are checked against a login that places nothing:
    # the server answers it, so the GUID is dead and is closed with hangUp.
    assert since(ha_sim, start)[:3] == ["hangUp", "getStatus", "getStatus"]
    await hang_up(hass)
    await tick(hass, freezer)
    assert not active(ha_sim, 0), (
        f"A talks on with its GUID forgotten; server saw {since(ha_sim, start)}"
    )


async def test_kept_session_then_500_for_the_guid_unblocks_within_give_up(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """connect acted on, nothing after it reached the server: the session is
    kept and B followed. The server restarts and answers the GUID with 500
    pages: dials fail while B is followed, then (given up after 5 min) the
    next dial closes the session and logs in. Bounded, not stuck."""
    await one_call_over(hass)
    ha_sim.sim.add_fault("drop_after", command="connect")
    for command in ("getStatus", "hangUp", "end"):
        ha_sim.sim.add_fault("drop", 2, command=command)
    await dial(hass, destination=B)
    assert init_integration.runtime_data.keeper.is_open
    ha_sim.server.behaviour.expired_guid_http_500 = True
    ha_sim.server.expire_sessions()
    assert await fails(dial(hass, destination=C)) == "cannot_connect"
    for _ in range(31):
        await tick(hass, freezer, 10)
    assert call_status(hass, init_integration) == "status_unknown"
    await assert_dials_go_on(hass, ha_sim)


@pytest.mark.usefixtures("freezer", "init_integration")
async def test_kept_session_then_104_for_the_guid_logs_in(
    hass: HomeAssistant, ha_sim: RunningSimulator
) -> None:
    """As above, the server then answers the GUID 104: the next dial's
    hangUp (104) plus one getStatus (104) confirm the loss, one login."""
    await one_call_over(hass)
    ha_sim.sim.add_fault("drop_after", command="connect")
    for command in ("getStatus", "hangUp", "end"):
        ha_sim.sim.add_fault("drop", 2, command=command)
    await dial(hass, destination=B)
    ha_sim.server.behaviour.expired_guid_code = 104
    ha_sim.server.expire_sessions()
    start = ha_sim.server.count()
    await dial(hass, destination=C)
    assert since(ha_sim, start)[:4] == ["hangUp", "getStatus", "login", "getStatus"]
    assert calls_placed(ha_sim) == [DEST, B, C]


async def test_session_lost_mid_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    await dial(hass)
    ha_sim.server.expire_sessions()
    await tick(hass, freezer)
    assert call_status(hass, init_integration) == "status_unknown"
    await assert_quiet(hass, freezer, ha_sim, 1)
    await dial(hass)
    assert commands(ha_sim)[-3:] == ["getStatus", "login", "getStatus"]
