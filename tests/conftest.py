"""Fixtures shared by every test: the simulator on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp import ClientSession, web
import pytest

from simulator import ConnectCallServer, Simulator, create_app

USERNAME = "alice"
PASSWORD = "p&ss=w#rd %+ é/?"  # every character a careless client mangles


@dataclass
class FakeClock:
    """A clock the tests move by hand."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class RunningSimulator:
    """A simulator listening on 127.0.0.1."""

    sim: Simulator
    url: str

    @property
    def server(self) -> ConnectCallServer:
        return self.sim.server


@pytest.fixture(autouse=True)
def _loopback_sockets(socket_enabled: None) -> None:
    """Real HTTP to the simulator: sockets on, connections still 127.0.0.1 only."""


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    """Serve ``app`` on a free port of 127.0.0.1; returns the API base URL."""
    # No access log: request lines carry the password and GUID by design.
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}/api/"


@pytest.fixture
async def simulator(clock: FakeClock) -> AsyncIterator[RunningSimulator]:
    sim = Simulator(ConnectCallServer(accounts={USERNAME: PASSWORD}, clock=clock))
    sim.delay = 0.5
    runner, url = await serve(create_app(sim))
    yield RunningSimulator(sim, url)
    await runner.cleanup()


@pytest.fixture
async def http() -> AsyncIterator[ClientSession]:
    async with ClientSession() as session:
        yield session
