"""The simulator over HTTP: the API endpoint, faults, and a control endpoint."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

from aiohttp import web

from .core import SCENARIOS, Behaviour, ConnectCallServer

FAULTS = (
    "http_500",  # an HTTP 500 page
    "slow",  # answer after `delay` seconds (real time)
    "drop",  # close the connection without an answer
    "garbage",  # a body that is not XML
    "no_code",  # XML without a <code>
    "doctype",  # XML with a DOCTYPE and an entity
    "huge",  # a body far beyond any real answer
)


@dataclass
class Format:
    """The XML's exact bytes, which the API page leaves unknown."""

    declaration: bool = False
    bom: bool = False
    content_type: str = "text/xml"
    uppercase: bool = False
    indent: bool = False


@dataclass
class Simulator:
    """A server plus the HTTP-level knobs that tests and demos turn."""

    server: ConnectCallServer = field(default_factory=ConnectCallServer)
    format: Format = field(default_factory=Format)
    faults: deque[str] = field(default_factory=deque)
    delay: float = 5.0
    # Answer every API request with this (code, message), whatever it asks.
    forced: tuple[int, str] | None = None

    def add_fault(self, kind: str, count: int = 1) -> None:
        """Answer the next ``count`` requests with ``kind``."""
        if kind not in FAULTS:
            raise ValueError(kind)
        self.faults.extend([kind] * count)

    def render(self, code: int, message: str) -> bytes:
        """The XML answer in the configured format."""
        tags = ("RESPONSE", "CODE", "MESSAGE") if self.format.uppercase else None
        root, code_tag, msg_tag = tags or ("response", "code", "message")
        sep = "\r\n  " if self.format.indent else "\n"
        text = (
            f"<{root}>{sep}<{code_tag}>{code}</{code_tag}>{sep}"
            f"<{msg_tag}>{_escape(message)}</{msg_tag}>\n</{root}>\n"
        )
        if self.format.declaration:
            text = f'<?xml version="1.0" encoding="utf-8"?>\n{text}'
        return (b"\xef\xbb\xbf" if self.format.bom else b"") + text.encode()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


SIM_KEY = web.AppKey("simulator", Simulator)


async def _api(request: web.Request) -> web.StreamResponse:
    sim = request.app[SIM_KEY]
    fault = sim.faults.popleft() if sim.faults else None
    if fault == "slow":
        await asyncio.sleep(sim.delay)
    elif fault == "drop":
        assert request.transport is not None
        request.transport.abort()
        return web.Response()
    elif fault == "http_500":
        return web.Response(status=500, text="<html>Server Error</html>")
    elif fault is not None:
        body = {
            "garbage": b"<html><body>Runtime Error</body>",
            "no_code": b"<response><message>OK</message></response>",
            "doctype": (
                b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]>'
                b"<response><code>&a;</code></response>"
            ),
            "huge": b"<response><code>100</code><message>"
            + b"x" * 100_000
            + b"</message></response>",
        }[fault]
        return web.Response(body=body, content_type="text/xml")
    code, message = sim.forced or sim.server.handle(request.query)
    ctype = sim.format.content_type
    return web.Response(body=sim.render(code, message), content_type=ctype)


async def _control_get(request: web.Request) -> web.Response:
    server = request.app[SIM_KEY].server
    return web.json_response(
        {
            "requests": server.count(),
            "sessions": len(server.sessions),
            "behaviour": asdict(server.behaviour),
            "scenarios": server.scenarios,
            "default_scenario": server.default_scenario,
            "available_scenarios": sorted(SCENARIOS),
            "calls": [
                {"destination": c.destination, "status": c.status(server.clock())}
                for c in server.calls[-10:]
            ],
        }
    )


async def _control_post(request: web.Request) -> web.Response:
    """Change the simulator; see the README ("The simulator")."""
    sim = request.app[SIM_KEY]
    data: dict[str, Any] = await request.json()
    try:
        if "scenario" in data:
            if data["scenario"] not in SCENARIOS:
                raise ValueError(data["scenario"])
            if number := data.get("number"):
                sim.server.scenarios[number] = data["scenario"]
            else:
                sim.server.default_scenario = data["scenario"]
        if "fault" in data:
            sim.add_fault(data["fault"], int(data.get("count", 1)))
        if "behaviour" in data:
            sim.server.behaviour = Behaviour(
                **asdict(sim.server.behaviour) | data["behaviour"]
            )
        if "format" in data:
            sim.format = Format(**asdict(sim.format) | data["format"])
        if data.get("expire_sessions"):
            sim.server.expire_sessions()
    except (TypeError, ValueError) as err:
        return web.json_response({"error": str(err)}, status=400)
    return await _control_get(request)


def create_app(sim: Simulator | None = None) -> web.Application:
    """The aiohttp application; the API lives under ``/api/``."""
    app = web.Application()
    app[SIM_KEY] = sim or Simulator()
    app.router.add_get("/api/connectcall.aspx", _api)
    app.router.add_get("/_sim", _control_get)
    app.router.add_post("/_sim", _control_post)
    return app
