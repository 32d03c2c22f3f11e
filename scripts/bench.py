"""Benchmark: the integration in a real Home Assistant against the simulator.

Prints figures and checks them against the cadence's targets (it never
fails a build). The baseline is what a competent author writes with the
stock ``DataUpdateCoordinator``: ``update_interval`` 1 s, switched on at
the dial (a refresh at once, then the stock scheduler) and off at the first
final status, with the same API client.

Both sides follow the same seeded call timelines at the same moment, each
on an account of its own, in one Home Assistant process: a "lane" is one
account of ours and one of the stock's, and a batch runs one timeline per
lane at once. Two sets:
- short: today's calls of ~14 s (the statuses of a whole call in a burst);
- realistic: the destination rings 5-25 s after the dial, then 30-90 s of
  talk; a quarter are never answered (the server gives up after 20-30 s).
  Nothing is compressed: the lanes run side by side instead. Three seeds.
Per status kind (alerting, answered, ended; the status at the dial apart):
latency from the server's change to the entity's state, p50/p95/max;
statuses never shown; requests per call and per minute of call; requests
outside calls; for the integration, event-loop CPU per poll and a few calls
at a 2 s interval.

Run with scripts/bench (Home Assistant 2026.11 from requirements_dev.txt).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Iterable
import contextvars
from dataclasses import dataclass, field
from datetime import timedelta
import logging
import math
import os
from pathlib import Path
import random
import shutil
import statistics
import sys
import tempfile
import time
from typing import Any

from aiohttp import web

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from homeassistant import bootstrap, config_entries  # noqa: E402
from homeassistant.const import __version__ as HA_VERSION  # noqa: E402
from homeassistant.core import Event, EventStateChangedData, HomeAssistant  # noqa: E402
from homeassistant.helpers import entity_registry as er  # noqa: E402
from homeassistant.helpers.aiohttp_client import async_get_clientsession  # noqa: E402
from homeassistant.helpers.update_coordinator import (  # noqa: E402
    DataUpdateCoordinator,
    UpdateFailed,
)
from homeassistant.runner import RuntimeConfig  # noqa: E402

from custom_components.connectcall import api, coordinator as cc  # noqa: E402
from custom_components.connectcall.codes import (  # noqa: E402
    ANSWERED_STATUS_CODES,
    FINAL_STATUS_CODES,
    CallMode,
)
from simulator import SCENARIOS, ConnectCallServer, Simulator, create_app  # noqa: E402

SOURCE = "0201234567"
SHORT_LENGTH = 14.0  # seconds from dial to the final status, short set
UNANSWERED_SHARE = 0.25
IDLE_WINDOW = 20.0
# A status that lasted at least this long is one a 0.5 s poll cannot miss.
MISS_LIMIT = 0.6
KINDS = ("alerting", "answered", "ended")

Timeline = tuple[tuple[float, int], ...]
# Which side the running code serves: tasks and timers inherit it, so the
# CPU meter counts the integration's polls only.
SIDE: contextvars.ContextVar[str] = contextvars.ContextVar("side", default="")


def short_timeline(rng: random.Random) -> Timeline:
    """A type-1 call of ~14 s: source rings, answers; destination rings, answers.

    27 source alerting, 28 source connected, 26 destination alerting, 29
    destination connected, 9 clients connected, 30 destination ended. 28
    and 29 last only 0.3-1.5 s, so any 1 s poller can miss them. The
    changes fall anywhere within a poll interval.
    """
    at = rng.uniform(1.5, 4.0)
    steps = [(0.0, 27), (at, 28)]
    at += rng.uniform(0.3, 1.5)
    steps.append((at, 26))
    at += rng.uniform(1.5, 4.0)
    steps.append((at, 29))
    at += rng.uniform(0.3, 1.5)
    steps.append((at, 9))
    steps.append((SHORT_LENGTH + rng.uniform(-0.5, 0.5), 30))
    return tuple(steps)


def realistic_timeline(rng: random.Random) -> Timeline:
    """A call as people make them: rings 5-25 s, talks 30-90 s, or no answer.

    The source answers 1.5-4 s after the dial, the destination rings
    0.3-1.5 s later; it answers 5-25 s after the dial (29, then 9 within
    0.3-1.5 s) and the talk lasts 30-90 s (30: the destination hangs up).
    A quarter are never answered: the server ends them with 11 after
    20-30 s.
    """
    at = rng.uniform(1.5, 4.0)
    steps = [(0.0, 27), (at, 28)]
    at += rng.uniform(0.3, 1.5)
    steps.append((at, 26))
    if rng.random() < UNANSWERED_SHARE:
        steps.append((max(at + 1.0, rng.uniform(20.0, 30.0)), 11))
        return tuple(steps)
    at = max(at + 1.0, rng.uniform(5.0, 25.0))
    steps.append((at, 29))
    at += rng.uniform(0.3, 1.5)
    steps.append((at, 9))
    steps.append((at + rng.uniform(30.0, 90.0), 30))
    return tuple(steps)


def stream(seed: int, purpose: str) -> random.Random:
    """A reproducible random stream of its own per purpose.

    One stream for timelines and offsets would correlate them (the stock's
    offsets drawn from the numbers that also timed the first calls).
    """
    return random.Random(f"{seed}/{purpose}")  # noqa: S311 - not secrets


def kind_of(index: int, code: int) -> str | None:
    """A status's kind; None for the one at the dial (reported apart)."""
    if index == 0:
        return None
    if code in FINAL_STATUS_CODES:
        return "ended"
    if code in ANSWERED_STATUS_CODES or code == 28:  # 28: the source answered
        return "answered"
    return "alerting"


