"""The API client's share of call safety (CONTRIBUTING.md).

``login`` with numbers and ``connect`` are sent at most once: aiohttp's own
re-send of a GET after a dropped connection (a clean close, or a reset: TCP
RST, which aiohttp raises as ``ClientOSError``) is off for them, and nothing
is retried after a time-out, a drop or an HTTP error. They wait up to the place
timeout, other requests the request timeout. Answers are read whole, however
they are chunked, and capped. Real HTTP to the simulator on 127.0.0.1.
"""

from __future__ import annotations

import asyncio

from aiohttp import ClientConnectionError, ClientError, ClientSession, web
import pytest

from custom_components.connectcall.api import (
    MAX_RESPONSE_BYTES,
    ConnectCallClient,
    ConnectCallConnectionError,
    ConnectCallHTTPError,
    ConnectCallResponseError,
    InvalidNumberError,
    Session,
    normalize_number,
)
from custom_components.connectcall.codes import CallMode

from .helpers import PASSWORD, USERNAME, RunningSimulator, answer_late, serve

SRC, DST = "0201234567", "0612345678"
MODE = CallMode.SOURCE_FIRST
REFUSED_URL = "http://127.0.0.1:9/api/"  # discard port: nothing listens


def faults(sim: RunningSimulator, command: str) -> list[str | None]:
    """The fault each ``command`` request the server saw got (None: none)."""
    return [r.fault for r in sim.server.requests if r.command == command]


async def place(
    client: ConnectCallClient, command: str, session: Session | None = None
) -> Session | None:
    """``login`` (a new session) or ``connect`` (in ``session``): one call."""
    if command == "login":
        return await client.login(DST, SRC, MODE)
    assert session is not None
    await client.connect(session, DST, SRC, MODE)
    return None


async def send(
    client: ConnectCallClient, command: str, session: Session | None = None
) -> object:
    """One request of ``command`` (``probe``: a login without numbers)."""
    match command:
        case "login" | "connect":
            return await place(client, command, session)
        case "getStatus":
            assert session is not None
            return await client.get_status(session)
    return await client.probe()


async def session_for(
    client: ConnectCallClient, command: str, sim: RunningSimulator
) -> Session | None:
    """Unless ``command`` is a login: an open session whose first call is over."""
    if command == "login":
        return None
    session = await client.login(DST, SRC, MODE)
    await client.hang_up(session)
    sim.server.requests.clear()
    return session


async def answered_late(
    simulator: RunningSimulator,
    http: ClientSession,
    command: str,
    *,
    place_timeout: float = 5,
    request_timeout: float = 5,
) -> tuple[ConnectCallClient, Session | None]:
    """A client with these time-outs (5 s unless given) and a session ready
    for ``command``, whose next ``command`` the server answers 0.5 s late."""
    client = ConnectCallClient(
        http,
        USERNAME,
        PASSWORD,
        simulator.url,
        place_timeout=place_timeout,
        request_timeout=request_timeout,
    )
    session = await session_for(client, command, simulator)
    answer_late(simulator, command, 0.5)
    return client, session


# Sent once: a dropped connection is not re-sent.


