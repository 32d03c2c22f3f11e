"""Fixtures shared by every test: the simulator on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
import time

from aiohttp import ClientSession, web
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.connectcall.const import DOMAIN
from simulator import ConnectCallServer, Simulator, create_app

SOURCE = "0201234567"
DEST = "0612345678"
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


# The integration's tests: Home Assistant against the simulator, the
# simulator's clock following Home Assistant's (frozen) time.


@pytest.fixture(autouse=True)
def _custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/connectcall."""


@pytest.fixture
async def ha_sim() -> AsyncIterator[RunningSimulator]:
    """The simulator on 127.0.0.1, its clock the test's (freezer) clock."""
    # Looked up at each call: the freezer patches time.time after this runs.
    sim = Simulator(
        ConnectCallServer(accounts={USERNAME: PASSWORD}, clock=lambda: time.time())
    )
    sim.delay = 0.5
    runner, url = await serve(create_app(sim))
    yield RunningSimulator(sim, url)
    await runner.cleanup()


@pytest.fixture
def mock_config_entry(ha_sim: RunningSimulator) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title=USERNAME,
        unique_id=f"{ha_sim.url}{USERNAME}",
        data={
            "username": USERNAME,
            "password": PASSWORD,
            "url": ha_sim.url,
            "source": SOURCE,
        },
    )


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry
