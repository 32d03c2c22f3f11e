"""The API client against the simulator, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import logging

from aiohttp import ClientSession, web
import pytest

from custom_components.connectcall.api import (
    CallStatus,
    ConnectCallAuthenticationError,
    ConnectCallClient,
    ConnectCallCommandError,
    ConnectCallConnectionError,
    ConnectCallError,
    ConnectCallResponseError,
    InvalidNumberError,
    InvalidURLError,
    Session,
    normalize_number,
    normalize_url,
    parse_reply,
)
from custom_components.connectcall.codes import CallMode, ResponseCode, StatusCode

from .helpers import PASSWORD, USERNAME, FakeClock, RunningSimulator, serve

SRC, DST = "0201234567", "0612345678"


async def status_of(client: ConnectCallClient, session: Session) -> CallStatus:
    """A getStatus that must answer a status (not 105, unchanged)."""
    status = await client.get_status(session)
    assert status is not None
    return status


async def test_whole_session(
    client: ConnectCallClient, simulator: RunningSimulator, clock: FakeClock
) -> None:
    """Login places a call; its timeline plays; connect, hangUp, end."""
    session = await client.login(DST, SRC, CallMode.SOURCE_FIRST)
    assert simulator.server.calls[-1].destination == DST
    assert simulator.server.calls[-1].mode == 1
    seen = []
    for _ in range(45):
        status = await status_of(client, session)
        seen.append(status.code)
        clock.advance(1)
    assert seen[0] == StatusCode.SOURCE_ALERTING
    assert {28, 26, 29, 9} <= set(seen)
    assert seen[-1] == StatusCode.DESTINATION_ENDED
    assert status.is_final
    assert status.message == "Destination number ended the call"

    await client.connect(session, "+31 6 1234-5678", SRC, CallMode.SIMULTANEOUS)
    call = simulator.server.calls[-1]
    assert (call.destination, call.mode) == ("+31612345678", 2)
    status = await status_of(client, session)
    assert not status.is_final
    await client.hang_up(session)
    status = await status_of(client, session)
    assert status.code == StatusCode.HANG_UP
    assert status.is_final
    await client.end(session)
    with pytest.raises(ConnectCallCommandError) as err:
        await client.get_status(session)
    assert err.value.code == ResponseCode.FAILED
    assert client.request_count == simulator.server.count()


@pytest.mark.usefixtures("simulator")
async def test_answered_flag(client: ConnectCallClient, clock: FakeClock) -> None:
    session = await client.login(DST, SRC, CallMode.SOURCE_FIRST)
    clock.advance(8)
    status = await status_of(client, session)
    assert status.code == 29
    assert status.is_answered
    assert not status.is_final


@pytest.mark.parametrize(
    "password",
    [PASSWORD, "a&login=evil", "x=y", "#frag", "100%", "a+b c", "ünï©ødé", "a\nb"],
)
async def test_a_password_with_url_characters_reaches_the_server_intact(
    simulator: RunningSimulator, http: ClientSession, password: str
) -> None:
    simulator.server.accounts = {USERNAME: password}
    client = ConnectCallClient(http, USERNAME, password, simulator.url)
    assert await client.probe() is None
    wrong = ConnectCallClient(http, USERNAME, password + "x", simulator.url)
    with pytest.raises(ConnectCallAuthenticationError):
        await wrong.probe()


async def test_probe_variants(
    client: ConnectCallClient, simulator: RunningSimulator, http: ClientSession
) -> None:
    assert await client.probe() is None
    assert simulator.server.calls == []
    bad = ConnectCallClient(http, USERNAME, "wrong", simulator.url)
    with pytest.raises(ConnectCallAuthenticationError):
        await bad.probe()
    with pytest.raises(ConnectCallAuthenticationError):
        await bad.login(DST, SRC, CallMode.SOURCE_FIRST)

    # A server that checks parameters first answers 104 even to a wrong password.
    simulator.server.behaviour.probe = "wrong_parameters"
    assert await bad.probe() is None

    # A server that opens a session anyway: the caller gets it to close it.
    simulator.server.behaviour.probe = "login"
    session = await client.probe()
    assert isinstance(session, Session)
    await client.hang_up(session)
    await client.end(session)
    assert simulator.server.sessions == {}


async def test_probe_unexpected_code(
    client: ConnectCallClient, simulator: RunningSimulator
) -> None:
    simulator.server.accounts = {}
    simulator.server.behaviour.probe = "check_password"
    # No such account -> 102; a 101 from a broken server is a command error.
    with pytest.raises(ConnectCallAuthenticationError):
        await client.probe()
    simulator.sim.format.uppercase = True
    simulator.sim.forced = (101, "Failed")
    with pytest.raises(ConnectCallCommandError) as err:
        await client.probe()
    assert err.value.code == 101


async def test_login_errors(
    client: ConnectCallClient, simulator: RunningSimulator
) -> None:
    simulator.sim.forced = (104, "WrongParameters")
    with pytest.raises(ConnectCallCommandError) as err:
        await client.login(DST, SRC, CallMode.SOURCE_FIRST)
    assert err.value.code == 104
    simulator.sim.forced = (27, "Source is alerting")
    with pytest.raises(ConnectCallResponseError):
        await client.login(DST, SRC, CallMode.SOURCE_FIRST)
    # 103 without a GUID: a call may ring that nothing can follow.
    simulator.sim.forced = (103, "")
    with pytest.raises(ConnectCallResponseError):
        await client.login(DST, SRC, CallMode.SOURCE_FIRST)


@pytest.mark.parametrize("code", [101, 102, 104])
async def test_expired_session_each_plausible_code(
    client: ConnectCallClient, simulator: RunningSimulator, clock: FakeClock, code: int
) -> None:
    simulator.server.behaviour.expired_guid_code = code
    simulator.server.behaviour.session_ttl = 60
    session = await client.login(DST, SRC, CallMode.SOURCE_FIRST)
    await client.get_status(session)
    clock.advance(61)
    for command in (
        client.get_status(session),
        client.hang_up(session),
        client.connect(session, DST, SRC, CallMode.SOURCE_FIRST),
        client.end(session),
    ):
        with pytest.raises(ConnectCallCommandError) as err:
            await command
        assert err.value.code == code


async def test_connect_during_call_variants(
    client: ConnectCallClient, simulator: RunningSimulator
) -> None:
    session = await client.login(DST, SRC, CallMode.SOURCE_FIRST)
    simulator.server.behaviour.connect_during_call = 105
    with pytest.raises(ConnectCallCommandError) as err:
        await client.connect(session, DST, SRC, CallMode.SOURCE_FIRST)
    assert err.value.code == 105
    await client.hang_up(session)
    await client.connect(session, DST, SRC, CallMode.SOURCE_FIRST)
    assert len(simulator.server.calls) == 2


@pytest.mark.parametrize("idle_code", [100, 105])
async def test_hang_up_when_idle(
    client: ConnectCallClient, simulator: RunningSimulator, idle_code: int
) -> None:
    simulator.server.behaviour.hangup_when_idle = idle_code
    session = await client.login(DST, SRC, CallMode.SOURCE_FIRST)
    await client.hang_up(session)
    assert simulator.server.active_call() is None
    await client.hang_up(session)  # nothing to hang up: fine either way
    hang_ups = [r.code for r in simulator.server.requests if r.command == "hangUp"]
    assert hang_ups == [100, idle_code]


async def test_command_refused(
    client: ConnectCallClient, simulator: RunningSimulator
) -> None:
    session = await client.login(DST, SRC, CallMode.SOURCE_FIRST)
    simulator.sim.forced = (105, "NoChanges")
    with pytest.raises(ConnectCallCommandError) as err:
        await client.end(session)
    assert err.value.code == 105
    # 105 to getStatus is "unchanged", not a refusal.
    assert await client.get_status(session) is None
    simulator.sim.forced = (100, "OK")
    with pytest.raises(ConnectCallCommandError):
        await client.get_status(session)
    simulator.sim.forced = (103, "x")
    with pytest.raises(ConnectCallCommandError):
        await client.hang_up(session)


async def test_unknown_status_code_survives(
    client: ConnectCallClient, simulator: RunningSimulator, clock: FakeClock
) -> None:
    simulator.server.default_scenario = "odd_code"
    session = await client.login(DST, SRC, CallMode.SOURCE_FIRST)
    clock.advance(3)
    status = await status_of(client, session)
    assert status.code == 42
    assert status.message == "Unknown status"
    assert not status.is_final
    simulator.sim.forced = (9, "")
    assert (await status_of(client, session)).message == "Clients connected"


@pytest.mark.parametrize(
    "fmt",
    [
        {"declaration": True},
        {"bom": True},
        {"content_type": "text/html"},
        {"uppercase": True},
        {"indent": True},
        {"declaration": True, "bom": True, "uppercase": True, "indent": True},
    ],
)
async def test_tolerant_of_xml_bytes(
    client: ConnectCallClient, simulator: RunningSimulator, fmt: dict[str, object]
) -> None:
    for key, value in fmt.items():
        setattr(simulator.sim.format, key, value)
    session = await client.login(DST, SRC, CallMode.SOURCE_FIRST)
    assert (await status_of(client, session)).code == 27


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("http_500", ConnectCallConnectionError),
        ("drop", ConnectCallConnectionError),
        ("slow", ConnectCallConnectionError),
        ("garbage", ConnectCallResponseError),
        ("no_code", ConnectCallResponseError),
        ("doctype", ConnectCallResponseError),
        ("huge", ConnectCallResponseError),
    ],
)
async def test_each_kind_of_bad_answer_raises_its_own_error(
    simulator: RunningSimulator,
    http: ClientSession,
    fault: str,
    error: type[ConnectCallError],
) -> None:
    client = ConnectCallClient(
        http, USERNAME, PASSWORD, simulator.url, request_timeout=0.2
    )
    # aiohttp retries a GET once on a dropped pooled connection: drop both.
    simulator.sim.add_fault(fault, 2)
    with pytest.raises(error) as err:
        await client.probe()
    simulator.sim.faults.clear()
    assert PASSWORD not in str(err.value)
    assert "127.0.0.1" not in str(err.value)
    # Never chained to aiohttp's exception, whose text quotes the URL.
    assert err.value.__cause__ is None
    assert err.value.__context__ is None or err.value.__suppress_context__
    assert await client.probe() is None  # the next request is fine again


async def test_connection_refused(http: ClientSession) -> None:
    client = ConnectCallClient(http, USERNAME, PASSWORD, "http://127.0.0.1:9/api/")
    with pytest.raises(ConnectCallConnectionError) as err:
        await client.probe()
    assert "ClientConnectorError" in str(err.value)


async def test_unknown_fault_rejected(simulator: RunningSimulator) -> None:
    with pytest.raises(ValueError, match="nonsense"):
        simulator.sim.add_fault("nonsense")


async def test_redirect_not_followed(http: ClientSession) -> None:
    """A redirect is an HTTP error: following it would resend the password."""

    async def redirect(_request: web.Request) -> web.Response:
        raise web.HTTPFound("http://example.invalid/")

    app = web.Application()
    app.router.add_get("/api/connectcall.aspx", redirect)
    runner, url = await serve(app)
    try:
        client = ConnectCallClient(http, USERNAME, PASSWORD, url)
        with pytest.raises(ConnectCallConnectionError, match="HTTP status 302"):
            await client.probe()
    finally:
        await runner.cleanup()


def test_parse_reply() -> None:
    assert (
        parse_reply(b"<response><code>100</code><message>OK</message></response>").code
        == 100
    )
    reply = parse_reply(
        b"\xef\xbb\xbf <?xml version='1.0'?><Response><Code> 27 </Code></Response>"
    )
    assert (reply.code, reply.message) == (27, "")
    assert "message" not in repr(
        parse_reply(b"<response><code>103</code><message>g</message></response>")
    )
    for bad in (
        b"",
        b"<response/>",
        b"<other><code>1</code></other>",
        b"<response><code>-1</code></response>",
        b"<response><code>\xd9\xa1</code></response>",  # Arabic-Indic one
        b'<?xml version="1.0" encoding="bogus"?><response><code>1</code></response>',
        b"<!doctype x><response><code>1</code></response>",
    ):
        with pytest.raises(ConnectCallResponseError):
            parse_reply(bad)


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("0612345678", "0612345678"),
        ("+31 (0)6-1234.5678", "+316" + "12345678"),
        ("+31(0)20 123 4567", "+31201234567"),
        ("+1 (0)12 345", "+112345"),
        ("06 (0)12 3456", "06012" + "3456"),
        ("123", "123"),
        ("1" * 20, "1" * 20),
        # The trunk zero written as "(0)" after a country code goes.
        ("+31 (0)6 1234 5678", "+31612345678"),
        ("+31(0)612345678", "+31612345678"),
        ("+44 (0)20 7946 0000", "+442079460000"),
        ("+1 ( 0 ) 555-0100", "+15550100"),
        # A (0) anywhere else: only its brackets go, the zero stays.
        ("020 (0)123 4567", "02001234567"),
        ("(0)20 123 4567", "0201234567"),
        ("+31 20 (0)123 4567", "+312001234567"),
        ("0031 (0)6 1234 5678", "00310612345678"),
        ("+(0)31 6 1234", "+03161234"),
        ("+31 (00)6 1234", "+310061234"),
        # Only the first (0), right after the country code.
        ("+31 (0)6 (0)1234", "+31601234"),
    ],
)
def test_normalize_number(raw: str, number: str) -> None:
    assert normalize_number(raw) == number


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "12",
        "1" * 21,
        "06&dest=1",
        "06=1",
        "06#1",
        "061\n",
        "06\t12345",
        "٠٦١٢٣",
        "++31612",
        "0612+345",
        "abc123",
        "0031 6 12 34 56 7a",
    ],
)
def test_normalize_number_rejects(raw: str) -> None:
    with pytest.raises(InvalidNumberError):
        normalize_number(raw)


@pytest.mark.parametrize(
    ("raw", "url"),
    [
        ("https://portal.business-isp.nl/api/", "https://portal.business-isp.nl/api/"),
        ("HTTPS://Portal.Business-ISP.nl/api", "https://portal.business-isp.nl/api/"),
        ("http://127.0.0.1:8765/api/?x=1#f", "http://127.0.0.1:8765/api/"),
        ("https://[::1]:8443", "https://[::1]:8443/"),
        (" https://h.example/Custom/API ", "https://h.example/Custom/API/"),
    ],
)
def test_normalize_url(raw: str, url: str) -> None:
    assert normalize_url(raw) == url


@pytest.mark.parametrize(
    "raw",
    [
        "ftp://host/",
        "portal.business-isp.nl/api",
        "https://",
        "https://u:p@host/",
        "http://host:99999/",
        "javascript:alert(1)",
        "",
    ],
)
def test_normalize_url_rejects(raw: str) -> None:
    with pytest.raises(InvalidURLError):
        normalize_url(raw)


def test_reprs_hide_secrets(http: ClientSession) -> None:
    assert "abc" not in repr(Session("abc"))
    client = ConnectCallClient(http, USERNAME, PASSWORD)
    assert PASSWORD not in repr(client)
    assert CallMode.SOURCE_FIRST.api_type == 1
    assert CallMode.SIMULTANEOUS.api_type == 2


async def test_no_secret_in_logs_or_errors(
    simulator: RunningSimulator,
    http: ClientSession,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every path at debug level: neither password nor GUID is ever printed."""
    caplog.set_level(logging.DEBUG)
    client = ConnectCallClient(
        http, USERNAME, PASSWORD, simulator.url, request_timeout=0.2
    )
    texts: list[str] = []
    session = await client.login(DST, SRC, CallMode.SOURCE_FIRST)
    guid = session.guid
    texts.append(repr(session))
    for fault in ("http_500", "drop", "slow", "garbage", "doctype", "huge"):
        simulator.sim.add_fault(fault)
        try:
            await client.get_status(session)
        except ConnectCallError as err:
            texts.extend([str(err), repr(err)])
    await client.end(session)
    for call in (client.get_status(session), client.hang_up(session)):
        try:
            await call
        except ConnectCallError as err:
            texts.extend([str(err), repr(err)])
    bad = ConnectCallClient(http, USERNAME, "nope", simulator.url)
    try:
        await bad.login(DST, SRC, CallMode.SOURCE_FIRST)
    except ConnectCallError as err:
        texts.extend([str(err), repr(err)])
    texts.extend(r.getMessage() for r in caplog.records)
    assert len(texts) > 10
    for text in texts:
        assert PASSWORD not in text
        assert guid not in text


async def test_close_is_best_effort(
    client: ConnectCallClient, simulator: RunningSimulator
) -> None:
    session = await client.login(DST, SRC, CallMode.SOURCE_FIRST)
    simulator.server.expire_sessions()
    await client.close(session)  # both commands refused: no error
    assert [r.command for r in simulator.server.requests][-2:] == ["hangUp", "end"]


async def test_verify(client: ConnectCallClient, simulator: RunningSimulator) -> None:
    await client.verify()
    simulator.sim.forced = (105, "NoChanges")
    await client.verify()  # a refusal other than 102 is taken as a pass
    simulator.sim.forced = None
    simulator.server.behaviour.probe = "login"
    await client.verify()
    assert simulator.server.sessions == {}
