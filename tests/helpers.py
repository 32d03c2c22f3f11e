"""Helpers the test modules share, all of them (fixtures live in conftest.py).

No test module imports another: what two modules need lives here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
import ssl
from typing import Any

from aiohttp import web
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.homeassistant.exposed_entities import (
    async_expose_entity,
)
from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER
from homeassistant.const import (
    EVENT_HOMEASSISTANT_STOP,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import (
    Context,
    Event,
    HomeAssistant,
    ServiceCall,
    State,
    callback,
)
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr, entity_registry as er, llm
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.event import (
    EventStateChangedData,
    async_track_state_change_event,
)
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_fire_time_changed_exact,
    async_mock_service,
)

from custom_components.connectcall.const import DOMAIN
from simulator import ConnectCallServer, Simulator
from simulator.core import command_of

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


async def drain(hass: HomeAssistant) -> None:
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
    raise AssertionError("drain: a request is still in flight")


async def tick(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float = 1
) -> None:
    """Move time on, fire what is due, wait for the polls it started.

    Exact: the plain helper moves a time in the first half of a second to
    its middle, firing a timer up to 0.5 s early (the cadence's are 0.5 s).
    """
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed_exact(hass)
    await drain(hass)


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


# Numbers the tests dial besides DEST.
B = "0687654321"
C = "0611111111"
D = "0698765432"
MUM = "+31611112222"  # as saved (normalised)
MUM_AS_TYPED = "+31 6 1111 2222"  # what the user types in the contact flow
ZOE = "0622223333"
# The "answered" scenario: 29 at 8 s, 30 at 39 s. Polled every 3 s once
# connected and quiet (cadence.py), its end shows at 41 s: 33 s talked, as
# measured.
TALKED = 33.0

BLUEPRINTS = Path(__file__).parent.parent / "blueprints"


# Time.


async def until_done[T](
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    coro: Awaitable[T],
    *,
    step: float = 0.5,
    limit: float = 60,
) -> T:
    """Run ``coro`` while the clock moves in steps (a late answer is due)."""
    task = asyncio.ensure_future(coro)
    waited = 0.0
    while not task.done() and waited < limit:
        await advance(hass, freezer, step)
        waited += step
    assert task.done(), "still waiting"
    return task.result()


async def run(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: int
) -> None:
    for _ in range(seconds):
        await tick(hass, freezer)


async def run_clock(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: int
) -> None:
    """Let time pass while an automation waits inside an action.

    block_till_done would wait for that automation run itself, so only the
    loop is spun: each turn polls the loopback sockets.
    """
    for _ in range(seconds):
        freezer.tick(timedelta(seconds=1))
        async_fire_time_changed(hass)
        for _ in range(100):
            await asyncio.sleep(0)


# The actions.


async def dial(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    data.setdefault("destination", DEST)
    response = await hass.services.async_call(
        DOMAIN, "dial", data, blocking=True, return_response=True
    )
    assert isinstance(response, dict)
    return response


async def dial_scenario(
    hass: HomeAssistant, sim: RunningSimulator, scenario: str, **data: Any
) -> dict[str, Any]:
    """The server plays ``scenario`` from now on (this call and the next); dial."""
    sim.server.default_scenario = scenario
    return await dial(hass, **data)


async def while_time_runs[T](
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    coro: Coroutine[Any, Any, T],
    seconds: int = 200,
) -> T:
    """Await an action that waits for its call (``wait``) while the clock
    runs in 1 s ticks, each with its polls answered."""
    # Not a tracked task: block_till_done must not wait for it.
    task = asyncio.create_task(coro)
    await drain(hass)
    for _ in range(seconds):
        await tick(hass, freezer)
        if task.done():
            break
    assert task.done(), "the action did not return"
    return task.result()


async def dial_waiting(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: int = 200, **data: Any
) -> dict[str, Any]:
    """Dial with wait=true while the clock runs, until the action returns."""
    return await while_time_runs(hass, freezer, dial(hass, wait=True, **data), seconds)


async def call_contact_waiting(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, **data: Any
) -> dict[str, Any]:
    """call_contact with wait=true while the clock runs, until it returns."""
    return await while_time_runs(hass, freezer, call_contact(hass, wait=True, **data))


async def call_contact(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, "call_contact", data, blocking=True, return_response=True
    )
    assert isinstance(response, dict)
    return response


async def hang_up(hass: HomeAssistant) -> None:
    await hass.services.async_call(DOMAIN, "hang_up", blocking=True)


async def one_call_over(hass: HomeAssistant) -> None:
    """A call placed and hung up; its session stays open, so the next dial
    reuses it (and may see that call's last status linger)."""
    await dial(hass)
    await hang_up(hass)


async def fails(coro: Any) -> str | None:
    """Await an action that must fail; its translation key."""
    with pytest.raises(HomeAssistantError) as err:
        await coro
    return err.value.translation_key


async def stop_home_assistant(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Home Assistant stops: its stop event, then the entry's unload."""
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def restart(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Unload and set up again, as a restart of Home Assistant does."""
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


# What the server saw.


def commands(sim: RunningSimulator) -> list[str]:
    return [r.command for r in sim.server.requests]


def since(sim: RunningSimulator, start: int) -> list[str]:
    """The commands the server received after the first ``start`` requests."""
    return commands(sim)[start:]


def calls_placed(sim: RunningSimulator) -> list[str]:
    return [call.destination for call in sim.server.calls]


def active(sim: RunningSimulator, index: int = -1) -> bool:
    """The server's call ``index`` still rings or talks."""
    return sim.server.calls[index].active(sim.server.clock())


def hung_up_at_server(sim: RunningSimulator, index: int = -1) -> bool:
    return sim.server.calls[index].status(sim.server.clock()) == 4


def never_two_at_once(sim: RunningSimulator) -> list[int]:
    """Record, at every request the server handles, how many calls are up."""
    server = sim.server
    answer = server.answer
    seen: list[int] = []

    def patched(query: Any) -> tuple[int, str]:
        result = answer(query)
        now = server.clock()
        seen.append(sum(1 for call in server.calls if call.active(now)))
        return result

    server.answer = patched  # type: ignore[method-assign]
    return seen


# A server worse than the simulator.


def answer_late(sim: RunningSimulator, command: str, seconds: float) -> None:
    """The server acts on the next ``command`` at once and answers it
    ``seconds`` later."""
    sim.sim.delay = seconds
    sim.sim.add_fault("late", command=command)


def answer_next(sim: RunningSimulator, command: str, *codes: int) -> None:
    """The next requests of ``command`` get these codes instead of the
    server's own answer (the server does not act on them)."""
    server = sim.server
    answer = server.answer
    pending = list(codes)

    def patched(query: Any) -> tuple[int, str]:
        if pending and command_of(query) == command:
            return pending.pop(0), "x"
        return answer(query)

    server.answer = patched  # type: ignore[method-assign]


# Assertions.


async def assert_hang_up_ends_it(
    hass: HomeAssistant, sim: RunningSimulator, entry: MockConfigEntry
) -> None:
    """The hang_up action reaches the call: over at the server, and shown."""
    await hang_up(hass)
    assert sim.server.active_call() is None
    assert call_status(hass, entry) == "hung_up"


async def assert_dials_go_on(hass: HomeAssistant, sim: RunningSimulator) -> None:
    """Two dials in a row succeed: nothing is stuck until a reload."""
    for _ in range(2):
        start = sim.server.count()
        key = None
        try:
            await dial(hass, destination=B)
        except HomeAssistantError as err:
            key = err.translation_key
        assert key is None, f"dial failed ({key}); server saw {since(sim, start)}"


# Events, totals and stored records.


class EventLog:
    """The account's call event entity: the events it fires, in order (the
    last one restored at a reload is not fired again)."""

    def __init__(self, hass: HomeAssistant, entry: MockConfigEntry) -> None:
        self.events: list[dict[str, Any]] = []

        @callback
        def _changed(event: Event[EventStateChangedData]) -> None:
            old, new = event.data["old_state"], event.data["new_state"]
            if new is None or new.state in (STATE_UNKNOWN, STATE_UNAVAILABLE):
                return
            if old is None or old.state == STATE_UNAVAILABLE:
                return  # restored as the entity is added, not fired
            self.events.append(dict(new.attributes))

        async_track_state_change_event(
            hass, entity_id_of(hass, entry, "event", "call"), _changed
        )

    @property
    def types(self) -> list[str]:
        return [event["event_type"] for event in self.events]


def ended(events: list[Event[Any]]) -> list[dict[str, Any]]:
    return [dict(event.data) for event in events]


def totals(hass: HomeAssistant, entry: MockConfigEntry) -> tuple[int, float]:
    """(calls, seconds talked) as the sensors show them (talk time in min)."""
    calls = state_of(hass, entity_id_of(hass, entry, "sensor", "calls"))
    talk = state_of(hass, entity_id_of(hass, entry, "sensor", "talk_time"))
    assert talk.attributes["unit_of_measurement"] == "min"
    return int(calls.state), round(float(talk.state) * 60, 1)


def stored_call(hass_storage: dict[str, Any], entry: MockConfigEntry) -> dict[str, Any]:
    """The call record the session keeper stored for a restart."""
    call = hass_storage[f"{DOMAIN}.{entry.entry_id}"]["data"]["call"]
    assert isinstance(call, dict)
    return call


# Contacts.


async def add_contact(hass: HomeAssistant, entry: MockConfigEntry, **data: str) -> str:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "contact"), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], data
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result.get("errors")
    await hass.async_block_till_done()
    return next(
        sub_id for sub_id, sub in entry.subentries.items() if sub.title == data["name"]
    )


async def try_add_contact(
    hass: HomeAssistant, entry: MockConfigEntry, **data: str
) -> bool:
    """Run the contact flow; whether it created the contact."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "contact"), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], data
    )
    await hass.async_block_till_done()
    return result["type"] is FlowResultType.CREATE_ENTRY


async def reconfigure_contact(
    hass: HomeAssistant, entry: MockConfigEntry, sub_id: str, **data: str
) -> dict[str, Any]:
    """Run the contact's reconfigure flow; its last result."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "contact"),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": sub_id},
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], data
    )
    await hass.async_block_till_done()
    return dict(result)


