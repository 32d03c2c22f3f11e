"""``python -m simulator --port 8765``: the simulator with a demo account."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web

from .app import Simulator, create_app
from .core import SCENARIOS, ConnectCallServer, Timeline

DEMO_SCENARIOS = {
    "0612345678": "answered",
    "0611111111": "busy",
    "0622222222": "no_answer",
    "0633333333": "rejected",
}
# In the demo every status lasts at least this long. The scenarios' own
# timings (which the tests depend on) hold states of 1 s, such as
# source_connected: a 1 s poll on a loaded machine can skip those, and the
# browser test waits for source_connected.
DEMO_MIN_STATE_SECONDS = 3.0


def demo_timeline(timeline: Timeline, least: float) -> Timeline:
    """``timeline`` with every status lasting at least ``least`` seconds.

    A short status is lengthened and every later one moves on by as much; the
    Unknown (3) before a first code that comes late counts as a status too.
    The last status lasts as long as the call.
    """
    stretched: list[tuple[float, int]] = []
    shift = 0.0
    previous: float | None = None if timeline and timeline[0][0] <= 0 else 0.0
    for offset, code in timeline:
        at = offset + shift
        if previous is not None and at - previous < least:
            at = previous + least
        shift = at - offset
        stretched.append((at, code))
        previous = at
    return tuple(stretched)


@dataclass
class DemoServer(ConnectCallServer):
    """The server with each new call's timeline stretched for people to see.

    Scenarios keep their names (``_sim`` control included); only the demo's
    calls take longer.
    """

    min_state_seconds: float = DEMO_MIN_STATE_SECONDS

    def answer(self, query: Mapping[str, str]) -> tuple[int, str]:
        """As the server answers; a call this placed gets the demo timings."""
        placed = len(self.calls)
        reply = super().answer(query)
        for call in self.calls[placed:]:
            call.timeline = demo_timeline(call.timeline, self.min_state_seconds)
        return reply


def build(
    username: str,
    password: str,
    min_state_seconds: float = DEMO_MIN_STATE_SECONDS,
) -> Simulator:
    """A simulator with one account and a number per interesting scenario."""
    server = DemoServer(
        accounts={username: password},
        scenarios=dict(DEMO_SCENARIOS),
        min_state_seconds=min_state_seconds,
    )
    return Simulator(server)


def main(argv: list[str] | None = None) -> None:
    """Run until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--username", default="demo")
    parser.add_argument("--password", default="demo")
    parser.add_argument(
        "--min-state-seconds",
        type=float,
        default=DEMO_MIN_STATE_SECONDS,
        help="every call status lasts at least this long "
        f"(default {DEMO_MIN_STATE_SECONDS:g}; 0: the scenarios' own timings)",
    )
    args = parser.parse_args(argv)
    base = f"http://{args.host}:{args.port}"
    numbers = "\n".join(f"    {n}  {s}" for n, s in DEMO_SCENARIOS.items())
    print(
        f"Connect Call simulator\n"
        f"  API URL:   {base}/api/\n"
        f"  username:  {args.username}\n  password:  {args.password}\n"
        f"  numbers (any other number: answered):\n{numbers}\n"
        f"  scenarios: {', '.join(sorted(SCENARIOS))}\n"
        f"  timing:    every status lasts >= {args.min_state_seconds:g} s\n"
        f"  control:   curl {base}/_sim ; curl -X POST {base}/_sim "
        f'-d \'{{"number": "0612345678", "scenario": "busy"}}\'',
        flush=True,
    )
    app = create_app(build(args.username, args.password, args.min_state_seconds))
    # No access log: every request line carries the password or the GUID.
    web.run_app(app, host=args.host, port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
