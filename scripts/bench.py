"""Benchmark: the integration in a real Home Assistant against the simulator.

Prints figures (not pass/fail): status latency, requests per call and
outside calls, event-loop CPU per poll, setup time, dial-to-request time, and
the same for the stock fixed-interval coordinator polling all the time.
Run with scripts/bench (Home Assistant 2026.11 from requirements_dev.txt).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
import logging
import math
from pathlib import Path
import random
import statistics
import sys
import tempfile
import time
from typing import Any

from aiohttp import web

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from homeassistant import bootstrap, config_entries  # noqa: E402
from homeassistant.core import Event, EventStateChangedData, HomeAssistant  # noqa: E402
from homeassistant.helpers import entity_registry as er  # noqa: E402
from homeassistant.helpers.aiohttp_client import async_get_clientsession  # noqa: E402
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator  # noqa: E402
from homeassistant.runner import RuntimeConfig  # noqa: E402

from custom_components.connectcall import api, coordinator as cc  # noqa: E402
from simulator import SCENARIOS, ConnectCallServer, Simulator, create_app  # noqa: E402

USER, PASSWORD, SOURCE = "bench", "bench&pw", "0201234567"
CALL_LENGTH = 14.0  # seconds from dial to the final status
IDLE_WINDOW = 20.0


def timeline(rng: random.Random) -> tuple[tuple[float, int], ...]:
    """A call whose status changes land anywhere within a poll interval."""
    steps = [(0.0, 27)]
    for code in (28, 26, 29, 9):
        steps.append((steps[-1][0] + rng.uniform(1.0, 3.0), code))
    steps.append((CALL_LENGTH + rng.uniform(-0.5, 0.5), 30))
    return tuple(steps)


class Recorder:
    """When the sensor (or the baseline) showed each status code."""

    def __init__(self) -> None:
        self.seen: list[tuple[float, int]] = []

    def note(self, code: int | None) -> None:
        if code is not None and (not self.seen or self.seen[-1][1] != code):
            self.seen.append((time.monotonic(), code))


def latencies(call: Any, seen: list[tuple[float, int]]) -> list[float]:
    """Per status change of the call: when shown minus when the server changed."""
    out = []
    for offset, code in call.timeline[1:]:
        changed = call.started + offset
        shown = [t for t, c in seen if c == code and t >= changed - 0.001]
        if shown:
            out.append(shown[0] - changed)
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


class CpuMeter:
    """Event-loop time spent in the poll path's synchronous parts."""

    def __init__(self) -> None:
        self.total = 0.0
        self.polls = 0

    def wrap(self, owner: Any, name: str, count: bool = False) -> None:
        original: Callable[..., Any] = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
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


