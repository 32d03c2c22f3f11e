"""Soak: thousands of calls through the integration, and accounts kept apart.

Figures, not pass/fail. A real Home Assistant (2026.11) runs the
integration against the project's simulator in one process.

Growth: accounts side by side each place a seeded mix of calls one after
another (answered, busy, not answered, rejected, failed, number lists,
busy retries, hang-ups by the user, a failing status request, a reload of
the entry mid-call). Time is compressed honestly: the calls are short
(ringing and talk of a few seconds), not the clock. After a warm-up and
after each further block of calls it prints asyncio tasks, scheduled
timers, bus and dispatcher listeners, the ``.storage`` files' size,
tracemalloc's top growth in the integration's own files and the RSS, and
the growth per 1,000 calls of each block: blocks of equal length show
whether anything grows with the number of calls.

Accounts apart: ten accounts each follow the same answered calls, once all
healthy and once with one of them on a server that hangs (no answer within
the request time-out) or fails (HTTP 500): the healthy accounts' latency
(the server's change to the entity's state) and requests per call.

Run with scripts/soak; the simulator keeps only the calls still going, so
its own records do not count as growth.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
import gc
import os
from pathlib import Path
import random
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from typing import Any

from aiohttp import web

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import Ours, Recorder, pct, shown, start_ha, stream  # noqa: E402
from homeassistant.const import __version__ as HA_VERSION  # noqa: E402
from homeassistant.core import HomeAssistant  # noqa: E402
from homeassistant.helpers.dispatcher import DATA_DISPATCHER  # noqa: E402

from simulator import SCENARIOS, ConnectCallServer, Simulator, create_app  # noqa: E402

OURS = str(REPO / "custom_components" / "connectcall")
# Short calls: every status a real call shows, in seconds instead of minutes.
SHORT: dict[str, tuple[tuple[float, int], ...]] = {
    "soak_answered": ((0, 27), (0.5, 28), (1, 26), (2, 29), (2.5, 9), (4, 30)),
    "soak_busy": ((0, 27), (0.5, 28), (1, 10)),
    "soak_no_answer": ((0, 27), (0.5, 28), (1, 26), (2.5, 11)),
    "soak_rejected": ((0, 27), (0.5, 28), (1.5, 12)),
    "soak_failed": ((0, 27), (1, 25)),
    "soak_ringing": ((0, 27), (0.5, 28), (1, 26)),
}
KINDS = (
    ("answered", 30),
    ("busy", 10),
    ("no_answer", 10),
    ("rejected", 5),
    ("failed", 5),
    ("list", 10),
    ("retry", 8),
    ("hang_up", 10),
    ("poll_fails", 8),
    ("reload", 4),
)


@dataclass
class Server:
    """A simulator on a port of its own."""

    sim: Simulator
    runner: web.AppRunner
    url: str

    @classmethod
    async def start(cls) -> Server:
        sim = Simulator(ConnectCallServer(accounts={}))
        runner = web.AppRunner(create_app(sim), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return cls(sim, runner, f"http://127.0.0.1:{runner.addresses[0][1]}/api/")

    def forget_finished(self) -> None:
        """Keep only the calls still going: the simulator's records are not
        the integration's growth."""
        server = self.sim.server
        now = server.clock()
        server.calls[:] = [call for call in server.calls if call.active(now)]
        server.requests.clear()


