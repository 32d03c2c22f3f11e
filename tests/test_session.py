"""The session keeper (the rules of call safety) against the simulator.

No Home Assistant object is involved: the keeper gets the client and an
in-memory store, as the library-style design intends; every assertion is
on what the server received and placed, and on what the store keeps.
"""

from __future__ import annotations

from collections.abc import Callable
import copy
from typing import Any

from aiohttp import ClientSession
import pytest

from custom_components.connectcall.api import (
    ConnectCallClient,
    ConnectCallCommandError,
)
from custom_components.connectcall.codes import CallMode
from custom_components.connectcall.session import (
    CallMayBePlacedError,
    Placement,
    SessionKeeper,
    SessionLostError,
)
from simulator.core import command_of

from .helpers import PASSWORD, USERNAME, FakeClock, MemoryStore, RunningSimulator

A, B = "0611111111", "0622222222"
SRC = "0201234567"
# The record of a call being placed (see CallTracker.snapshot).
PLACING = {"call_id": 1, "dialled": 0.0, "progressed": False, "counted": False}


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def keeper(
    simulator: RunningSimulator, http: ClientSession, store: MemoryStore
) -> SessionKeeper:
    return SessionKeeper(
        ConnectCallClient(http, USERNAME, PASSWORD, simulator.url), store
    )


@pytest.fixture
async def used_keeper(keeper: SessionKeeper) -> SessionKeeper:
    """The keeper once its session's first call (to A) is over: the next
    placement reuses the session."""
    await keeper.place(A, SRC, CallMode.SOURCE_FIRST, PLACING)
    await keeper.hang_up()
    return keeper


def sent(sim: RunningSimulator) -> list[str]:
    return [r.command for r in sim.server.requests]


def placed(sim: RunningSimulator) -> list[str]:
    return [c.destination for c in sim.server.calls]


async def test_a_login_then_connect_in_the_same_session(
    keeper: SessionKeeper, simulator: RunningSimulator, store: MemoryStore
) -> None:
    assert await keeper.place(A, SRC, CallMode.SOURCE_FIRST, PLACING) == (
        Placement.LOGIN,
        None,
    )
    assert keeper.is_open
    assert store.data is not None
    guid = store.data["guid"]
    await keeper.hang_up()
    assert await keeper.place(B, SRC, CallMode.SIMULTANEOUS, PLACING) == (
        Placement.CONNECT,
        None,
    )
    assert sent(simulator) == ["login", "hangUp", "connect"]
    assert placed(simulator) == [A, B]
    assert store.data["guid"] == guid


@pytest.mark.parametrize("fault", ["drop_after", "http_500", "garbage"])
async def test_an_unanswered_login_is_never_sent_again(
    keeper: SessionKeeper, simulator: RunningSimulator, store: MemoryStore, fault: str
) -> None:
    """The server may have placed the call: fail, never log in again."""
    simulator.sim.add_fault(fault, command="login")
    with pytest.raises(CallMayBePlacedError):
        await keeper.place(A, SRC, CallMode.SOURCE_FIRST, PLACING)
    assert sent(simulator) == ["login"]
    assert len(placed(simulator)) <= 1
    assert not keeper.is_open
    assert not (store.data or {}).get("guid")


async def test_an_unanswered_connect_is_checked_and_followed(
    used_keeper: SessionKeeper, simulator: RunningSimulator
) -> None:
    simulator.sim.add_fault("drop_after", command="connect")
    placement, status = await used_keeper.place(B, SRC, CallMode.SOURCE_FIRST, PLACING)
    assert placement is Placement.UNCONFIRMED
    assert status is not None
    assert not status.is_final  # the new call, ringing
    assert sent(simulator) == ["login", "hangUp", "connect", "getStatus"]
    assert placed(simulator) == [A, B]
    assert used_keeper.is_open


async def test_a_refused_connect_in_a_live_session_is_no_session_loss(
    used_keeper: SessionKeeper, simulator: RunningSimulator
) -> None:
    """104 to connect while getStatus still answers: a refusal, no login."""
    simulator.server.behaviour.refuse_number = B
    with pytest.raises(ConnectCallCommandError) as err:
        await used_keeper.place(B, SRC, CallMode.SOURCE_FIRST, PLACING)
    assert err.value.code == 104
    assert sent(simulator) == ["login", "hangUp", "connect", "getStatus"]
    assert placed(simulator) == [A]
    assert used_keeper.is_open