@dataclass
class Shown:
    """One status of a timeline as one side showed it."""

    code: int
    kind: str | None
    lasted: float  # how long the server reported it (inf: final)
    latency: float | None  # None: never shown, a miss


@dataclass
class CallResult:
    """One call as one side saw it."""

    length: float
    requests: int
    statuses: list[Shown]


@dataclass
class Side:
    """One side's calls of one set."""

    name: str
    calls: list[CallResult] = field(default_factory=list)

    def latencies(self, kind: str | None = "all") -> list[float]:
        return [
            s.latency
            for c in self.calls
            for s in c.statuses
            if s.latency is not None and kind in ("all", s.kind)
        ]

    def missed(self, kind: str | None = "all") -> list[Shown]:
        return [
            s
            for c in self.calls
            for s in c.statuses
            if s.latency is None and kind in ("all", s.kind)
        ]

    def count(self, kind: str | None = "all") -> int:
        return sum(1 for c in self.calls for s in c.statuses if kind in ("all", s.kind))

    @property
    def requests(self) -> float:
        return statistics.mean(c.requests for c in self.calls)

    @property
    def per_minute(self) -> float:
        return sum(c.requests for c in self.calls) / (
            sum(c.length for c in self.calls) / 60
        )


class Recorder:
    """When each watched entity showed each status code (state_changed)."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.seen: dict[str, list[tuple[float, int]]] = {}
        hass.bus.async_listen("state_changed", self._changed)

    def _changed(self, event: Event[EventStateChangedData]) -> None:
        seen = self.seen.get(event.data["entity_id"])
        new = event.data["new_state"]
        if seen is None or new is None:
            return
        code = new.attributes.get("status_code")
        if code is not None and (not seen or seen[-1][1] != code):
            seen.append((time.monotonic(), code))

    def watch(self, entity_id: str) -> list[tuple[float, int]]:
        return self.seen.setdefault(entity_id, [])


def shown(call: Any, seen: list[tuple[float, int]]) -> list[Shown]:
    """Per status of the call: latency (shown - server change), or None: a miss.

    A status counts as shown when the entity showed its code at or after
    the server's change to it (a late showing counts, with its latency).
    """
    out: list[Shown] = []
    steps = call.timeline
    for index, (offset, code) in enumerate(steps):
        changed = call.started + offset
        times = [t for t, c in seen if c == code and t >= changed - 0.001]
        lasted = steps[index + 1][0] - offset if index + 1 < len(steps) else math.inf
        out.append(
            Shown(
                code,
                kind_of(index, code),
                lasted,
                times[0] - changed if times else None,
            )
        )
    return out


def pct(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


class CpuMeter:
    """Event-loop time in the poll path's synchronous parts (outermost only).

    Counts only work done for the integration's side (``SIDE``): the stock
    side shares the client code and runs at the same time.
    """

    def __init__(self) -> None:
        self.total = 0.0
        self.polls = 0
        self._depth = 0

    def wrap(self, owner: Any, name: str, count: bool = False) -> None:
        original: Callable[..., Any] = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            if SIDE.get() != "ours":
                return original(*args, **kwargs)
            self._depth += 1
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self._depth -= 1
                if not self._depth:  # publish writes the state itself
                    self.total += time.perf_counter() - start
                self.polls += count

        setattr(owner, name, timed)

    @property
    def per_poll_ms(self) -> float:
        return self.total / max(self.polls, 1) * 1000


async def start_ha(config_dir: Path) -> HomeAssistant:
    """A real Home Assistant, bootstrapped as `hass -c DIR --skip-pip` would."""
    (config_dir / "configuration.yaml").write_text(
        "homeassistant:\n  time_zone: Europe/Amsterdam\nlogger:\n  default: critical\n"
    )
    hass = await bootstrap.async_setup_hass(
        RuntimeConfig(config_dir=str(config_dir), skip_pip=True)
    )
    assert hass is not None
    await hass.async_start()
    return hass


class Ours:
    """The integration as shipped on one account, set up through its config flow."""

    def __init__(self, hass: HomeAssistant, user: str) -> None:
        self.hass, self.user = hass, user
        self.entry: Any = None
        self.entity_id = ""

    async def setup(self, url: str) -> None:
        flow = await self.hass.config_entries.flow.async_init(
            "connectcall", context={"source": config_entries.SOURCE_USER}
        )
        result = await self.hass.config_entries.flow.async_configure(
            flow["flow_id"],
            {"username": self.user, "password": "pw", "url": url, "source": SOURCE},
        )
        await self.hass.async_block_till_done()
        self.entry = result["result"]
        entity_id = er.async_get(self.hass).async_get_entity_id(
            "sensor", "connectcall", f"{self.entry.entry_id}_call_status"
        )
        assert entity_id is not None
        self.entity_id = entity_id

    @property
    def requests(self) -> int:
        return int(self.entry.runtime_data.keeper.client.request_count)

    def set_interval(self, interval: float) -> None:
        self.hass.config_entries.async_update_entry(
            self.entry, options={"source": SOURCE, "poll_interval": interval}
        )

    async def dial(self, destination: str) -> None:
        await self.hass.services.async_call(
            "connectcall",
            "dial",
            {"destination": destination, "config_entry_id": self.entry.entry_id},
            blocking=True,
        )

    async def unload(self) -> None:
        await self.hass.config_entries.async_unload(self.entry.entry_id)


class Stock:
    """The baseline: a stock DataUpdateCoordinator, polling during calls only.

    What a competent author writes: the same client; a dial logs in (first
    call) or connects (later calls), sets ``update_interval`` to 1 s and
    refreshes at once (the stock scheduler then refreshes every second,
    aligned to whole seconds plus its offset, seeded here); the first final
    status sets ``update_interval`` back to None, so the scheduler stops.
    The listener writes the state as a CoordinatorEntity would.
    """

    def __init__(
        self, hass: HomeAssistant, url: str, user: str, rng: random.Random
    ) -> None:
        self.hass = hass
        self.client = api.ConnectCallClient(
            async_get_clientsession(hass), user, "pw", url
        )
        self.session: api.Session | None = None
        self.coordinator: DataUpdateCoordinator[int | None] = DataUpdateCoordinator(
            hass,
            logging.getLogger("bench.stock"),
            config_entry=None,
            name=f"stock {user}",
            update_interval=None,
            update_method=self._update,
        )
        # Home Assistant draws this offset at random: seeded, for a rerun.
        self.coordinator._microsecond = rng.randint(50_000, 500_000) / 10**6
        self.coordinator.async_add_listener(self._write_state)
        self.entity_id = f"sensor.stock_{user}_call_status"

    @property
    def requests(self) -> int:
        return self.client.request_count

    async def _update(self) -> int | None:
        assert self.session is not None
        try:
            status = await self.client.get_status(self.session)
        except api.ConnectCallError as err:
            raise UpdateFailed(str(err)) from err
        if status is None:  # 105: unchanged
            return self.coordinator.data
        if status.is_final:
            self.coordinator.update_interval = None
        return status.code

    def _write_state(self) -> None:
        code = self.coordinator.data
        self.hass.states.async_set(self.entity_id, str(code), {"status_code": code})

    async def dial(self, destination: str) -> None:
        mode = CallMode.SOURCE_FIRST
        if self.session is None:
            self.session = await self.client.login(destination, SOURCE, mode)
        else:
            await self.client.connect(self.session, destination, SOURCE, mode)
        self.coordinator.update_interval = timedelta(seconds=1)
        await self.coordinator.async_refresh()

    async def unload(self) -> None:
        await self.coordinator.async_shutdown()
        if self.session is not None:
            await self.client.close(self.session, hang_up=False)


@dataclass
class Lane:
    """One account on each side; each dials its own number."""

    index: int
    ours: Ours
    stock: Stock

    def destination(self, side: str) -> str:
        return f"06{1 if side == 'ours' else 2}{self.index:07d}"


class Bench:
    """The simulator, Home Assistant, the lanes and the meters."""

    def __init__(self, hass: HomeAssistant, sim: Simulator, url: str) -> None:
        self.hass, self.sim, self.url = hass, sim, url
        self.recorder = Recorder(hass)
        self.cpu = CpuMeter()
        self.cpu.wrap(api, "parse_reply")
        self.cpu.wrap(cc.ConnectCallCoordinator, "publish", count=True)
        self.cpu.wrap(cc.ConnectCallCoordinator, "async_set_updated_data")
        self.lanes: list[Lane] = []
        self.scenarios = 0

    async def add_lanes(self, count: int, rng: random.Random) -> None:
        for index in range(count):
            for side in ("ours", "stock"):
                self.sim.server.accounts[f"{side}{index}"] = "pw"
            ours = Ours(self.hass, f"ours{index}")
            await ours.setup(self.url)
            stock = Stock(self.hass, self.url, f"stock{index}", rng)
            self.recorder.watch(ours.entity_id)
            self.recorder.watch(stock.entity_id)
            self.lanes.append(Lane(index, ours, stock))

    async def batch(
        self,
        timelines: list[Timeline],
        rng: random.Random,
        sides: Iterable[str] = ("ours", "stock"),
    ) -> dict[str, Side]:
        """One timeline per lane, all at once; each side dials at a seeded phase."""
        results = {side: Side(side) for side in sides}
        jobs = []
        for lane, steps in zip(self.lanes, timelines, strict=False):
            self.scenarios += 1
            name = f"bench{self.scenarios}"
            SCENARIOS[name] = steps
            phase = rng.random()  # within the second: the stock grid's phase
            for side in results:
                self.sim.server.scenarios[lane.destination(side)] = name
                jobs.append(self._call(lane, side, steps, phase))
        for side, result in await asyncio.gather(*jobs):
            results[side].calls.append(result)
        return results

    async def _call(
        self, lane: Lane, side: str, steps: Timeline, phase: float
    ) -> tuple[str, CallResult]:
        SIDE.set(side)  # this task's polls (and their timers) inherit it
        runner: Ours | Stock = lane.ours if side == "ours" else lane.stock
        destination = lane.destination(side)
        await asyncio.sleep((phase - time.monotonic()) % 1.0)
        before = runner.requests
        await runner.dial(destination)
        call = next(
            c for c in reversed(self.sim.server.calls) if c.destination == destination
        )
        assert call.timeline == steps
        seen = self.recorder.watch(runner.entity_id)
        last = call.started + steps[-1][0]
        # Until the final status shows (or 12 s after it: a miss).
        while time.monotonic() < last + 12.0:
            if seen and seen[-1][1] == steps[-1][1] and seen[-1][0] >= last - 0.001:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # a request after the final status would show
        return side, CallResult(
            steps[-1][0], runner.requests - before, shown(call, seen)
        )

    def requests(self) -> int:
        return sum(lane.ours.requests + lane.stock.requests for lane in self.lanes)


def fmt_ms(values: list[float]) -> str:
    if not values:
        return "-"
    return " / ".join(
        f"{v * 1000:.0f}" for v in (pct(values, 0.5), pct(values, 0.95), max(values))
    )


def row(label: str, *cells: str) -> None:
    print(f"  {label:<40}" + "".join(f"{c:>22}" for c in cells))


def misses_cell(side: Side, kind: str | None = "all") -> str:
    missed = side.missed(kind)
    long = sum(1 for s in missed if s.lasted >= MISS_LIMIT)
    return f"{len(missed)} of {side.count(kind)} ({long} >= {MISS_LIMIT} s)"


def table(title: str, ours: Side, stock: Side | None) -> None:
    sides = [ours] + ([stock] if stock else [])
    print(f"\n{title}")
    row("", *("this integration", "stock coordinator")[: len(sides)])
    row(
        "at the dial: latency p50 / p95 / max ms",
        *(fmt_ms(s.latencies(None)) for s in sides),
    )
    for kind in KINDS:
        row(
            f"{kind}: latency p50 / p95 / max ms",
            *(fmt_ms(s.latencies(kind)) for s in sides),
        )
    row("statuses missed", *(misses_cell(s) for s in sides))
    row(
        "requests per call: mean (min-max)",
        *(
            f"{s.requests:.1f} ({min(c.requests for c in s.calls)}"
            f"-{max(c.requests for c in s.calls)})"
            for s in sides
        ),
    )
    row("requests per minute of call", *(f"{s.per_minute:.1f}" for s in sides))


def realistic_checks(label: str, ours: Side, stock: Side) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    for kind in ("alerting", "answered"):
        a, b = pct(ours.latencies(kind), 0.5), pct(stock.latencies(kind), 0.5)
        out.append(
            (
                f"{label}: {kind} p50 {a * 1000:.0f} <= half the stock's"
                f" {b * 500:.0f} ms",
                a <= b / 2,
            )
        )
    p95 = pct(ours.latencies("answered"), 0.95)
    out.append((f"{label}: answered p95 {p95 * 1000:.0f} <= 600 ms", p95 <= 0.6))
    long = sum(1 for s in ours.missed() if s.lasted >= MISS_LIMIT)
    out.append(
        (f"{label}: {long} statuses missed that lasted >= {MISS_LIMIT} s", long == 0)
    )
    out.append(
        (
            f"{label}: requests per call {ours.requests:.1f} <= the stock's"
            f" {stock.requests:.1f}",
            ours.requests <= stock.requests,
        )
    )
    a, b = pct(ours.latencies("ended"), 0.5), pct(stock.latencies("ended"), 0.5)
    b95 = pct(stock.latencies("ended"), 0.95)
    out.append(
        (
            f"{label}: ended p50 {a * 1000:.0f} <= the stock's {b * 1000:.0f}"
            f" + its p95 {b95 * 1000:.0f} ms",
            a <= b + b95,
        )
    )
    return out


def report(  # noqa: PLR0917 - the run's figures, in the order printed
    args: argparse.Namespace,
    short: dict[str, Side],
    realistic: list[dict[str, Side]],
    slow: dict[str, Side],
    idle: int,
    cpu_ms: float,
) -> list[tuple[str, bool]]:
    """Print the tables; the targets, each met or not."""
    verdicts: list[tuple[str, bool]] = []
    table(
        f"Short timelines ({args.calls} calls of ~{SHORT_LENGTH:.0f} s,"
        f" seed {args.seed}), interval 1 s:",
        short["ours"],
        short["stock"],
    )
    verdicts.append(
        (
            f"short: requests per call {short['ours'].requests:.1f}"
            f" <= 2 x the stock's {short['stock'].requests:.1f}",
            short["ours"].requests <= 2 * short["stock"].requests,
        )
    )
    a, b = pct(short["ours"].latencies(), 0.5), pct(short["stock"].latencies(), 0.5)
    verdicts.append(
        (f"short: latency p50 {a * 1000:.0f} <= the stock's {b * 1000:.0f} ms", a <= b)
    )
    for seed, sides in zip(range(args.seed, args.seed + 3), realistic, strict=True):
        table(
            f"Realistic timelines, seed {seed} ({args.lanes} calls), interval 1 s:",
            sides["ours"],
            sides["stock"],
        )
        verdicts += realistic_checks(f"seed {seed}", sides["ours"], sides["stock"])
    table(
        f"This integration at 2 s, {args.slow_calls} short timelines:",
        slow["ours"],
        None,
    )
    print()
    row("requests outside calls (20 s after)", str(idle))
    verdicts.append((f"{idle} requests outside calls", idle == 0))
    row("event-loop CPU per poll (parse + state)", f"{cpu_ms:.3f} ms")
    verdicts.append(
        (
            f"CPU per poll {cpu_ms:.3f} ms within 0.40-0.56 ms x 1.2",
            cpu_ms <= 0.56 * 1.2,
        )
    )
    return verdicts


async def main(args: argparse.Namespace) -> None:
    started = time.monotonic()
    sim = Simulator(ConnectCallServer(accounts={}))
    runner = web.AppRunner(create_app(sim), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/api/"
    print(
        f"Connect Call benchmark: Home Assistant {HA_VERSION}, simulator at {url};"
        f" {args.calls} short and 3 x {args.lanes} realistic timelines per side"
        f" (seeds {args.seed}, {args.seed + 1}, {args.seed + 2})",
        flush=True,
    )
    config_dir = Path(tempfile.mkdtemp(prefix="connectcall-bench-"))
    (config_dir / "custom_components").symlink_to(REPO / "custom_components")
    hass = await start_ha(config_dir)
    bench = Bench(hass, sim, url)
    await bench.add_lanes(
        max(args.calls, args.lanes), stream(args.seed, "stock offsets")
    )
    total_before = sim.server.count(), bench.requests()

    timelines = stream(args.seed, "short")
    short_timelines = [short_timeline(timelines) for _ in range(args.calls)]
    short = await bench.batch(short_timelines, stream(args.seed, "short phases"))
    print("  short set: done", flush=True)
    realistic: list[dict[str, Side]] = []
    for seed in range(args.seed, args.seed + 3):
        timelines = stream(seed, "realistic")
        calls = [realistic_timeline(timelines) for _ in range(args.lanes)]
        realistic.append(await bench.batch(calls, stream(seed, "realistic phases")))
        print(f"  realistic set, seed {seed}: done", flush=True)
    for lane in bench.lanes:
        lane.ours.set_interval(2)
    slow = await bench.batch(
        short_timelines[: args.slow_calls],
        stream(args.seed, "slow phases"),
        sides=("ours",),
    )

    before = sim.server.count(), bench.requests()
    await asyncio.sleep(IDLE_WINDOW)
    idle = sim.server.count() - before[0]
    # Every request the server saw came from a lane: nothing else asked.
    assert sim.server.count() - total_before[0] == bench.requests() - total_before[1]
    for lane in bench.lanes:
        await lane.ours.unload()
        await lane.stock.unload()
    await hass.async_stop()
    await runner.cleanup()
    shutil.rmtree(config_dir, ignore_errors=True)

    verdicts = report(args, short, realistic, slow, idle, bench.cpu.per_poll_ms)
    print("\nTargets:")
    for label, ok in verdicts:
        print(f"  {'met    ' if ok else 'NOT MET'}  {label}")
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(
        f"\nRun took {time.monotonic() - started:.0f} s; load average (1, 5, 15 min):"
        f" {load} on {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=12, help="short timelines")
    parser.add_argument("--lanes", type=int, default=16, help="realistic, per seed")
    parser.add_argument("--slow-calls", type=int, default=4, help="ours at 2 s")
    parser.add_argument("--seed", type=int, default=2026)
    asyncio.run(main(parser.parse_args()))
