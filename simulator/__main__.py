"""``python -m simulator --port 8765``: the simulator with a demo account."""

from __future__ import annotations

import argparse

from aiohttp import web

from .app import Simulator, create_app
from .core import SCENARIOS, ConnectCallServer

DEMO_SCENARIOS = {
    "0612345678": "answered",
    "0611111111": "busy",
    "0622222222": "no_answer",
    "0633333333": "rejected",
}


def build(username: str, password: str) -> Simulator:
    """A simulator with one account and a number per interesting scenario."""
    server = ConnectCallServer(
        accounts={username: password}, scenarios=dict(DEMO_SCENARIOS)
    )
    return Simulator(server)


def main(argv: list[str] | None = None) -> None:
    """Run until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--username", default="demo")
    parser.add_argument("--password", default="demo")
    args = parser.parse_args(argv)
    base = f"http://{args.host}:{args.port}"
    numbers = "\n".join(f"    {n}  {s}" for n, s in DEMO_SCENARIOS.items())
    print(
        f"Connect Call simulator\n"
        f"  API URL:   {base}/api/\n"
        f"  username:  {args.username}\n  password:  {args.password}\n"
        f"  numbers (any other number: answered):\n{numbers}\n"
        f"  scenarios: {', '.join(sorted(SCENARIOS))}\n"
        f"  control:   curl {base}/_sim ; curl -X POST {base}/_sim "
        f'-d \'{{"number": "0612345678", "scenario": "busy"}}\'',
        flush=True,
    )
    app = create_app(build(args.username, args.password))
    # No access log: every request line carries the password or the GUID.
    web.run_app(app, host=args.host, port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