async def test_a_confirmed_loss_logs_in_once(
    used_keeper: SessionKeeper, simulator: RunningSimulator
) -> None:
    simulator.server.expire_sessions()
    assert await used_keeper.place(B, SRC, CallMode.SOURCE_FIRST, PLACING) == (
        Placement.LOGIN,
        None,
    )
    assert sent(simulator) == ["login", "hangUp", "connect", "getStatus", "login"]
    assert placed(simulator) == [A, B]


async def test_one_lost_code_to_a_poll_is_not_a_loss(
    keeper: SessionKeeper, simulator: RunningSimulator
) -> None:
    await keeper.place(A, SRC, CallMode.SOURCE_FIRST, PLACING)
    simulator.sim.forced = (101, "Failed")
    with pytest.raises(SessionLostError):
        await keeper.get_status()  # 101, confirmed by a second 101
    assert sent(simulator) == ["login", "getStatus", "getStatus"]
    assert not keeper.is_open


async def test_a_lost_code_answered_by_a_status_keeps_the_session(
    keeper: SessionKeeper, simulator: RunningSimulator
) -> None:
    await keeper.place(A, SRC, CallMode.SOURCE_FIRST, PLACING)
    simulator.sim.add_fault("http_500", command="getStatus")
    with pytest.raises(Exception):  # noqa: B017, PT011 - an HTTP error, not a loss
        await keeper.get_status()
    assert (await keeper.get_status()) is not None
    assert keeper.is_open


async def test_close_forgets_the_guid_only_once_the_server_answered(
    keeper: SessionKeeper, simulator: RunningSimulator, store: MemoryStore
) -> None:
    await keeper.place(A, SRC, CallMode.SOURCE_FIRST, PLACING)
    assert store.data is not None
    guid = store.data["guid"]
    # (aiohttp re-sends a dropped hangUp or end once: both may repeat)
    simulator.sim.add_fault("drop", 10)
    assert await keeper.close() is False
    assert store.data == {"guid": guid, "call": PLACING}
    simulator.sim.faults.clear()
    assert await keeper.close() is True
    assert store.data == {}
    assert sent(simulator)[-2:] == ["hangUp", "end"]


async def test_leave_keeps_everything_and_sends_nothing(
    keeper: SessionKeeper, simulator: RunningSimulator, store: MemoryStore
) -> None:
    await keeper.place(A, SRC, CallMode.SOURCE_FIRST, PLACING)
    keeper.track({"call_id": 1, "dialled": 1.0})
    before = simulator.server.count()
    await keeper.leave()
    assert simulator.server.count() == before
    assert store.data is not None
    assert store.data["call"] == {"call_id": 1, "dialled": 1.0}


async def test_resume_follows_a_call_in_progress(
    simulator: RunningSimulator, http: ClientSession, store: MemoryStore
) -> None:
    first = SessionKeeper(
        ConnectCallClient(http, USERNAME, PASSWORD, simulator.url), store
    )
    await first.place(A, SRC, CallMode.SOURCE_FIRST, PLACING)
    first.track({"call_id": 1, "dialled": 0.0, "progressed": True})
    await first.leave()
    second = SessionKeeper(
        ConnectCallClient(http, USERNAME, PASSWORD, simulator.url), store
    )
    resumed = await second.left.resume()
    assert resumed is not None
    assert resumed.call == {"call_id": 1, "dialled": 0.0, "progressed": True}
    assert second.is_open
    assert sent(simulator) == ["login", "getStatus"]


async def test_resume_ends_a_session_whose_call_is_over(
    simulator: RunningSimulator,
    http: ClientSession,
    store: MemoryStore,
    clock: FakeClock,
) -> None:
    first = SessionKeeper(
        ConnectCallClient(http, USERNAME, PASSWORD, simulator.url), store
    )
    await first.place(A, SRC, CallMode.SOURCE_FIRST, PLACING)
    await first.hang_up()
    first.track({"call_id": 1, "dialled": 0.0, "progressed": True})
    await first.leave()
    second = SessionKeeper(
        ConnectCallClient(http, USERNAME, PASSWORD, simulator.url), store
    )
    assert await second.left.resume() is None
    assert not second.is_open
    assert store.data == {}
    assert sent(simulator)[-2:] == ["getStatus", "end"]


class LoggingStore(MemoryStore):
    """Keeps what each save wrote, and how many requests the server had then."""

    def __init__(self, simulator: RunningSimulator) -> None:
        super().__init__()
        self.simulator = simulator
        self.log: list[tuple[dict[str, Any], int]] = []

    async def async_save(self, data: dict[str, Any]) -> None:
        await super().async_save(data)
        self.log.append((data, self.simulator.server.count()))


