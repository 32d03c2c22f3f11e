"""A connection reset (TCP RST) after the server acted: call safety at the client.

aiohttp raises a reset as ``ClientOSError`` and, for a GET, sends the request
again, just as after a clean close (``drop_after``, test_api_safety.py). The
two requests that place a call (``login`` with numbers, ``connect``) must
not be sent again: the server may have placed the call before the reset.
The simulator's ``reset_after`` fault handles the request, then resets the
connection. Real HTTP to the simulator on 127.0.0.1.
"""

from __future__ import annotations

from aiohttp import ClientError, ClientSession
import pytest

from custom_components.connectcall.api import (
    ConnectCallClient,
    ConnectCallConnectionError,
    Session,
)
from custom_components.connectcall.codes import CallMode

from .conftest import PASSWORD, USERNAME, RunningSimulator

SRC, DST = "0201234567", "0612345678"
MODE = CallMode.SOURCE_FIRST


@pytest.fixture
def client(simulator: RunningSimulator, http: ClientSession) -> ConnectCallClient:
    return ConnectCallClient(http, USERNAME, PASSWORD, simulator.url)


def faults(sim: RunningSimulator, command: str) -> list[str | None]:
    """The fault each ``command`` request the server saw got (None: none)."""
    return [r.fault for r in sim.server.requests if r.command == command]


async def place(client: ConnectCallClient, session: Session | None) -> None:
    """One call: ``login`` without a session, else ``connect`` in it."""
    if session is None:
        await client.login(DST, SRC, MODE)
    else:
        await client.connect(session, DST, SRC, MODE)


async def test_plain_get_is_resent_after_a_reset(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    """The control: the fault is a reset aiohttp re-sends after (two calls)."""
    simulator.sim.add_fault("reset_after", command="login")
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
    assert faults(simulator, "login") == ["reset_after", None]
    assert len(simulator.server.calls) == 2


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


@pytest.mark.parametrize("command", ["login", "connect"])
async def test_reset_after_a_placing_request_is_not_resent(
    client: ConnectCallClient, simulator: RunningSimulator, command: str
) -> None:
    """The server acted, then reset the connection: one request, one call,
    and the client's own error saying the call may be placed."""
    session: Session | None = None
    if command == "connect":
        session = await client.login(DST, SRC, MODE)
        await client.hang_up(session)
        simulator.server.requests.clear()
    calls_before = len(simulator.server.calls)
    sent_before, errors_before = client.request_count, client.error_count
    simulator.sim.add_fault("reset_after", command=command)
    with pytest.raises(ConnectCallConnectionError) as err:
        await place(client, session)
    # The client's own error, never aiohttp's (nor one that quotes the URL).
    assert type(err.value) is ConnectCallConnectionError
    assert not isinstance(err.value, ClientError)
    assert err.value.__cause__ is None
    assert err.value.sent is True  # the server may have placed the call
    assert str(err.value) in (
        "Connection failed (ClientOSError)",
        "Connection failed (ClientConnectionResetError)",
    )
    assert PASSWORD not in str(err.value)
    # What the server received: exactly one request, which placed one call.
    assert faults(simulator, command) == ["reset_after"]
    assert simulator.server.count() == 1
    assert simulator.server.requests[-1].code == (103 if command == "login" else 100)
    assert len(simulator.server.calls) == calls_before + 1
    assert client.request_count == sent_before + 1
    assert client.error_count == errors_before + 1
    assert not simulator.sim.faults


async def test_get_status_is_resent_after_a_reset(
    client: ConnectCallClient, simulator: RunningSimulator
) -> None:
    """``getStatus`` places nothing: aiohttp's re-send after a reset stays on."""
    session = await client.login(DST, SRC, MODE)
    simulator.sim.add_fault("reset_after", command="getStatus")
    status = await client.get_status(session)
    assert status is not None
    assert status.code == 27
    assert faults(simulator, "getStatus") == ["reset_after", None]
    assert len(simulator.server.calls) == 1
    assert client.error_count == 0
