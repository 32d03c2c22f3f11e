"""Fixtures shared by every test: the simulator on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator
import os
import time

from aiohttp import ClientSession
from homeassistant.core import HomeAssistant
from hypothesis import settings
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
)
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.connectcall.api import ConnectCallClient
from custom_components.connectcall.const import DOMAIN
from simulator import ConnectCallServer, Simulator, create_app

from .helpers import (
    PASSWORD,
    SOURCE,
    USERNAME,
    FakeClock,
    RunningSimulator,
    add_second_account,
    serve,
)

# HYPOTHESIS_PROFILE=ci (scripts/test sets it under CI): the same examples on
# every run, so a CI failure reproduces; "thorough" for a long local search.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("thorough", max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    """A config dir of each test's own: setting up automations writes Home
    Assistant's default blueprints into it, never into the shared one."""
    return hass_tmp_config_dir


@pytest.fixture(autouse=True)
def _loopback_sockets(socket_enabled: None) -> None:
    """Real HTTP to the simulator: sockets on, connections still 127.0.0.1 only."""


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


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


@pytest.fixture
def client(simulator: RunningSimulator, http: ClientSession) -> ConnectCallClient:
    """The API client of the simulator's account."""
    return ConnectCallClient(http, USERNAME, PASSWORD, simulator.url)


# The integration's tests: Home Assistant against the simulator, the
# simulator's clock following Home Assistant's (frozen) time.


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Home Assistant's serialiser: registry IDs and times made stable."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture(autouse=True)
def _custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/connectcall."""


@pytest.fixture
async def ha_sim() -> AsyncIterator[RunningSimulator]:
    """The simulator on 127.0.0.1, its clock the test's (freezer) clock."""
    # Looked up at each call: the freezer patches time.time after this runs.
    sim = Simulator(
        ConnectCallServer(accounts={USERNAME: PASSWORD}, clock=lambda: time.time())  # noqa: PLW0108
    )
    sim.delay = 0.5
    runner, url = await serve(create_app(sim))
    yield RunningSimulator(sim, url)
    await runner.cleanup()


@pytest.fixture
def mock_config_entry(ha_sim: RunningSimulator) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id="01KCONNECTCALL00000000000AA",  # stable for snapshots
        title=USERNAME,
        unique_id=f"{ha_sim.url}{USERNAME}",
        version=2,
        data={"username": USERNAME, "password": PASSWORD, "url": ha_sim.url},
        options={"source": SOURCE},
    )


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry


@pytest.fixture
async def bob(
    hass: HomeAssistant, ha_sim: RunningSimulator, init_integration: MockConfigEntry
) -> MockConfigEntry:
    """A second account, "bob", set up next to the first on the same server."""
    return await add_second_account(hass, ha_sim, init_integration)