@pytest.mark.parametrize("command", ["login", "connect"])
@pytest.mark.parametrize(
    ("fault", "acted"),
    [
        pytest.param("drop_after", True, id="drop-after-acting"),
        pytest.param("drop", False, id="drop-before-acting"),
        pytest.param("reset_after", True, id="reset-after-acting"),
    ],
)
async def test_dropped_placing_request_is_not_resent(
    client: ConnectCallClient,
    simulator: RunningSimulator,
    command: str,
    fault: str,
    acted: bool,
) -> None:
    session = await session_for(client, command, simulator)
    calls_before = len(simulator.server.calls)
    sent_before = client.request_count
    simulator.sim.add_fault(fault, command=command)
    with pytest.raises(ConnectCallConnectionError) as err:
        await place(client, command, session)
    # The client's own error, never aiohttp's (nor one that quotes the URL).
    assert type(err.value) is ConnectCallConnectionError
    assert not isinstance(err.value, ClientError)
    assert err.value.sent is True  # the server may have placed the call
    assert PASSWORD not in str(err.value)
    assert err.value.__cause__ is None
    if fault == "reset_after":
        assert str(err.value) in (
            "Connection failed (ClientOSError)",
            "Connection failed (ClientConnectionResetError)",
        )
    # Exactly one request reached the server, and at most one call.
    assert faults(simulator, command) == [fault]
    assert not simulator.sim.faults
    assert len(simulator.server.calls) == calls_before + acted
    if acted:
        assert simulator.server.requests[-1].code == (
            103 if command == "login" else 100
        )
    assert client.request_count == sent_before + 1
    assert client.error_count == 1


@pytest.mark.parametrize("fault", ["drop_after", "reset_after"])
async def test_aiohttp_resends_a_dropped_get_status(
    client: ConnectCallClient, simulator: RunningSimulator, fault: str
) -> None:
    """The control: a GET that places nothing IS re-sent after the same drop."""
    session = await client.login(DST, SRC, MODE)
    simulator.sim.add_fault(fault, command="getStatus")
    status = await client.get_status(session)
    assert status is not None
    assert status.code == 27
    assert faults(simulator, "getStatus") == [fault, None]
    assert len(simulator.server.calls) == 1
    assert client.error_count == 0


