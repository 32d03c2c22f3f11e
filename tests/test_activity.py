"""What a call's milestones do (activity.py): totals, signals, the bus event.

The milestones are given (``call.Milestones`` decides them); these tests pin
what each one is turned into, once.
"""

from __future__ import annotations

import asyncio

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.connectcall.activity import CALL_MILESTONE, CallMilestone
from custom_components.connectcall.cadence import Cadence
from custom_components.connectcall.call import (
    MILESTONE_ANSWERED,
    MILESTONE_ENDED,
    MILESTONE_STARTED,
    CallTracker,
    Milestones,
)
from custom_components.connectcall.const import DOMAIN, EVENT_CALL_ENDED
from custom_components.connectcall.line import FollowedCall

from .helpers import DEST

T0 = 1_750_000_000.0


def followed() -> FollowedCall:
    tracker = CallTracker(
        call_id=1, destination=DEST, dialled=T0, reused_session=False, contact="Mum"
    )
    return FollowedCall(
        tracker, Milestones(), Cadence(1.0), asyncio.get_running_loop().time()
    )


async def test_each_milestone_is_signalled_and_counted(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    activity = init_integration.runtime_data.activity
    signals: list[CallMilestone] = []

    @callback
    def _on(milestone: CallMilestone) -> None:
        signals.append(milestone)

    async_dispatcher_connect(hass, CALL_MILESTONE, _on)
    ended = async_capture_events(hass, EVENT_CALL_ENDED)
    calls = activity.totals.calls
    call = followed()
    activity.tell(call, (MILESTONE_STARTED,))
    call.tracker.on_status(9, "Clients connected", T0 + 5)
    activity.tell(call, (MILESTONE_ANSWERED,))
    call.tracker.on_status(30, "Destination ended", T0 + 65)
    activity.tell(call, (MILESTONE_ENDED,))
    await hass.async_block_till_done()
    assert [s.kind for s in signals] == ["started", "answered", "ended"]
    assert {(s.destination, s.contact) for s in signals} == {(DEST, "Mum")}
    assert (signals[-1].outcome, signals[-1].duration) == ("answered", 60.0)
    assert all(s.state is not None for s in signals)
    assert activity.totals.calls == calls + 1
    assert activity.totals.talk_time == 60.0
    assert [(e.data["outcome"], e.data["duration"]) for e in ended] == [
        ("answered", 60.0)
    ]
    assert activity.outcomes.by_number[DEST].outcome == "answered"


async def test_nothing_due_tells_nothing(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    activity = init_integration.runtime_data.activity
    ended = async_capture_events(hass, EVENT_CALL_ENDED)
    calls = activity.totals.calls
    activity.tell(followed(), ())
    await hass.async_block_till_done()
    assert (activity.totals.calls, ended) == (calls, [])


async def test_a_funds_code_raises_the_repair_and_an_answer_clears_it(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    activity = init_integration.runtime_data.activity
    issue_id = f"insufficient_funds_{init_integration.entry_id}"
    call = followed()
    call.tracker.on_status(16, "Insufficient funds", T0 + 2)
    activity.tell(call, ())
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    answered = followed()
    answered.tracker.on_status(9, "Clients connected", T0 + 5)
    activity.tell(answered, (MILESTONE_ANSWERED,))
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