def contact_button(
    hass: HomeAssistant, entry: MockConfigEntry, subentry_id: str
) -> str | None:
    return er.async_get(hass).async_get_entity_id(
        "button", DOMAIN, f"{entry.entry_id}_{subentry_id}_call"
    )


def button_of(hass: HomeAssistant, entry: MockConfigEntry, name: str) -> str | None:
    """The call button of the entry's contact called ``name``."""
    sub_id = next(s for s, sub in entry.subentries.items() if sub.title == name)
    return contact_button(hass, entry, sub_id)


def set_aliases(
    hass: HomeAssistant, entry: MockConfigEntry, name: str, *aliases: str
) -> None:
    """Voice aliases on the contact's Call button, as its settings save them."""
    button = button_of(hass, entry, name)
    assert button is not None
    er.async_get(hass).async_update_entity(button, aliases=list(aliases))


# The Assist LLM tools.

CALL = "connectcall__call_contact"
HANG_UP = "connectcall__hang_up"
STATUS = "connectcall__call_status"
LLM_CONTEXT = llm.LLMContext(
    platform="test",
    context=Context(),
    language="en",
    assistant="conversation",
    device_id=None,
)


def expose(hass: HomeAssistant, *entity_ids: str | None) -> None:
    for entity_id in entity_ids:
        assert entity_id is not None
        async_expose_entity(hass, "conversation", entity_id, True)