async def test_reset_reaches_aiohttp_as_client_os_error(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    """A reset on both tries: aiohttp's own error is ``ClientOSError``, not
    ``ServerDisconnectedError`` (what a clean close raises)."""
    simulator.sim.add_fault("reset_after", count=2, command="getStatus")
    url = f"{simulator.url}connectcall.aspx"
    with pytest.raises(ClientError) as err:
        async with http.get(url, params={"guid": "x", "cmd": "getStatus"}):
            pass
    assert type(err.value).__name__ in ("ClientOSError", "ClientConnectionResetError")
    assert isinstance(err.value.__cause__, ConnectionResetError)
    assert faults(simulator, "getStatus") == ["reset_after", "reset_after"]


@pytest.mark.parametrize("fault", ["drop_after", "reset_after"])
async def test_plain_get_of_the_login_url_is_resent(
    simulator: RunningSimulator, http: ClientSession, fault: str
) -> None:
    """Without the client's guard, one dropped login GET places two calls."""
    simulator.sim.add_fault(fault, command="login")
    params = {
        "login": USERNAME,
        "password": PASSWORD,
        "dest": DST,
        "source": SRC,
        "type": "1",
    }
    async with http.get(f"{simulator.url}connectcall.aspx", params=params) as resp:
        assert resp.status == 200
        assert b"<code>103</code>" in await resp.read()
    assert faults(simulator, "login") == [fault, None]
    assert len(simulator.server.calls) == 2


# No connection: the server cannot have seen the request.


@pytest.mark.parametrize("command", ["login", "connect", "getStatus", "probe"])
async def test_connection_refused_is_not_sent(
    http: ClientSession, command: str
) -> None:
    client = ConnectCallClient(http, USERNAME, PASSWORD, REFUSED_URL)
    session = Session("0123456789abcdef")
    with pytest.raises(ConnectCallConnectionError) as err:
        await send(client, command, session)
    assert type(err.value) is ConnectCallConnectionError
    assert err.value.sent is False
    assert "ClientConnectorError" in str(err.value)
    assert "127.0.0.1" not in str(err.value)
    assert client.error_count == 1


# HTTP errors.


@pytest.mark.parametrize("command", ["login", "connect", "getStatus"])
async def test_http_500(
    client: ConnectCallClient, simulator: RunningSimulator, command: str
) -> None:
    session = await session_for(client, command, simulator)
    calls_before = len(simulator.server.calls)
    simulator.sim.add_fault("http_500", command=command)
    with pytest.raises(ConnectCallHTTPError) as err:
        await send(client, command, session)
    assert err.value.status == 500
    assert err.value.sent is True
    assert isinstance(err.value, ConnectCallConnectionError)
    assert faults(simulator, command) == ["http_500"]  # not retried
    assert len(simulator.server.calls) == calls_before


async def test_http_500_for_a_stale_guid(
    client: ConnectCallClient, simulator: RunningSimulator
) -> None:
    """A restarted ASP.NET server: a gone session answers an error page."""
    simulator.server.behaviour.expired_guid_http_500 = True
    session = await client.login(DST, SRC, MODE)
    simulator.server.expire_sessions()
    with pytest.raises(ConnectCallHTTPError) as err:
        await client.connect(session, DST, SRC, MODE)
    assert err.value.status == 500
    assert simulator.server.count("connect") == 1
    assert len(simulator.server.calls) == 1


# Time-outs: 30 s to place a call, 10 s for everything else.


@pytest.mark.parametrize("command", ["login", "connect"])
async def test_place_timeout_bounds_placing_requests(
    simulator: RunningSimulator, http: ClientSession, command: str
) -> None:
    client, session = await answered_late(simulator, http, command, place_timeout=0.2)
    calls_before = len(simulator.server.calls)
    with pytest.raises(ConnectCallConnectionError) as err:
        await place(client, command, session)
    assert type(err.value) is ConnectCallConnectionError
    assert "timed out" in str(err.value)
    assert err.value.sent is True
    # The server placed the call; the client did not send it again.
    assert faults(simulator, command) == ["late"]
    assert len(simulator.server.calls) == calls_before + 1
    await asyncio.sleep(0.4)  # let the late answer go out to nobody
    assert simulator.server.count(command) == 1


@pytest.mark.parametrize("command", ["login", "connect"])
async def test_request_timeout_does_not_bound_placing_requests(
    simulator: RunningSimulator, http: ClientSession, command: str
) -> None:
    client, session = await answered_late(simulator, http, command, request_timeout=0.2)
    session = await place(client, command, session) or session
    assert faults(simulator, command) == ["late"]
    # ...but it does bound the others.
    assert session is not None
    simulator.sim.add_fault("late", command="getStatus")
    with pytest.raises(ConnectCallConnectionError, match="timed out"):
        await client.get_status(session)
    await asyncio.sleep(0.4)


# Answers read whole, and capped.


@pytest.mark.parametrize(
    "fmt",
    [
        pytest.param({}, id="plain"),
        pytest.param({"namespace": "http://tempuri.org/"}, id="namespace"),
        pytest.param(
            {
                "declaration": True,
                "bom": True,
                "uppercase": True,
                "indent": True,
                "namespace": "urn:connectcall",
            },
            id="everything",
        ),
    ],
)
async def test_chunked_answer_with_a_pause_is_read_whole(
    client: ConnectCallClient, simulator: RunningSimulator, fmt: dict[str, object]
) -> None:
    for key, value in fmt.items():
        setattr(simulator.sim.format, key, value)
    simulator.sim.chunk_pause = 0.05
    simulator.sim.add_fault("chunked", count=2)
    session = await client.login(DST, SRC, MODE)
    assert session.guid in simulator.server.sessions
    status = await client.get_status(session)
    assert status is not None
    assert (status.code, status.message) == (27, "Source is alerting")
    assert faults(simulator, "login") == ["chunked"]
    assert faults(simulator, "getStatus") == ["chunked"]


@pytest.mark.parametrize("namespace", ["http://tempuri.org/", "urn:x"])
async def test_default_namespace(
    client: ConnectCallClient, simulator: RunningSimulator, namespace: str
) -> None:
    simulator.sim.format.namespace = namespace
    session = await client.login(DST, SRC, MODE)
    assert session.guid in simulator.server.sessions
    status = await client.get_status(session)
    assert status is not None
    assert status.code == 27
    await client.connect(session, DST, SRC, MODE)
    assert len(simulator.server.calls) == 2


@pytest.mark.parametrize("chunked", [False, True])
async def test_get_status_unchanged_is_none(
    client: ConnectCallClient, simulator: RunningSimulator, chunked: bool
) -> None:
    session = await client.login(DST, SRC, MODE)
    simulator.sim.forced = (105, "NoChanges")
    simulator.sim.chunk_pause = 0.05
    if chunked:
        simulator.sim.add_fault("chunked")
    assert await client.get_status(session) is None
    assert client.error_count == 0


@pytest.mark.parametrize(
    ("size", "accepted"),
    [
        pytest.param(MAX_RESPONSE_BYTES, True, id="at-cap"),
        pytest.param(MAX_RESPONSE_BYTES + 1, False, id="one-over"),
        # Each chunk well under the cap; together over it.
        pytest.param(int(MAX_RESPONSE_BYTES * 1.5), False, id="chunks-under-cap"),
    ],
)
async def test_chunked_body_over_the_cap_is_refused(
    client: ConnectCallClient, simulator: RunningSimulator, size: int, accepted: bool
) -> None:
    session = await client.login(DST, SRC, MODE)
    overhead = len(simulator.sim.render(27, ""))
    simulator.sim.forced = (27, "x" * (size - overhead))
    assert len(simulator.sim.render(*simulator.sim.forced)) == size
    simulator.sim.chunk_pause = 0.05
    simulator.sim.add_fault("chunked")
    if accepted:
        status = await client.get_status(session)
        assert status is not None
        assert status.message == "x" * (size - overhead)
    else:
        with pytest.raises(ConnectCallResponseError, match="too large"):
            await client.get_status(session)
    assert faults(simulator, "getStatus") == ["chunked"]


async def test_endless_body_is_cut_off(http: ClientSession) -> None:
    """A stream that never ends is refused at the cap, not read to the time-out."""
    written = 0

    async def endless(request: web.Request) -> web.StreamResponse:
        nonlocal written
        response = web.StreamResponse()
        response.content_type = "text/xml"
        response.enable_chunked_encoding()
        await response.prepare(request)
        try:
            await response.write(b"<response><code>100</code><message>")
            for _ in range(5000):
                await response.write(b"x" * 1000)
                written += 1000
                await asyncio.sleep(0.001)
        except ClientConnectionError, ConnectionError:
            pass  # the client went away: what the test wants
        return response

    app = web.Application()
    app.router.add_get("/api/connectcall.aspx", endless)
    runner, url = await serve(app)
    try:
        client = ConnectCallClient(http, USERNAME, PASSWORD, url, request_timeout=5)
        with pytest.raises(ConnectCallResponseError, match="too large"):
            await client.probe()
        await asyncio.sleep(0.1)
        assert written < 1_000_000  # it stopped reading long before the end
    finally:
        await runner.cleanup()


# Numbers.


@pytest.mark.parametrize("raw", ["+(0)", "(0)", "+31 (0)", "+(0)1"])
def test_normalize_number_trunk_zero_rejects(raw: str) -> None:
    with pytest.raises(InvalidNumberError):
        normalize_number(raw)


async def test_normalized_number_reaches_the_server(
    client: ConnectCallClient, simulator: RunningSimulator
) -> None:
    session = await client.login("+31 (0)6 1234 5678", "+31 (0)20 123 4567", MODE)
    call = simulator.server.calls[-1]
    assert (call.destination, call.source) == ("+31612345678", "+31201234567")
    assert "dest=%2B31612345678" in simulator.server.requests[-1].query
    await client.connect(session, "020 (0)123 4567", SRC, MODE)
    assert simulator.server.calls[-1].destination == "02001234567"
