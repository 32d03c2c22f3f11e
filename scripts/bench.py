"""Benchmark: the integration in a real Home Assistant against the simulator.

Prints figures (not pass/fail). The baseline is what a competent author
writes with the stock ``DataUpdateCoordinator``: ``update_interval`` 1 s,
switched on at the dial (a refresh at once, then the stock scheduler) and
off at the first final status, with the same API client. Both follow the
same seeded call timelines, paired call by call in one Home Assistant
process: which statuses each showed (a status never shown is a miss),
status latency, requests per call and outside calls; for the integration
also event-loop CPU per poll, setup time, dial-to-request time and a few
calls at a 2 s interval.

Run with scripts/bench (Home Assistant 2026.11 from requirements_dev.txt);
``scripts/bench --calls 20`` for more pairs.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
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
from custom_components.connectcall.codes import CallMode  # noqa: E402
from simulator import SCENARIOS, ConnectCallServer, Simulator, create_app  # noqa: E402

USER, PASSWORD, SOURCE = "bench", "bench&pw", "0201234567"
DESTINATION = "0612345678"
CALL_LENGTH = 14.0  # seconds from dial to the final status
IDLE_WINDOW = 20.0
BASELINE_ENTITY = "sensor.stock_coordinator_call_status"

Timeline = tuple[tuple[float, int], ...]


def timeline(rng: random.Random) -> Timeline:
    """A type-1 call: source rings, answers; destination rings, answers; ends.

    27 source alerting, 28 source connected, 26 destination alerting, 29
    destination connected, 9 clients connected, 30 destination ended. 28
    and 29 last only 0.3-1.5 s (the next step follows quickly), so some
    last less than a 1 s poll interval: any 1 s poller can miss them. The
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
    steps.append((CALL_LENGTH + rng.uniform(-0.5, 0.5), 30))
    return tuple(steps)


@dataclass
class CallResult:
    """One call as one side saw it."""

    length: float
    requests: int
    dial_to_request_ms: float
    # Per status of the timeline: its code, and when it was shown after the
    # server's change (seconds), or None: never shown, a miss.
    shown: list[tuple[int, float | None]]

    @property
    def latencies(self) -> list[float]:
        return [lat for _, lat in self.shown if lat is not None]

    @property
    def missed(self) -> list[int]:
        return [code for code, lat in self.shown if lat is None]


@dataclass
class Side:
    """One side's calls, in timeline order."""

    name: str
    interval: float
    calls: list[CallResult] = field(default_factory=list)
    idle_requests: int = 0

    @property
    def latencies(self) -> list[float]:
        return [lat for call in self.calls for lat in call.latencies]

    @property
    def missed(self) -> list[int]:
        return [code for call in self.calls for code in call.missed]

    @property
    def statuses(self) -> int:
        return sum(len(c.latencies) + len(c.missed) for c in self.calls)


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


def shown(call: Any, seen: list[tuple[float, int]]) -> list[tuple[int, float | None]]:
    """Per status of the call: latency (shown - server change), or None: a miss.

    A status counts as shown when the entity showed its code at or after
    the server's change to it (a late showing counts, with its latency).
    """
    out: list[tuple[int, float | None]] = []
    for offset, code in call.timeline:
        changed = call.started + offset
        times = [t for t, c in seen if c == code and t >= changed - 0.001]
        out.append((code, times[0] - changed if times else None))
    return out


