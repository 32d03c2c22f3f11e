"""The simulator's own behaviour: control endpoint, timelines, sessions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import json
from urllib.parse import quote
from xml.etree import ElementTree

from aiohttp import ClientSession, ServerDisconnectedError, TCPConnector
import pytest
from yarl import URL

from simulator import SCENARIOS, ConnectCallServer, Simulator
from simulator.__main__ import build

from .helpers import DEST, PASSWORD, SOURCE, USERNAME, FakeClock, RunningSimulator


async def _get(http: ClientSession, url: str, **query: str) -> str:
    async with http.get(url + "connectcall.aspx", params=query) as resp:
        return await resp.text()


def _control(url: str) -> str:
    return url.removesuffix("api/") + "_sim"


async def test_control_endpoint(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    control = _control(simulator.url)
    async with http.post(
        control, json={"number": "0611111111", "scenario": "busy"}
    ) as r:
        state = await r.json()
    assert state["scenarios"] == {"0611111111": "busy"}
    async with http.post(control, json={"scenario": "rejected"}) as r:
        assert (await r.json())["default_scenario"] == "rejected"
    async with http.post(control, json={"behaviour": {"expired_guid_code": 104}}) as r:
        assert (await r.json())["behaviour"]["expired_guid_code"] == 104
    async with http.post(control, json={"format": {"uppercase": True}}) as r:
        assert r.status == 200
    assert "<CODE>" in await _get(
        http, simulator.url, login=USERNAME, password=PASSWORD
    )
    for bad in ({"scenario": "nope"}, {"fault": "nope"}, {"behaviour": {"x": 1}}):
        async with http.post(control, json=bad) as r:
            assert r.status == 400
    await _get(
        http,
        simulator.url,
        login=USERNAME,
        password=PASSWORD,
        dest="0611111111",
        source="0201234567",
        type="1",
    )
    assert simulator.server.sessions
    async with http.post(control, json={"fault": "http_500", "count": 2}) as r:
        assert r.status == 200
    assert len(simulator.sim.faults) == 2
    async with http.post(control, json={"expire_sessions": True}) as r:
        state = await r.json()
    assert state["sessions"] == 0
    async with http.get(control) as r:
        state = await r.json()
    assert state["calls"][0]["destination"] == "0611111111"
    assert "busy" in state["available_scenarios"]


def _login(server: ConnectCallServer, dest: str = "0612345678", kind: str = "1") -> str:
    code, guid = server.handle(
        {
            "login": USERNAME,
            "password": PASSWORD,
            "dest": dest,
            "source": "0201234567",
            "type": kind,
        }
    )
    assert code == 103
    return guid


@pytest.fixture
def server(clock: FakeClock) -> ConnectCallServer:
    return ConnectCallServer(accounts={USERNAME: PASSWORD}, clock=clock)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_scenario_plays(
    server: ConnectCallServer, clock: FakeClock, name: str
) -> None:
    server.default_scenario = name
    guid = _login(server)
    codes = []
    for _ in range(60):
        codes.append(server.handle({"guid": guid, "cmd": "getStatus"})[0])
        clock.advance(1)
    assert codes[-1] == SCENARIOS[name][-1][1]


def test_simultaneous_mode(server: ConnectCallServer, clock: FakeClock) -> None:
    guid = _login(server, kind="2")
    assert server.handle({"guid": guid, "cmd": "getStatus"})[0] == 26
    clock.advance(5)
    assert server.handle({"guid": guid, "cmd": "getStatus"})[0] == 9


def test_bad_requests(server: ConnectCallServer) -> None:
    base = {
        "login": USERNAME,
        "password": PASSWORD,
        "source": "0201234567",
        "type": "1",
    }
    assert server.handle(base | {"dest": "06&x"})[0] == 104
    assert server.handle(base | {"dest": "0612345678", "type": "3"})[0] == 104
    guid = _login(server)
    assert server.handle({"guid": guid, "cmd": "dance"})[0] == 104
    assert server.handle({"guid": guid, "cmd": "connect"})[0] == 104
    assert server.handle({})[0] == 101
    assert server.count("login") == 3
    assert server.count() == 6


def test_single_session(server: ConnectCallServer) -> None:
    server.behaviour.single_session = True
    first = _login(server)
    second = _login(server)
    assert first not in server.sessions
    assert second in server.sessions
    assert server.active_call() is server.calls[-1]


def test_get_status_without_call(server: ConnectCallServer) -> None:
    server.behaviour.probe = "login"
    code, guid = server.handle({"login": USERNAME, "password": PASSWORD})
    assert code == 103
    assert server.handle({"guid": guid, "cmd": "getStatus"}) == (3, "Unknown")
    assert server.handle({"guid": guid, "cmd": "hangUp"})[0] == 100
    assert server.active_call() is None


def test_demo_build() -> None:
    sim = build("demo", "secret")
    assert isinstance(sim, Simulator)
    assert sim.server.accounts == {"demo": "secret"}
    assert sim.server.scenarios["0611111111"] == "busy"


# Bad days: faults per command, odd transports, lagging or picky servers.

LOGIN_CALL = {
    "login": USERNAME,
    "password": PASSWORD,
    "dest": DEST,
    "source": SOURCE,
    "type": "1",
}


@pytest.fixture
async def fresh_http() -> AsyncIterator[ClientSession]:
    """A client that sends each request once, on a new connection.

    aiohttp re-sends a GET once after the connection dropped (pooled or new
    alike, as of 3.14), so a dropped request would arrive twice; its own test
    client turns that off the same way.
    """
    async with ClientSession(connector=TCPConnector(force_close=True)) as session:
        session._retry_connection = False
        yield session


def _api(simulator: RunningSimulator) -> str:
    return simulator.url + "connectcall.aspx"


async def test_every_request_recorded_raw(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    raw = (
        f"login={USERNAME}&password={quote(PASSWORD, safe='')}"
        f"&dest={DEST}&source={SOURCE}&type=1"
    )
    async with http.get(URL(f"{_api(simulator)}?{raw}", encoded=True)) as resp:
        assert "<code>103</code>" in await resp.text()
    simulator.sim.add_fault("garbage", command="end")
    simulator.sim.add_fault("http_500", command="getStatus")
    guid = next(iter(simulator.server.sessions))
    async with http.get(
        _api(simulator), params={"guid": guid, "cmd": "getStatus"}
    ) as r:
        assert r.status == 500
    assert [(r.command, r.code, r.fault) for r in simulator.server.requests] == [
        ("login", 103, None),
        ("getStatus", 0, "http_500"),
    ]
    assert simulator.server.requests[0].query == raw
    assert simulator.server.count("getStatus") == 1
    assert list(simulator.sim.faults) == [("garbage", "end")]  # waits for "end"
    with pytest.raises(ValueError, match="getstatus"):
        simulator.sim.add_fault("late", command="getstatus")


def test_handle_records_raw_query(server: ConnectCallServer) -> None:
    server.handle({"guid": "x", "cmd": "getStatus"}, "guid=x&cmd=getStatus")
    assert server.requests[-1].query == "guid=x&cmd=getStatus"
    assert server.requests[-1].fault is None


@pytest.mark.parametrize("fault", ["http_500", "garbage", "no_code", "doctype", "huge"])
async def test_answering_faults_never_reach_the_server(
    simulator: RunningSimulator, http: ClientSession, fault: str
) -> None:
    simulator.sim.add_fault(fault, command="login")
    async with http.get(_api(simulator), params=LOGIN_CALL) as resp:
        assert "103" not in await resp.text()
    assert not simulator.server.calls
    assert [(r.code, r.fault) for r in simulator.server.requests] == [(0, fault)]


async def test_drop_reaches_no_server(
    simulator: RunningSimulator, fresh_http: ClientSession
) -> None:
    simulator.sim.add_fault("drop")
    with pytest.raises(ServerDisconnectedError):
        await _get(fresh_http, simulator.url, **LOGIN_CALL)
    assert not simulator.server.calls
    assert [(r.code, r.fault) for r in simulator.server.requests] == [(0, "drop")]


async def test_drop_after_login_placed_the_call(
    simulator: RunningSimulator, http: ClientSession, fresh_http: ClientSession
) -> None:
    async with http.post(
        _control(simulator.url),
        json={"fault": "drop_after", "count": 1, "command": "login"},
    ) as r:
        assert (await r.json())["faults"] == [
            {"kind": "drop_after", "command": "login"}
        ]
    with pytest.raises(ServerDisconnectedError):
        await _get(fresh_http, simulator.url, **LOGIN_CALL)
    assert [c.destination for c in simulator.server.calls] == [DEST]
    assert len(simulator.server.sessions) == 1
    (request,) = simulator.server.requests
    assert (request.command, request.code, request.fault) == (
        "login",
        103,
        "drop_after",
    )


async def test_late_answer_after_the_call_is_placed(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    simulator.sim.delay = 0.5
    simulator.sim.add_fault("late", command="login")
    answer = asyncio.create_task(_get(http, simulator.url, **LOGIN_CALL))
    done, _ = await asyncio.wait({answer}, timeout=0.2)
    assert not done  # no answer yet...
    assert [c.destination for c in simulator.server.calls] == [DEST]  # ...a call
    assert "<code>103</code>" in await answer
    assert [(r.code, r.fault) for r in simulator.server.requests] == [(103, "late")]


async def test_slow_recorded_once(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    simulator.sim.delay = 0.05
    simulator.sim.add_fault("slow")
    assert "<code>103</code>" in await _get(http, simulator.url, **LOGIN_CALL)
    assert [(r.code, r.fault) for r in simulator.server.requests] == [(103, "slow")]
    assert len(simulator.server.calls) == 1


async def test_chunked_answer_in_two_pieces(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    async with http.post(
        _control(simulator.url), json={"chunk_pause": 0.05, "delay": 2}
    ) as r:
        state = await r.json()
    assert (state["chunk_pause"], state["delay"]) == (0.05, 2)
    simulator.sim.add_fault("chunked", command="login")
    async with http.get(_api(simulator), params=LOGIN_CALL) as resp:
        assert "Content-Length" not in resp.headers
        assert resp.headers["Transfer-Encoding"] == "chunked"
        chunks = [chunk async for chunk in resp.content.iter_any()]
    guid = next(iter(simulator.server.sessions))
    assert len(chunks) > 1
    assert b"".join(chunks) == simulator.sim.render(103, guid)
    assert [(r.code, r.fault) for r in simulator.server.requests] == [(103, "chunked")]


def test_stale_status_after_connect(
    server: ConnectCallServer, clock: FakeClock
) -> None:
    server.behaviour.stale_status_seconds = 3
    guid = _login(server)
    status = {"guid": guid, "cmd": "getStatus"}
    assert server.handle(status)[0] == 27  # no lag after a login
    clock.advance(10)
    assert server.handle({"guid": guid, "cmd": "hangUp"})[0] == 100
    connect = {"cmd": "connect", "dest": "0687654321", "source": SOURCE, "type": "1"}
    assert server.handle({"guid": guid} | connect)[0] == 100
    assert server.active_call() is server.calls[-1]
    assert server.handle(status)[0] == 4  # the previous call's last code
    clock.advance(2.9)
    assert server.handle(status)[0] == 4
    clock.advance(0.1)
    assert server.handle(status)[0] == 28  # the new call, 3 s in


def test_end_leaves_the_call_going(server: ConnectCallServer, clock: FakeClock) -> None:
    guid = _login(server)
    assert server.handle({"guid": guid, "cmd": "end"})[0] == 100
    assert server.active_call() is None  # by default, end hangs up
    server.behaviour.end_hangs_up = False
    guid = _login(server)
    assert server.handle({"guid": guid, "cmd": "end"})[0] == 100
    assert guid not in server.sessions
    assert server.handle({"guid": guid, "cmd": "getStatus"})[0] == 101
    clock.advance(9)
    call = server.active_call()
    assert call is server.calls[-1]
    assert call.status(clock()) == 9


async def test_expired_guid_http_500(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    control = {"behaviour": {"expired_guid_http_500": True}}
    async with http.post(_control(simulator.url), json=control) as r:
        assert (await r.json())["behaviour"]["expired_guid_http_500"] is True
    query = {"guid": "0123456789abcdef", "cmd": "getStatus"}
    async with http.get(_api(simulator), params=query) as resp:
        assert resp.status == 500
        assert resp.content_type == "text/html"
        assert "<code>" not in await resp.text()
    assert [(r.code, r.fault) for r in simulator.server.requests] == [(500, None)]


def test_refuse_number(server: ConnectCallServer) -> None:
    server.behaviour.refuse_number = r"0[0-9]+"  # wants +31…
    assert server.handle(LOGIN_CALL)[0] == 104
    assert server.handle(LOGIN_CALL | {"source": "+31201234567"})[0] == 104
    assert not server.calls
    assert not server.sessions
    code, guid = server.handle(
        LOGIN_CALL | {"dest": "+31612345678", "source": "+31201234567"}
    )
    assert code == 103
    connect = {"guid": guid, "cmd": "connect", "source": "+31201234567", "type": "1"}
    assert server.handle(connect | {"dest": DEST})[0] == 104
    assert len(server.calls) == 1
    assert server.active_call() is server.calls[0]  # the refusal ended nothing


async def test_namespace(simulator: RunningSimulator, http: ClientSession) -> None:
    control = {"format": {"namespace": "urn:connect-call"}}
    async with http.post(_control(simulator.url), json=control) as r:
        assert r.status == 200
    text = await _get(http, simulator.url, guid="x", cmd="getStatus")
    assert text.startswith('<response xmlns="urn:connect-call">')
    root = ElementTree.fromstring(text)
    assert root.tag == "{urn:connect-call}response"
    assert root.findtext("{urn:connect-call}code") == "101"


async def test_control_new_switches(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    control = _control(simulator.url)
    for bad in (
        {"fault": "late", "command": "dial"},
        {"delay": -1},
        {"chunk_pause": "soon"},
        {"behaviour": {"refuse_number": "("}},
    ):
        async with http.post(control, json=bad) as r:
            assert r.status == 400, bad
    behaviour: dict[str, object] = {
        "stale_status_seconds": 2.5,
        "end_hangs_up": False,
        "refuse_number": r"\+.*",
    }
    async with http.post(control, json={"behaviour": behaviour}) as r:
        assert (await r.json())["behaviour"].items() >= behaviour.items()
    await _get(http, simulator.url, **LOGIN_CALL)
    async with http.get(control) as r:
        text = await r.text()
    assert json.loads(text)["last_requests"] == [
        {"command": "login", "code": 103, "fault": None}
    ]
    # The state never shows a query: it holds the password.
    assert "password=" not in text
    assert quote(PASSWORD, safe="") not in text
