"""Fixtures shared by every test: the simulator on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
import os
import ssl
import time

from aiohttp import ClientSession, web
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from hypothesis import settings
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed_exact,
)
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.connectcall.const import DOMAIN
from simulator import ConnectCallServer, Simulator, create_app

# HYPOTHESIS_PROFILE=ci (scripts/test sets it under CI): the same examples on
# every run, so a CI failure reproduces; "thorough" for a long local search.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("thorough", max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

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


async def serve(
    app: web.Application, ssl_context: ssl.SSLContext | None = None
) -> tuple[web.AppRunner, str]:
    """Serve ``app`` on a free port of 127.0.0.1; returns the API base URL
    (https:// with ``ssl_context``)."""
    # No access log: request lines carry the password and GUID by design.
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
    await site.start()
    port = runner.addresses[0][1]
    scheme = "https" if ssl_context else "http"
    return runner, f"{scheme}://127.0.0.1:{port}/api/"


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


async def settle(hass: HomeAssistant) -> None:
    """Let requests in flight finish before time moves on.

    block_till_done waits for tracked tasks only; a waiting `dial` runs in
    the test's own task. So: until Home Assistant's HTTP connector has no
    connection in use (every request the integration sent got its answer
    read) for a few loop turns in a row, with its tasks done. A request
    outside Home Assistant's tasks that waits for the frozen clock fails the
    test instead of hanging it.
    """
    connector = async_get_clientsession(hass).connector
    assert connector is not None
    quiet = 0
    for _ in range(5000):
        await hass.async_block_till_done()
        await asyncio.sleep(0)
        quiet = quiet + 1 if not connector._acquired else 0
        if quiet >= 3:
            return
    raise AssertionError("settle: a request is still in flight")


async def tick(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float = 1
) -> None:
    """Move time on, fire what is due, wait for the polls it started.

    Exact: the plain helper moves a time in the first half of a second to
    its middle, firing a timer up to 0.5 s early (the cadence's are 0.5 s).
    """
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed_exact(hass)
    await settle(hass)


async def advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    """Move time on and let the loop run, without waiting for tracked tasks.

    For moments when a request is still in flight at the simulator (a late
    or slow answer): ``block_till_done`` would wait for it on a frozen clock.
    """
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed_exact(hass)
    for _ in range(100):
        await asyncio.sleep(0)


def entity_id_of(
    hass: HomeAssistant, entry: MockConfigEntry, platform: str, key: str
) -> str:
    """Entity IDs come from the user's language: find them by unique ID."""
    entity_id = er.async_get(hass).async_get_entity_id(
        platform, DOMAIN, f"{entry.entry_id}_{key}"
    )
    assert entity_id is not None
    return entity_id


def state_of(hass: HomeAssistant, entity_id: str) -> State:
    """The entity's state, which must exist."""
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state


async def assert_quiet(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sim: RunningSimulator,
    seconds: int,
) -> None:
    """Time passes and the simulator hears nothing: no poller is left."""
    requests = sim.server.count()
    for _ in range(seconds):
        await tick(hass, freezer)
    assert sim.server.count() == requests, "requests outside a call"


def request_times(sim: RunningSimulator, command: str = "getStatus") -> list[float]:
    """When the server got each ``command``, in seconds after the last call began."""
    started = sim.server.calls[-1].started
    return [
        round(r.at - started, 2) for r in sim.server.requests if r.command == command
    ]


def hang_up_offset(sim: RunningSimulator) -> float:
    """Seconds from the last call's start to the first hangUp the server saw."""
    return request_times(sim, "hangUp")[0]


def call_status(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """The call-status sensor's state."""
    return state_of(hass, entity_id_of(hass, entry, "sensor", "call_status")).state


def second_account(sim: RunningSimulator, first: MockConfigEntry) -> MockConfigEntry:
    """Another account ("bob") on the same simulator, not yet added."""
    sim.server.accounts["bob"] = "bobs"
    return MockConfigEntry(
        domain=DOMAIN,
        title="bob",
        unique_id=f"{sim.url}bob",
        version=2,
        data=dict(first.data) | {"username": "bob", "password": "bobs"},
        options=dict(first.options),
    )


async def add_second_account(
    hass: HomeAssistant, sim: RunningSimulator, first: MockConfigEntry
) -> MockConfigEntry:
    """Bob's account (see ``second_account``), set up next to ``first``."""
    other = second_account(sim, first)
    other.add_to_hass(hass)
    await hass.config_entries.async_setup(other.entry_id)
    await hass.async_block_till_done()
    return other