async def our_tools(hass: HomeAssistant) -> tuple[llm.APIInstance, dict[str, llm.Tool]]:
    """The Assist API for the context, and this integration's tools in it."""
    api = await llm.async_get_api(hass, llm.LLM_API_ASSIST, LLM_CONTEXT)
    return api, {t.name: t for t in api.tools if t.name.startswith("connectcall__")}


async def use(hass: HomeAssistant, name: str, **args: Any) -> llm.ToolResult:
    """Call a tool as an agent does: through the Assist API's instance."""
    api, _ = await our_tools(hass)
    return await api.async_call_tool(llm.ToolInput(tool_name=name, tool_args=args))


# Automations: the triggers and conditions as a user sets them up.

CHECK = "connectcall_test_check"  # the event that runs the condition checks


async def set_up_automations(
    hass: HomeAssistant, automations: dict[str, dict[str, Any]]
) -> list[ServiceCall]:
    """Automations by alias: their triggers (default: the event ``CHECK``)
    and conditions; each run records its alias and its trigger's data."""
    runs = async_mock_service(hass, "test", "record")
    config = [
        {
            "alias": alias,
            "triggers": spec.get(
                "triggers", [{"trigger": "event", "event_type": CHECK}]
            ),
            "conditions": spec.get("conditions", []),
            "actions": [
                {
                    "action": "test.record",
                    "data": {"alias": alias, "trigger": "{{ trigger }}"},
                }
            ],
        }
        for alias, spec in automations.items()
    ]
    assert await async_setup_component(hass, "automation", {"automation": config})
    await hass.async_block_till_done()
    return runs


