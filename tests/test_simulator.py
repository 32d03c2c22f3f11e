"""The simulator's own behaviour: control endpoint, timelines, sessions."""

from __future__ import annotations

from aiohttp import ClientSession
import pytest

from simulator import SCENARIOS, ConnectCallServer, Simulator
from simulator.__main__ import build

from .conftest import PASSWORD, USERNAME, FakeClock, RunningSimulator


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