class Account:
    """One account placing its calls one after another."""

    def __init__(self, hass: HomeAssistant, server: Server, index: int) -> None:
        self.hass, self.server, self.index = hass, server, index
        self.ours = Ours(hass, f"soak{index}")
        self.calls = 0

    async def setup(self) -> None:
        self.server.sim.server.accounts[self.ours.user] = "pw"
        await self.ours.setup(self.server.url)

    def number(self, scenario: str, extra: int = 0) -> str:
        """A number of this account that the server answers with ``scenario``."""
        names = list(SHORT)
        number = f"06{self.index:02d}{names.index(scenario)}{extra:05d}"
        self.server.sim.server.scenarios[number] = scenario
        return number

    async def act(self, name: str, **data: Any) -> None:
        await self.hass.services.async_call(
            "connectcall",
            name,
            {"config_entry_id": self.ours.entry.entry_id, **data},
            blocking=True,
        )

    async def call(self, kind: str) -> None:
        """One call (or list) of ``kind``; failures are part of the mix."""
        if kind in ("answered", "busy", "no_answer", "rejected", "failed"):
            await self.act("dial", destination=self.number(f"soak_{kind}"), wait=True)
        elif kind == "list":
            numbers = [self.number("soak_busy"), self.number("soak_answered", 1)]
            await self.act("dial", destination=numbers, wait=True)
        elif kind == "retry":
            await self.act(
                "dial",
                destination=self.number("soak_busy", 2),
                retry_busy=1,
                retry_delay=1,
                wait=True,
            )
        elif kind == "hang_up":
            await self.act("dial", destination=self.number("soak_ringing"))
            await asyncio.sleep(1.5)
            await self.act("hang_up")
        elif kind == "poll_fails":
            self.server.sim.add_fault("http_500", 1, command="getStatus")
            await self.act(
                "dial", destination=self.number("soak_answered", 3), wait=True
            )
        else:  # a reload mid-call: the call is followed again afterwards
            await self.act("dial", destination=self.number("soak_answered", 4))
            await asyncio.sleep(1)
            await self.hass.config_entries.async_reload(self.ours.entry.entry_id)
        self.calls += 1
        # Let the call end before the next one (a dial would hang it up).
        await asyncio.sleep(2)

    async def run(self, count: int, rng: random.Random) -> None:
        kinds, weights = zip(*KINDS, strict=True)
        for _ in range(count):
            try:
                await self.call(rng.choices(kinds, weights)[0])
            except Exception as err:
                print(f"  account {self.index}: {type(err).__name__}: {err}")


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


@dataclass
class Reading:
    """What may grow, at one moment."""

    calls: int
    tasks: int
    timers: int
    bus_listeners: int
    dispatcher_listeners: int
    storage_bytes: int
    rss_kib: int
    snapshot: tracemalloc.Snapshot


def read(hass: HomeAssistant, config_dir: Path, calls: int) -> Reading:
    gc.collect()
    loop = asyncio.get_running_loop()
    dispatcher = hass.data.get(DATA_DISPATCHER, {})
    storage = config_dir / ".storage"
    return Reading(
        calls=calls,
        tasks=len(asyncio.all_tasks()),
        timers=sum(1 for handle in loop._scheduled if not handle.cancelled()),
        bus_listeners=sum(hass.bus.async_listeners().values()),
        dispatcher_listeners=sum(len(jobs) for jobs in dispatcher.values()),
        storage_bytes=sum(path.stat().st_size for path in storage.glob("connectcall*")),
        rss_kib=rss_kib(),
        snapshot=tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(True, f"{OURS}/*")]
        ),
    )


def growth(before: Reading, after: Reading) -> None:
    per = 1000 / max(after.calls - before.calls, 1)
    print(f"  {before.calls} -> {after.calls} calls; growth per 1,000 calls:")
    for name in (
        "tasks",
        "timers",
        "bus_listeners",
        "dispatcher_listeners",
        "storage_bytes",
        "rss_kib",
    ):
        then, now = getattr(before, name), getattr(after, name)
        print(f"    {name:22} {then:>9} -> {now:>9}  ({(now - then) * per:+.1f})")
    stats = after.snapshot.compare_to(before.snapshot, "lineno")
    top = [stat for stat in stats if stat.size_diff > 0][:3]
    print("    tracemalloc, the integration's files, top growth:")
    for stat in top or []:
        frame = stat.traceback[0]
        where = f"{Path(frame.filename).name}:{frame.lineno}"
        print(f"      {where:28} {stat.size_diff * per / 1024:+8.1f} KiB")
    if not top:
        print("      none")