def on(trigger: str, **spec: Any) -> dict[str, Any]:
    """An automation (for ``set_up_automations``) that ``connectcall.<trigger>``
    triggers, with these options or target."""
    return {"triggers": [{"trigger": f"connectcall.{trigger}", **spec}]}


def ran(runs: list[ServiceCall], alias: str) -> list[dict[str, Any]]:
    """The trigger data of each run of the automation ``alias``."""
    return [dict(run.data["trigger"]) for run in runs if run.data["alias"] == alias]


async def check(hass: HomeAssistant, runs: list[ServiceCall], alias: str) -> bool:
    """Fire ``CHECK``: whether ``alias``'s conditions let it run."""

    def count() -> int:
        return sum(run.data["alias"] == alias for run in runs)

    before = count()
    hass.bus.async_fire(CHECK)
    await hass.async_block_till_done()
    return count() > before


def device_of(
    hass: HomeAssistant, entry: MockConfigEntry, subentry_id: str | None = None
) -> str:
    """The device ID of the account, or of its contact ``subentry_id``."""
    identifier = (
        entry.entry_id if subentry_id is None else f"{entry.entry_id}_{subentry_id}"
    )
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, identifier), entry.entry_id
    )
    assert device is not None
    return device.id


def answer_105(
    server: ConnectCallServer, *, after: float = 0, until: float = 1e9
) -> None:
    """getStatus answers 105 (NoChanges) from ``after`` until ``until``
    seconds after the last call began; every other request as before."""
    answer = server.answer

    def unchanged(query: Any) -> tuple[int, str]:
        if query.get("cmd") == "getStatus" and (
            after <= server.clock() - server.calls[-1].started < until
        ):
            return 105, "NoChanges"
        result: tuple[int, str] = answer(query)
        return result

    server.answer = unchanged  # type: ignore[method-assign]


def left_session(sim: RunningSimulator, destination: str = "0612345678") -> str:
    """A session with a call, logged in as an earlier run (or an older
    version) left it: its GUID, for the store to hold."""
    code, guid = sim.server.handle(
        {
            "login": USERNAME,
            "password": PASSWORD,
            "dest": destination,
            "source": SOURCE,
            "type": "1",
        }
    )
    assert code == 103
    return guid


class MemoryStore:
    """A SessionStore in memory; a delayed save is a save here."""

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        self.data = data
        self.saves = 0

    async def async_load(self) -> dict[str, Any] | None:
        return self.data

    async def async_save(self, data: dict[str, Any]) -> None:
        self.data, self.saves = data, self.saves + 1

    def async_delay_save(
        self, data_func: Callable[[], dict[str, Any]], delay: float = 0
    ) -> None:
        self.data, self.saves = data_func(), self.saves + 1

    async def async_remove(self) -> None:
        self.data = None


def placements(hass: HomeAssistant) -> list[asyncio.Task[Any]]:
    """The placements in flight (each a task of its own, ``placing.py``)."""
    return [
        task
        for task in asyncio.all_tasks(hass.loop)
        if task.get_name() == f"{DOMAIN} dial" and not task.done()
    ]


async def milestone_automations(hass: HomeAssistant) -> list[ServiceCall]:
    """One automation per milestone trigger (call_started, call_answered,
    call_ended), each counting its runs (see ``ran``)."""
    return await set_up_automations(
        hass,
        {
            name: {"triggers": [{"trigger": f"connectcall.call_{name}"}]}
            for name in ("started", "answered", "ended")
        },
    )