@pytest.mark.parametrize("second_call", [False, True], ids=["login", "connect"])
async def test_a_call_being_placed_is_written_before_its_request(
    simulator: RunningSimulator, http: ClientSession, second_call: bool
) -> None:
    """A crash while ``login`` or ``connect`` is out must find the call in
    the store: written (not merely scheduled) before the request is sent,
    then kept as the call in progress."""
    store = LoggingStore(simulator)
    keeper = SessionKeeper(
        ConnectCallClient(http, USERNAME, PASSWORD, simulator.url), store
    )
    if second_call:
        await keeper.place(B, SRC, CallMode.SOURCE_FIRST, {"call_id": 0})
        await keeper.hang_up()
        keeper.track(None)
    before = simulator.server.count()
    await keeper.place(A, SRC, CallMode.SOURCE_FIRST, PLACING)
    written = [count for data, count in store.log if data.get("placing") == PLACING]
    assert written == [before]
    assert store.data is not None
    assert store.data["call"] == PLACING
    assert "placing" not in store.data


@pytest.mark.parametrize("second_call", [False, True], ids=["login", "connect"])
async def test_a_refused_placement_drops_its_record(
    keeper: SessionKeeper,
    simulator: RunningSimulator,
    store: MemoryStore,
    second_call: bool,
) -> None:
    """Refused: nothing was placed, nothing is left to look for."""
    if second_call:
        await keeper.place(B, SRC, CallMode.SOURCE_FIRST, {"call_id": 0})
        await keeper.hang_up()
        keeper.track(None)
    simulator.server.behaviour.refuse_number = A
    with pytest.raises(ConnectCallCommandError):
        await keeper.place(A, SRC, CallMode.SOURCE_FIRST, PLACING)
    assert "placing" not in (store.data or {})
    assert (store.data or {}).get("call") is None


async def test_resume_follows_the_call_a_crash_left_being_placed(
    simulator: RunningSimulator, http: ClientSession, store: MemoryStore
) -> None:
    """A crash during ``connect``: the session's call is the one being placed."""
    first = SessionKeeper(
        ConnectCallClient(http, USERNAME, PASSWORD, simulator.url), store
    )
    await first.place(A, SRC, CallMode.SOURCE_FIRST, {"call_id": 0})
    assert store.data is not None
    crashed = {"guid": store.data["guid"], "call": None, "placing": PLACING}
    second = SessionKeeper(
        ConnectCallClient(http, USERNAME, PASSWORD, simulator.url),
        MemoryStore(crashed),
    )
    resumed = await second.left.resume()
    assert resumed is not None
    assert resumed.call == PLACING
    assert second.left.placed_unseen is None


async def test_resume_after_a_crash_during_login_reports_the_call_unseen(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    """No GUID came back: nothing to ask the server; the call is reported
    as one that may ring, once (the record is dropped)."""
    store = MemoryStore({"placing": PLACING})
    keeper = SessionKeeper(
        ConnectCallClient(http, USERNAME, PASSWORD, simulator.url), store
    )
    assert await keeper.left.resume() is None
    assert keeper.left.placed_unseen == PLACING
    assert not keeper.is_open
    assert store.data == {}
    assert sent(simulator) == []


class DiskStore(MemoryStore):
    """A delayed save never lands (a crash comes first); a save does."""

    def async_delay_save(
        self, data_func: Callable[[], dict[str, Any]], delay: float = 0
    ) -> None:
        self.saves += 1


async def test_a_lost_session_is_forgotten_on_disk_before_the_login(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    """connect answers 104 and getStatus confirms the loss: the login that
    follows may place a call. A crash while it is out must find no session
    on disk, only the call being placed, so the next start reports it as a
    call that may ring."""
    store = DiskStore()
    keeper = SessionKeeper(
        ConnectCallClient(http, USERNAME, PASSWORD, simulator.url), store
    )
    await keeper.place(B, SRC, CallMode.SOURCE_FIRST, {"call_id": 1})
    await keeper.hang_up()
    simulator.server.expire_sessions()
    answer = simulator.server.answer
    on_disk: list[dict[str, Any] | None] = []

    def spy(query: Any) -> tuple[int, str]:
        if command_of(query) == "login":
            on_disk.append(copy.deepcopy(store.data))
        return answer(query)

    simulator.server.answer = spy  # type: ignore[method-assign]
    await keeper.place(A, SRC, CallMode.SOURCE_FIRST, PLACING)
    assert on_disk == [{"placing": PLACING}]
    after = SessionKeeper(
        ConnectCallClient(http, USERNAME, PASSWORD, simulator.url),
        MemoryStore(on_disk[0]),
    )
    assert await after.left.resume() is None
    assert after.left.placed_unseen == PLACING