async def soak(args: argparse.Namespace) -> None:
    server = await Server.start()
    config_dir = Path(tempfile.mkdtemp(prefix="connectcall-soak-"))
    (config_dir / "custom_components").symlink_to(REPO / "custom_components")
    SCENARIOS.update(SHORT)
    hass = await start_ha(config_dir)
    accounts = [Account(hass, server, index) for index in range(args.accounts)]
    for account in accounts:
        await account.setup()
    rng = stream(args.seed, "soak")
    per_account = args.block // args.accounts

    async def block(count: int) -> None:
        seeds = [random.Random(rng.random()) for _ in accounts]  # noqa: S311
        await asyncio.gather(
            *(a.run(count, seed) for a, seed in zip(accounts, seeds, strict=True))
        )
        await asyncio.sleep(6)  # the last calls end, their saves land
        server.forget_finished()

    tracemalloc.start()
    started = time.monotonic()
    await block(args.warmup // args.accounts)
    readings = [read(hass, config_dir, sum(a.calls for a in accounts))]
    print(f"Soak: {args.accounts} accounts, warm-up {readings[0].calls} calls")
    for number in range(args.blocks):
        await block(per_account)
        readings.append(read(hass, config_dir, sum(a.calls for a in accounts)))
        print(f"Block {number + 1}:", flush=True)
        growth(readings[-2], readings[-1])
    tracemalloc.stop()
    print(f"Soak took {time.monotonic() - started:.0f} s")
    await hass.async_stop()
    await server.runner.cleanup()
    shutil.rmtree(config_dir, ignore_errors=True)


async def apart(args: argparse.Namespace) -> None:
    """Ten accounts; the healthy ones measured with and without a bad one."""
    healthy, bad = await Server.start(), await Server.start()
    config_dir = Path(tempfile.mkdtemp(prefix="connectcall-apart-"))
    (config_dir / "custom_components").symlink_to(REPO / "custom_components")
    SCENARIOS.update(SHORT)
    SCENARIOS["apart"] = ((0, 27), (1, 28), (2, 26), (6, 29), (7, 9), (12, 30))
    hass = await start_ha(config_dir)
    recorder = Recorder(hass)
    accounts = [Account(hass, healthy, index) for index in range(9)]
    accounts.append(Account(hass, bad, 9))
    for account in accounts:
        await account.setup()
        recorder.watch(account.ours.entity_id)
    print(
        "\nAccounts apart: 9 healthy accounts and one on a server of its own,"
        f" {args.apart_calls} calls each"
    )

    async def measure(label: str) -> None:
        latencies: list[float] = []
        requests: list[int] = []
        for _ in range(args.apart_calls):
            jobs = []
            for account in accounts:
                number = f"07{account.index:02d}000000"
                account.server.sim.server.scenarios[number] = "apart"
                jobs.append(one(account, number))
            for account, result in zip(
                accounts, await asyncio.gather(*jobs), strict=True
            ):
                if account.server is healthy and result is not None:
                    latencies.extend(result[0])
                    requests.append(result[1])
        print(
            f"  {label:34} latency p50 {pct(latencies, 0.5) * 1000:4.0f} ms,"
            f" p95 {pct(latencies, 0.95) * 1000:4.0f} ms, max"
            f" {max(latencies) * 1000:4.0f} ms; requests per call"
            f" {statistics.mean(requests):.1f}",
            flush=True,
        )

    async def one(account: Account, number: str) -> tuple[list[float], int] | None:
        before = account.ours.requests
        try:
            await account.act("dial", destination=number)
        except Exception:
            await asyncio.sleep(14)
            return None
        call = next(
            c
            for c in reversed(account.server.sim.server.calls)
            if c.destination == number
        )
        await asyncio.sleep(14)
        seen = recorder.watch(account.ours.entity_id)
        latencies = [s.latency for s in shown(call, seen) if s.latency is not None]
        recorder.seen[account.ours.entity_id] = []
        return latencies, account.ours.requests - before

    await measure("all healthy")
    # Enough faults for a phase, few enough that the simulator's own scan of
    # them (same event loop) costs the healthy accounts nothing.
    faults = 2_000
    bad.sim.delay = 30  # beyond the request time-out: the server hangs
    bad.sim.add_fault("slow", faults, command="getStatus")
    await measure("one server hangs (no answer)")
    bad.sim.faults.clear()
    bad.sim.add_fault("http_500", faults, command="getStatus")
    await measure("one server fails (HTTP 500)")
    bad.sim.faults.clear()
    await measure("all healthy again")
    await hass.async_stop()
    for server in (healthy, bad):
        await server.runner.cleanup()
    shutil.rmtree(config_dir, ignore_errors=True)


async def main(args: argparse.Namespace) -> None:
    started = time.monotonic()
    print(f"Connect Call soak ({args.part}): Home Assistant {HA_VERSION}", flush=True)
    # One Home Assistant per process: scripts/soak runs each part in its own.
    await (soak if args.part == "growth" else apart)(args)
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(
        f"\nRun took {time.monotonic() - started:.0f} s; load average (1, 5, 15 min):"
        f" {load} on {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=16)
    parser.add_argument("--warmup", type=int, default=320, help="calls")
    parser.add_argument("--block", type=int, default=1600, help="calls per block")
    parser.add_argument("--blocks", type=int, default=3)
    parser.add_argument("--apart-calls", type=int, default=8, help="per account")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--part", choices=("growth", "apart"), default="growth")
    asyncio.run(main(parser.parse_args()))