def pct(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


class CpuMeter:
    """Event-loop time in the poll path's synchronous parts (outermost only)."""

    def __init__(self) -> None:
        self.total = 0.0
        self.polls = 0
        self.active = False
        self._depth = 0

    def wrap(self, owner: Any, name: str, count: bool = False) -> None:
        original: Callable[..., Any] = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            if not self.active:
                return original(*args, **kwargs)
            self._depth += 1
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self._depth -= 1
                if not self._depth:  # _publish writes the state itself
                    self.total += time.perf_counter() - start
                self.polls += count

        setattr(owner, name, timed)


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
    """The integration as shipped, set up through its config flow."""

    def __init__(self, hass: HomeAssistant, sim: Simulator, recorder: Recorder):
        self.hass, self.sim, self.recorder = hass, sim, recorder
        self.cpu = CpuMeter()
        self.cpu.wrap(api, "parse_reply")
        self.cpu.wrap(cc.ConnectCallCoordinator, "publish", count=True)
        self.cpu.wrap(cc.ConnectCallCoordinator, "async_set_updated_data")
        self.setup_s = 0.0
        self.entry: Any = None
        self.seen: list[tuple[float, int]] = []

    async def setup(self, url: str) -> None:
        started = time.monotonic()
        flow = await self.hass.config_entries.flow.async_init(
            "connectcall", context={"source": config_entries.SOURCE_USER}
        )
        result = await self.hass.config_entries.flow.async_configure(
            flow["flow_id"],
            {"username": USER, "password": PASSWORD, "url": url, "source": SOURCE},
        )
        await self.hass.async_block_till_done()
        self.setup_s = time.monotonic() - started
        self.entry = result["result"]
        sensor = er.async_get(self.hass).async_get_entity_id(
            "sensor", "connectcall", f"{self.entry.entry_id}_call_status"
        )
        assert sensor is not None
        self.seen = self.recorder.watch(sensor)

    @property
    def requests(self) -> int:
        return self.entry.runtime_data.client.request_count

    def set_interval(self, interval: float) -> None:
        self.hass.config_entries.async_update_entry(
            self.entry, options={"source": SOURCE, "poll_interval": interval}
        )

    async def dial(self) -> None:
        await self.hass.services.async_call(
            "connectcall", "dial", {"destination": DESTINATION}, blocking=True
        )

    async def unload(self) -> None:
        await self.hass.config_entries.async_unload(self.entry.entry_id)


class Stock:
    """The baseline: a stock DataUpdateCoordinator, polling during calls only.

    What a competent author writes: the same client; a dial logs in (first
    call) or connects (later calls), sets ``update_interval`` to 1 s and
    refreshes at once (the stock scheduler then refreshes every second,
    aligned to whole seconds plus a random offset); the first final status
    sets ``update_interval`` back to None, so the scheduler stops. The
    listener writes the state as a CoordinatorEntity would.
    """

    def __init__(self, hass: HomeAssistant, url: str, recorder: Recorder):
        self.hass = hass
        self.client = api.ConnectCallClient(
            async_get_clientsession(hass), USER, PASSWORD, url
        )
        self.session: api.Session | None = None
        self.coordinator: DataUpdateCoordinator[int | None] = DataUpdateCoordinator(
            hass,
            logging.getLogger("bench.stock"),
            config_entry=None,
            name="stock",
            update_interval=None,
            update_method=self._update,
        )
        self.coordinator.async_add_listener(self._write_state)
        self.seen = recorder.watch(BASELINE_ENTITY)

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
        self.hass.states.async_set(BASELINE_ENTITY, str(code), {"status_code": code})

    async def dial(self) -> None:
        mode = CallMode.SOURCE_FIRST
        if self.session is None:
            self.session = await self.client.login(DESTINATION, SOURCE, mode)
        else:
            await self.client.connect(self.session, DESTINATION, SOURCE, mode)
        self.coordinator.update_interval = timedelta(seconds=1)
        await self.coordinator.async_refresh()

    async def unload(self) -> None:
        await self.coordinator.async_shutdown()
        if self.session is not None:
            await self.client.close(self.session, hang_up=False)


async def one_call(
    side: Side, runner: Ours | Stock, sim: Simulator, steps: Timeline
) -> None:
    """Dial once on ``steps``; wait until a poll after the final status."""
    SCENARIOS["bench"] = steps
    before = sim.server.count()
    mine = runner.requests
    asked = time.monotonic()
    await runner.dial()
    arrived = sim.server.requests[before].at  # the login/connect request
    call = sim.server.calls[-1]
    assert call.timeline == steps
    end = call.started + steps[-1][0] + side.interval + 0.5
    await asyncio.sleep(end - time.monotonic())
    requests = sim.server.count() - before
    # Only this side may have asked anything meanwhile.
    assert requests == runner.requests - mine, (side.name, requests)
    side.calls.append(
        CallResult(
            length=steps[-1][0],
            requests=requests,
            dial_to_request_ms=(arrived - asked) * 1000,
            shown=shown(call, runner.seen),
        )
    )


def fmt_ms(values: list[float]) -> str:
    return " / ".join(
        f"{v * 1000:.0f}" for v in (pct(values, 0.5), pct(values, 0.95), max(values))
    )


def row(label: str, *cells: str) -> None:
    print(f"  {label:<44}" + "".join(f"{c:>24}" for c in cells))


def requests_cell(side: Side) -> str:
    per = [c.requests for c in side.calls]
    return f"{min(per)}-{max(per)} (mean {statistics.mean(per):.1f})"


def misses_cell(side: Side) -> str:
    missed = side.missed
    codes = ", ".join(
        f"{code} x{missed.count(code)}"
        for code in sorted(set(missed), key=missed.index)
    )
    return f"{len(missed)} of {side.statuses}" + (f" ({codes})" if codes else "")


def report(
    ours: Side, stock: Side, slow: Side, runner: Ours, timelines: list[Timeline]
) -> None:
    n = len(timelines)
    print(f"\nPer call (paired on the same timeline; interval {ours.interval:.0f} s):")
    print(
        "  #  length  ours: req  missed        stock: req  missed"
        "        ours-stock median latency"
    )
    for i, (a, b) in enumerate(zip(ours.calls, stock.calls, strict=True)):
        diff = (
            statistics.median(a.latencies) - statistics.median(b.latencies)
            if a.latencies and b.latencies
            else math.nan
        )
        print(
            f"  {i + 1:<2} {a.length:5.1f} s  {a.requests:9d}  "
            f"{','.join(map(str, a.missed)) or '-':<12}  {b.requests:10d}  "
            f"{','.join(map(str, b.missed)) or '-':<12}  {diff * 1000:+8.0f} ms"
        )
    bound = [math.ceil(c.length / ours.interval) + 3 for c in ours.calls]
    print(f"\nSide by side, {n} calls each, the same timelines:")
    row("", "this integration", "stock coordinator")
    row("statuses missed (never shown)", misses_cell(ours), misses_cell(stock))
    row(
        "status latency p50 / p95 / max (ms), shown",
        fmt_ms(ours.latencies),
        fmt_ms(stock.latencies),
    )
    first = [
        [c.shown[0][1] for c in s.calls if c.shown[0][1] is not None]
        for s in (ours, stock)
    ]
    row(
        "  of which the first status (at the dial), median",
        *(f"{statistics.median(v) * 1000:.0f} ms" if v else "-" for v in first),
    )
    row(
        f"requests per call (target <= {min(bound)}-{max(bound)})",
        requests_cell(ours),
        requests_cell(stock),
    )
    row(
        f"requests in {IDLE_WINDOW:.0f} s after the calls",
        str(ours.idle_requests),
        str(stock.idle_requests),
    )
    d2r = [[c.dial_to_request_ms for c in s.calls] for s in (ours, stock)]
    row(
        "dial -> request at the server (median, max)",
        *(f"{statistics.median(v):.1f}, {max(v):.1f} ms" for v in d2r),
    )
    cpu = runner.cpu.total / max(runner.cpu.polls, 1) * 1000
    row("event-loop CPU per poll (parse + state write)", f"{cpu:.3f} ms", "-")
    row("setup (probe + entities)", f"{runner.setup_s * 1000:.0f} ms", "-")

    pairs = [
        a - b
        for ca, cb in zip(ours.calls, stock.calls, strict=True)
        for (_, a), (_, b) in zip(ca.shown, cb.shown, strict=True)
        if a is not None and b is not None
    ]
    if pairs:
        faster = sum(d < 0 for d in pairs)
        print(
            f"\nPaired over the {len(pairs)} statuses both showed: ours faster on"
            f" {faster}, stock faster on {len(pairs) - faster}; median ours-stock"
            f" {statistics.median(pairs) * 1000:+.0f} ms"
        )
    if slow.calls:
        print(
            f"\nThis integration at {slow.interval:.0f} s, the first"
            f" {len(slow.calls)} timelines again (no stock counterpart):"
        )
        row("statuses missed (never shown)", misses_cell(slow))
        row("status latency p50 / p95 / max (ms), shown", fmt_ms(slow.latencies))
        bound = [math.ceil(c.length / slow.interval) + 3 for c in slow.calls]
        row(
            f"requests per call (target <= {min(bound)}-{max(bound)})",
            requests_cell(slow),
        )


async def main(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)  # noqa: S311 - reproducible timelines, not secrets
    timelines = [timeline(rng) for _ in range(args.calls)]
    sim = Simulator(
        ConnectCallServer(accounts={USER: PASSWORD}, default_scenario="bench")
    )
    runner = web.AppRunner(create_app(sim), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/api/"
    print(
        f"Connect Call benchmark: Home Assistant {HA_VERSION}, simulator at {url},"
        f" {args.calls} paired calls of ~{CALL_LENGTH:.0f} s (seed {args.seed})"
    )
    config_dir = Path(tempfile.mkdtemp(prefix="connectcall-bench-"))
    (config_dir / "custom_components").symlink_to(REPO / "custom_components")
    hass = await start_ha(config_dir)
    recorder = Recorder(hass)
    mine = Ours(hass, sim, recorder)
    await mine.setup(url)
    stock = Stock(hass, url, recorder)
    ours_side, stock_side = Side("ours", 1.0), Side("stock", 1.0)
    slow_side = Side("ours at 2 s", 2.0)

    mine.set_interval(1)
    for i, steps in enumerate(timelines):
        # Alternate who goes first, so neither always follows the other.
        order = [(ours_side, mine), (stock_side, stock)]
        for side, who in order if i % 2 == 0 else reversed(order):
            mine.cpu.active = who is mine
            await one_call(side, who, sim, steps)
            mine.cpu.active = False
            print(f"  call {i + 1}/{len(timelines)} {side.name}: done", flush=True)
    mine.set_interval(2)
    for steps in timelines[: args.slow_calls]:
        await one_call(slow_side, mine, sim, steps)

    before = sim.server.count(), mine.requests, stock.requests
    await asyncio.sleep(IDLE_WINDOW)
    ours_side.idle_requests = mine.requests - before[1]
    stock_side.idle_requests = stock.requests - before[2]
    assert sim.server.count() - before[0] == (
        ours_side.idle_requests + stock_side.idle_requests
    )
    await mine.unload()
    await stock.unload()
    await hass.async_stop()
    await runner.cleanup()
    shutil.rmtree(config_dir, ignore_errors=True)
    report(ours_side, stock_side, slow_side, mine, timelines)
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"\nLoad average at the end (1, 5, 15 min): {load} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=12, help="paired calls (>= 10)")
    parser.add_argument("--slow-calls", type=int, default=4, help="ours at 2 s")
    parser.add_argument("--seed", type=int, default=2026)
    parsed = parser.parse_args()
    if parsed.calls < 10:
        parser.error("--calls must be at least 10")
    asyncio.run(main(parsed))
