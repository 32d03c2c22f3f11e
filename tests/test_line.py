"""One account's line (line.py): what the parts share, changed through it.

The line is given a real session keeper (against the simulator, with an
in-memory store) and a publisher that records what it was handed.
"""

from __future__ import annotations

import asyncio

from aiohttp import ClientSession
import pytest

from custom_components.connectcall.api import ConnectCallClient, ConnectCallError
from custom_components.connectcall.cadence import Cadence
from custom_components.connectcall.call import CallTracker, Milestones
from custom_components.connectcall.codes import CODE_UNKNOWN, CallMode
from custom_components.connectcall.line import FollowedCall, Line, wall_time
from custom_components.connectcall.session import SessionKeeper

from .helpers import DEST, PASSWORD, SOURCE, USERNAME, MemoryStore, RunningSimulator


@pytest.fixture(autouse=True)
def _custom_integrations() -> None:
    """Replaces conftest's autouse fixture: no Home Assistant is started here."""


class Publisher:
    """Records each call it is asked to tell about or to publish."""

    def __init__(self) -> None:
        self.told: list[FollowedCall] = []
        self.published: list[FollowedCall] = []

    def tell(self, call: FollowedCall) -> None:
        self.told.append(call)

    def publish(self, call: FollowedCall) -> None:
        self.published.append(call)


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def publisher() -> Publisher:
    return Publisher()


@pytest.fixture
def line(
    simulator: RunningSimulator,
    http: ClientSession,
    store: MemoryStore,
    publisher: Publisher,
) -> Line:
    client = ConnectCallClient(http, USERNAME, PASSWORD, simulator.url)
    return Line(SessionKeeper(client, store), publisher)


def follow_new(line: Line) -> FollowedCall:
    """A new call, made the line's current one."""
    tracker = CallTracker(
        call_id=line.next_call_id,
        destination=DEST,
        dialled=wall_time(),
        reused_session=False,
    )
    call = FollowedCall(
        tracker, Milestones(), Cadence(1.0), asyncio.get_running_loop().time()
    )
    line.follow(call)
    return call


def pending(call: FollowedCall) -> bool:
    """A poll is armed for the call."""
    return call.timer is not None


async def test_following_a_call_records_it_and_stops_the_one_before(
    line: Line, store: MemoryStore
) -> None:
    await line.keeper.place(DEST, SOURCE, CallMode.SOURCE_FIRST, {"call_id": 1})
    first = follow_new(line)
    first.timer = asyncio.get_running_loop().call_later(60, lambda: None)
    assert line.next_call_id == 2
    second = follow_new(line)
    assert line.current is second
    assert not pending(first)  # its polls are over
    assert store.data is not None
    assert store.data["call"]["call_id"] == 2


async def test_a_call_ended_locally_is_published_once(
    line: Line, publisher: Publisher
) -> None:
    call = follow_new(line)
    line.end_locally(call, 3)
    line.end_locally(call, 3)
    assert publisher.published == [call]
    assert call.tracker.over
    assert not line.is_current(call)


async def test_a_closed_line_follows_nothing_and_wakes_a_waiting_dial(
    line: Line,
) -> None:
    call = follow_new(line)
    call.timer = asyncio.get_running_loop().call_later(60, lambda: None)
    assert line.is_current(call)
    line.stop()
    assert not line.is_current(call)
    assert not pending(call)
    assert call.outcome_known.is_set()


async def test_a_failed_hang_up_changes_nothing(
    line: Line, simulator: RunningSimulator
) -> None:
    """The call stays followed, as not hung up by us: its bounds go on."""
    await line.keeper.place(DEST, SOURCE, CallMode.SOURCE_FIRST, {"call_id": 1})
    call = follow_new(line)
    simulator.sim.add_fault("http_500", 10, command="hangUp")
    with pytest.raises(ConnectCallError):
        await line.hang_up_locked(call, "canceled")
    refused = (call.tracker.hung_up_by_us, simulator.server.active_call() is None)
    simulator.sim.faults.clear()
    await line.hang_up_locked(call, "canceled")
    accepted = (call.tracker.hung_up_by_us, simulator.server.active_call() is None)
    assert (refused, accepted) == ((False, False), (True, True))


def commands(sim: RunningSimulator, start: int) -> list[str]:
    return [request.command for request in sim.server.requests[start:]]


async def test_ending_the_current_call_hangs_it_up_and_ends_it_once(
    line: Line, publisher: Publisher, simulator: RunningSimulator
) -> None:
    """Before a new call or a logout: one hangUp, the call over here too."""
    await line.keeper.place(DEST, SOURCE, CallMode.SOURCE_FIRST, {"call_id": 1})
    call = follow_new(line)
    start = simulator.server.count()
    await line.end_current_locked()
    assert commands(simulator, start) == ["hangUp"]
    assert simulator.server.active_call() is None
    assert call.tracker.over
    assert call.tracker.hung_up_by_us
    assert publisher.published == [call]


async def test_a_call_the_server_ended_is_left_as_it_is(
    line: Line, publisher: Publisher, simulator: RunningSimulator
) -> None:
    await line.keeper.place(DEST, SOURCE, CallMode.SOURCE_FIRST, {"call_id": 1})
    call = follow_new(line)
    call.tracker.on_status(10, "Busy", wall_time() + 5)
    start = simulator.server.count()
    await line.end_current_locked()
    assert commands(simulator, start) == []
    assert not call.tracker.hung_up_by_us
    assert publisher.published == []


@pytest.mark.parametrize(
    ("failing", "closed"),
    [
        # Error pages for the GUID while a login is answered: a dead GUID.
        (("hangUp", "getStatus"), True),
        # Error pages for every request: an overloaded server.
        (("hangUp", "getStatus", "login"), False),
    ],
)
async def test_a_given_up_call_whose_hang_up_fails_closes_a_dead_session_only(
    line: Line,
    simulator: RunningSimulator,
    failing: tuple[str, ...],
    closed: bool,
) -> None:
    """A call given up on (the API kept failing) blocks no later dial when
    its session is dead: the session is closed the safe way and the next dial
    logs in. An overloaded server raises: the call may still be up."""
    await line.keeper.place(DEST, SOURCE, CallMode.SOURCE_FIRST, {"call_id": 1})
    call = follow_new(line)
    line.end_locally(call, CODE_UNKNOWN)  # given up
    for command in failing:
        simulator.sim.add_fault("http_500", 10, command=command)
    if closed:
        await line.end_current_locked()
    else:
        with pytest.raises(ConnectCallError):
            await line.end_current_locked()
    assert line.keeper.is_open is not closed


async def test_a_waiting_dial_wakes_once_its_call_is_answered_or_over(
    line: Line, publisher: Publisher
) -> None:
    call = follow_new(line)
    call.tracker.on_status(27, "Source alerting", wall_time())
    line.publish(call)
    assert not call.outcome_known.is_set()  # ringing: no outcome yet
    call.tracker.on_status(29, "Destination connected", wall_time())
    line.publish(call)
    assert call.outcome_known.is_set()
    assert publisher.published == [call, call]