async def ours(
    hass: HomeAssistant, sim: Simulator, url: str, rng: random.Random
) -> dict[str, Any]:
    """The integration as shipped."""
    cpu = CpuMeter()
    cpu.wrap(api, "parse_reply")
    cpu.wrap(cc.ConnectCallCoordinator, "_advance", count=True)
    cpu.wrap(cc.ConnectCallCoordinator, "async_set_updated_data")

    started = time.monotonic()
    flow = await hass.config_entries.flow.async_init(
        "connectcall", context={"source": config_entries.SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"],
        {"username": USER, "password": PASSWORD, "url": url, "source": SOURCE},
    )
    await hass.async_block_till_done()
    setup = time.monotonic() - started
    entry = result["result"]
    sensor = er.async_get(hass).async_get_entity_id(
        "sensor", "connectcall", f"{entry.entry_id}_call_status"
    )
    recorder = Recorder()

    def changed(event: Event[EventStateChangedData]) -> None:
        if event.data["entity_id"] == sensor and (new := event.data["new_state"]):
            recorder.note(new.attributes.get("status_code"))

    hass.bus.async_listen("state_changed", changed)

    figures: dict[str, Any] = {"setup_s": setup, "latency": {}, "calls": []}
    cpu.total = cpu.polls = 0
    for interval in (1, 1, 1, 1, 2, 2):
        hass.config_entries.async_update_entry(
            entry, options={"source": SOURCE, "poll_interval": interval}
        )
        SCENARIOS["bench"] = timeline(rng)
        before = sim.server.count()
        asked = time.monotonic()
        await hass.services.async_call(
            "connectcall", "dial", {"destination": "0612345678"}, blocking=True
        )
        arrived = sim.server.requests[before].at  # the login/connect request
        call = sim.server.calls[-1]
        # Until the poll after the final status, so the call is over for us.
        await asyncio.sleep(call.timeline[-1][0] + interval + 0.5)
        figures["latency"].setdefault(interval, []).extend(
            latencies(call, recorder.seen)
        )
        figures["calls"].append(
            {
                "interval": interval,
                "length": call.timeline[-1][0],
                "requests": sim.server.count() - before,
                "dial_to_request_ms": (arrived - asked) * 1000,
            }
        )
    before = sim.server.count()
    await asyncio.sleep(IDLE_WINDOW)
    figures["idle_requests"] = sim.server.count() - before
    figures["cpu_ms_per_poll"] = cpu.total / max(cpu.polls, 1) * 1000
    await hass.config_entries.async_unload(entry.entry_id)
    return figures


async def baseline(
    hass: HomeAssistant, sim: Simulator, url: str, rng: random.Random
) -> dict[str, Any]:
    """The stock coordinator: update_interval of 1 s, polling all the time."""
    client = api.ConnectCallClient(async_get_clientsession(hass), USER, PASSWORD, url)
    session: list[api.Session] = []

    async def poll() -> int | None:
        if not session:
            await client.probe()  # idle: the stock scheduler still asks
            return None
        return (await client.get_status(session[0])).code

    coordinator: DataUpdateCoordinator[int | None] = DataUpdateCoordinator(
        hass,
        logging.getLogger("baseline"),
        config_entry=None,
        name="baseline",
        update_interval=timedelta(seconds=1),
        update_method=poll,
    )
    recorder = Recorder()
    coordinator.async_add_listener(lambda: recorder.note(coordinator.data))
    await coordinator.async_refresh()
    figures: dict[str, Any] = {"latency": {1: []}, "calls": []}
    for _ in range(2):
        SCENARIOS["bench"] = timeline(rng)
        before = sim.server.count()
        if session:
            await client.connect(
                session[0], "0612345678", SOURCE, api.CallMode.SOURCE_FIRST
            )
        else:
            session.append(
                await client.login("0612345678", SOURCE, api.CallMode.SOURCE_FIRST)
            )
        call = sim.server.calls[-1]
        await asyncio.sleep(call.timeline[-1][0] + 1.5)
        figures["latency"][1] += latencies(call, recorder.seen)
        figures["calls"].append(
            {
                "interval": 1,
                "length": call.timeline[-1][0],
                "requests": sim.server.count() - before,
            }
        )
    before = sim.server.count()
    await asyncio.sleep(IDLE_WINDOW)
    figures["idle_requests"] = sim.server.count() - before
    await coordinator.async_shutdown()
    return figures


def report(name: str, figures: dict[str, Any]) -> None:
    print(f"\n{name}")
    for interval, lat in sorted(figures["latency"].items()):
        print(
            f"  status latency at {interval} s: p50 {pct(lat, 0.5) * 1000:6.0f} ms"
            f"   p95 {pct(lat, 0.95) * 1000:6.0f} ms   max {max(lat) * 1000:6.0f} ms"
            f"   (target max {interval * 1000 + 150} ms; {len(lat)} changes)"
        )
    for call in figures["calls"]:
        bound = math.ceil(call["length"] / call["interval"]) + 3
        extra = (
            f", dial->request {call['dial_to_request_ms']:.1f} ms"
            if "dial_to_request_ms" in call
            else ""
        )
        print(
            f"  call of {call['length']:5.1f} s at {call['interval']} s: "
            f"{call['requests']:3d} requests (target <= {bound}){extra}"
        )
    idle = figures["idle_requests"]
    print(f"  requests in {IDLE_WINDOW:.0f} s outside calls: {idle}")
    if "cpu_ms_per_poll" in figures:
        cpu = figures["cpu_ms_per_poll"]
        print(f"  event-loop CPU per poll (parse + state write): {cpu:.3f} ms")
        print(f"  setup (probe + entities): {figures['setup_s'] * 1000:.0f} ms")


async def main() -> None:
    rng = random.Random(2026)  # noqa: S311 - reproducible timelines, not secrets
    sim = Simulator(
        ConnectCallServer(accounts={USER: PASSWORD}, default_scenario="bench")
    )
    runner = web.AppRunner(create_app(sim), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/api/"
    print(f"Connect Call benchmark: simulator at {url}, calls ~{CALL_LENGTH:.0f} s")
    config_dir = Path(tempfile.mkdtemp(prefix="connectcall-bench-"))
    (config_dir / "custom_components").symlink_to(REPO / "custom_components")
    hass = await start_ha(config_dir)
    mine = await ours(hass, sim, url, rng)
    base = await baseline(hass, sim, url, rng)
    await hass.async_stop()
    await runner.cleanup()
    report("this integration (poll from the dial, only during calls)", mine)
    report("baseline: stock DataUpdateCoordinator, update_interval 1 s", base)
    ratio = statistics.median(base["latency"][1]) / statistics.median(
        mine["latency"][1]
    )
    print(
        f"\nat 1 s: median latency baseline / ours = {ratio:.2f}; requests outside"
        f" calls in {IDLE_WINDOW:.0f} s: baseline {base['idle_requests']}, ours"
        f" {mine['idle_requests']}"
    )


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main())
