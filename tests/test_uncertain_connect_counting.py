"""A call whose ``connect`` got no answer (settled by getStatus,
``Placement.SETTLED``): counted and announced once it shows progress of its
own, and never when it did not ring (the previous call's codes are not its
progress), also across restarts."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.connectcall.const import EVENT_CALL_ENDED

from .conftest import DEST, RunningSimulator, settle, tick
from .helpers import (
    MUM,
    TALKED,
    B,
    D,
    add_contact,
    answer_next,
    call_contact,
    calls_placed,
    dial,
    ended,
    hang_up,
    never_two_at_once,
    restart,
    run,
    stored_call,
    totals,
)


async def test_connect_the_server_never_saw_is_not_counted(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Was a bug (lower severity, a design choice worth revisiting). A
    ``connect`` whose connection drops before the server acts on it (fault
    ``drop``: the server places nothing) is settled by getStatus, which shows
    the session alive with the previous call's final code (NO_CALL). The
    keeper takes that as "placed": Calls counts a dial the server never
    accepted, and 3 s later (lag guard) a ``connectcall_call_ended`` with
    outcome ``ended`` is fired for a call that never rang (an automation
    "notify me when the call to B ended" fires for nothing). The response
    says the call is placed (status ``hung_up``, no error).

    Fix: when the settling getStatus shows a final code, count (and announce)
    the call only once it shows progress (a non-final code), or fail the dial
    with ``call_uncertain``; count at certainty, not at the attempt.

    Found by a hostile review (round 3, on call_contact, the totals, the call-ended
    event, the logbook and the Assist tools)."""
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    await dial(hass)
    await hang_up(hass)
    ha_sim.sim.add_fault("drop", command="connect")
    # An honest "may have placed the call" error would be fine.
    with contextlib.suppress(HomeAssistantError):
        await dial(hass, destination=B)
    await run(hass, freezer, 10)
    assert calls_placed(ha_sim) == [DEST]  # B never rang
    assert [e["destination"] for e in ended(events)] == [DEST], ended(events)
    assert totals(hass, init_integration)[0] == 1


async def test_dropped_connect_answer_counts_and_announces_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """call_contact into a reused session whose connect answer is dropped:
    settled by getStatus, followed, counted once, announced once, by name.

    Pinned by a hostile review (round 3): an attack that held."""
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    await add_contact(hass, init_integration, name="Mum", number=MUM)
    await dial(hass)
    await hang_up(hass)
    ha_sim.sim.add_fault("drop_after", command="connect")
    await call_contact(hass, contact="mum")
    assert ha_sim.server.count("connect") == 1
    await run(hass, freezer, 45)
    assert calls_placed(ha_sim) == [DEST, MUM]
    assert [(e["destination"], e["contact"], e["outcome"]) for e in ended(events)] == [
        (DEST, None, "canceled"),
        (MUM, "Mum", "answered"),
    ]
    assert totals(hass, init_integration) == (2, TALKED)


async def test_lingering_talk_of_the_previous_call_is_no_settled_calls_progress(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Was a bug. A lagging server (``hangup_effective`` False: hangUp answers 100,
    the call goes on a while). A talking call; the user dials B; the dial's
    hangUp is accepted, the previous call is announced; ``connect`` is lost
    before the server acts on it (fault ``drop``: B never rings). The settling
    getStatus shows the previous call's 9 (talking): SETTLED. The first poll's
    9 is a non-final code, which ``CallTracker.progressed`` takes as B's own:
    B is counted, shown answered, and when the previous call ends (30) a
    ``connectcall_call_ended`` for B "answered" with its talk time fires,
    while B never rang (the previous call's talk is counted twice).

    Fix: for a SETTLED call, do not take a code as progress while it can be
    the previous call's (e.g. the settle's getStatus showed a non-final code
    right after our hang-up was accepted: fail with ``call_uncertain``, or
    count only a code that differs from the previous call's last one).

    Found by a hostile review (round 4, on the third round's fixes)."""
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    ha_sim.server.behaviour.hangup_effective = False
    await dial(hass)
    await run(hass, freezer, 12)  # talking (9)
    ha_sim.sim.add_fault("drop", command="connect")
    # An honest "may have placed the call" error would be fine too.
    with contextlib.suppress(HomeAssistantError):
        await dial(hass, destination=B)
    await run(hass, freezer, 45)
    assert calls_placed(ha_sim) == [DEST]  # B never rang
    assert [e["destination"] for e in ended(events)] == [DEST], ended(events)
    assert totals(hass, init_integration)[0] == 1


async def test_settled_call_superseded_before_its_first_poll_is_counted(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Was a bug. Two dials at once (two automations, an agent retrying): the
    first's ``connect`` is acted on but its answer is lost (``drop_after``):
    B rings; the settle's getStatus sees B's own 27 (a non-final code): the
    call is SETTLED, not yet counted. The second dial, queued on the lock,
    gets it before the first dial's own first poll: it hangs B up, which ends
    B locally without any poll fed to its tracker: ``progressed`` is False,
    so B (placed, rung, hung up by us) is never counted nor announced: the
    Calls total misses a dial the server accepted.

    Fix: feed the settle's getStatus to the new call's tracker (a non-final
    code there is progress), or count a SETTLED call the settle saw busy.

    Found by a hostile review (round 4, on the third round's fixes)."""
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    await dial(hass)
    await hang_up(hass)
    up = never_two_at_once(ha_sim)
    ha_sim.sim.add_fault("drop_after", command="connect")
    first = asyncio.create_task(dial(hass, destination=B))
    second = asyncio.create_task(dial(hass, destination=D))
    await settle(hass)
    await asyncio.gather(first, second)
    await run(hass, freezer, 45)
    assert max(up) == 1
    assert calls_placed(ha_sim) == [DEST, B, D]
    assert [e["destination"] for e in ended(events)] == [DEST, B, D], ended(events)
    assert totals(hass, init_integration)[0] == 3


async def test_restart_before_a_settled_call_progressed_does_not_count_it(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Was a bug. ``connect`` is lost before the server acts (``drop``): SETTLED,
    uncounted (the third round's fix). Home Assistant restarts within the
    3 s lag guard; the server answers the resume's getStatus 105 ("no
    changes": the last getStatus already saw the previous call's 4), so the
    call is followed again, uncounted (``counted`` False restored: right).
    But ``CallTracker.restore`` builds the tracker with ``reused_session``
    False: ``progressed`` is True at once, so the next poll's 4 (the previous
    call's end) is trusted as B's own end, and ``_publish`` counts B and
    announces it ("canceled", contact/destination B): a call that never rang.

    Fix: keep ``progressed`` in the snapshot (or restore a tracker of a
    reused session as reused: the lag guard then counts from ``dialled``).

    Found by a hostile review (round 4, on the third round's fixes)."""
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    await dial(hass)
    await hang_up(hass)
    ha_sim.sim.add_fault("drop", command="connect")
    with contextlib.suppress(HomeAssistantError):
        await dial(hass, destination=B)
    answer_next(ha_sim, "getStatus", 105)  # the resume's getStatus
    await restart(hass, init_integration)
    await run(hass, freezer, 10)
    assert calls_placed(ha_sim) == [DEST]  # B never rang
    assert [e["destination"] for e in ended(events)] == [DEST], ended(events)
    assert totals(hass, init_integration)[0] == 1


async def test_settled_real_call_restarted_before_progress_counts_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """connect acted on, its answer lost; the settle and the first poll are
    made to see only the previous call's 4: SETTLED, uncounted, stored so.
    A restart: the resumed run sees B ringing, counts it once, announces
    it once; a further restart counts nothing more.

    Pinned by a hostile review (round 4): an attack that held."""
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    await dial(hass)
    await hang_up(hass)
    ha_sim.sim.add_fault("drop_after", command="connect")
    answer_next(ha_sim, "getStatus", 4, 4)
    await dial(hass, destination=B)
    await tick(hass, freezer, 0)  # the delay-0 writes
    assert totals(hass, init_integration)[0] == 1
    assert stored_call(hass_storage, init_integration)["counted"] is False
    await restart(hass, init_integration)
    await run(hass, freezer, 2)
    await tick(hass, freezer, 0)
    assert totals(hass, init_integration)[0] == 2
    assert stored_call(hass_storage, init_integration)["counted"] is True
    await restart(hass, init_integration)
    await run(hass, freezer, 45)
    assert [e["destination"] for e in ended(events)] == [DEST, B]
    assert totals(hass, init_integration) == (2, TALKED)


async def test_settled_call_answered_at_once_counts_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Simultaneous mode (answered at 4 s), connect's answer lost: counted at
    its first own code, answered, announced once with the talk time.

    Pinned by a hostile review (round 4): an attack that held."""
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    await dial(hass)
    await hang_up(hass)
    ha_sim.sim.add_fault("drop_after", command="connect")
    await dial(hass, destination=B, mode="simultaneous")
    await run(hass, freezer, 45)
    seen = [(e["destination"], e["outcome"], e["duration"]) for e in ended(events)]
    assert seen == [(DEST, "canceled", 0), (B, "answered", TALKED)]
    assert totals(hass, init_integration) == (2, TALKED)


async def test_unplaced_settled_call_superseded_is_never_counted(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """connect lost before the server acted; a new dial at once hangs the
    phantom up: it is neither counted nor announced; the new call is.

    Pinned by a hostile review (round 4): an attack that held."""
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    await dial(hass)
    await hang_up(hass)
    ha_sim.sim.add_fault("drop", command="connect")
    await dial(hass, destination=B)
    await dial(hass, destination=D)
    await run(hass, freezer, 45)
    assert calls_placed(ha_sim) == [DEST, D]
    assert [e["destination"] for e in ended(events)] == [DEST, D]
    assert totals(hass, init_integration) == (2, TALKED)


async def test_unplaced_settled_call_given_up_is_never_counted(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """connect lost before the server acted, then the API fails 5 min: the
    phantom is given up uncounted, unannounced; a restart adds nothing.

    Pinned by a hostile review (round 4): an attack that held."""
    events = async_capture_events(hass, EVENT_CALL_ENDED)
    await dial(hass)
    await hang_up(hass)
    ha_sim.sim.add_fault("drop", command="connect")
    await dial(hass, destination=B)
    ha_sim.sim.add_fault("http_500", 400, command="getStatus")
    await run(hass, freezer, 310)
    ha_sim.sim.faults.clear()
    await restart(hass, init_integration)
    await run(hass, freezer, 10)
    assert [e["destination"] for e in ended(events)] == [DEST]
    assert totals(hass, init_integration)[0] == 1
