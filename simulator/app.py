"""The simulator over HTTP: the API endpoint, faults, and a control endpoint."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import asdict, dataclass, field
import socket
import struct
from typing import Any

from aiohttp import web

from .core import (
    COMMANDS,
    HTTP_500,
    SCENARIOS,
    Behaviour,
    ConnectCallServer,
    command_of,
)

FAULTS = (
    # Answered in the server's place: the server never sees the request.
    "http_500",  # an HTTP 500 page
    "drop",  # close the connection without an answer
    "garbage",  # a body that is not XML
    "no_code",  # XML without a <code>
    "doctype",  # XML with a DOCTYPE and an entity
    "huge",  # a body far beyond any real answer
    # The server handles the request; only the answer is odd.
    "slow",  # wait `delay` seconds, then handle and answer
    "late",  # handle at once, answer after `delay` seconds
    "drop_after",  # handle, then close the connection without an answer
    "reset_after",  # handle, then reset the connection (TCP RST) without an answer
    "chunked",  # a chunked answer in two pieces, `chunk_pause` seconds apart
)
_CANNED = {
    "garbage": b"<html><body>Runtime Error</body>",
    "no_code": b"<response><message>OK</message></response>",
    "doctype": (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]>'
        b"<response><code>&a;</code></response>"
    ),
    "huge": b"<response><code>100</code><message>"
    + b"x" * 100_000
    + b"</message></response>",
}
_ERROR_PAGE = "<html><body><h1>Server Error</h1></body></html>"


@dataclass
class Format:
    """The XML's exact bytes, which the API page leaves unknown."""

    declaration: bool = False
    bom: bool = False
    content_type: str = "text/xml"
    uppercase: bool = False
    indent: bool = False
    # A default namespace on the root: <response xmlns="...">.
    namespace: str | None = None


@dataclass
class Simulator:
    """A server plus the HTTP-level knobs that tests and demos turn."""

    server: ConnectCallServer = field(default_factory=ConnectCallServer)
    format: Format = field(default_factory=Format)
    # Pending faults as (kind, command); command None: any request.
    faults: deque[tuple[str, str | None]] = field(default_factory=deque)
    # Seconds `slow` and `late` wait (on the event loop's clock).
    delay: float = 5.0
    # Seconds between the two pieces of a `chunked` answer.
    chunk_pause: float = 0.5
    # Answer every API request with this (code, message), whatever it asks.
    forced: tuple[int, str] | None = None

    def add_fault(self, kind: str, count: int = 1, command: str | None = None) -> None:
        """Answer the next ``count`` requests (of ``command`` only) with ``kind``."""
        if kind not in FAULTS:
            raise ValueError(kind)
        if command is not None and command not in COMMANDS:
            raise ValueError(command)
        self.faults.extend([(kind, command)] * count)

    def take_fault(self, command: str) -> str | None:
        """The first pending fault meant for ``command``, removed; else None."""
        for fault in self.faults:
            if fault[1] in (None, command):
                self.faults.remove(fault)
                return fault[0]
        return None

    def render(self, code: int, message: str) -> bytes:
        """The XML answer in the configured format."""
        tags = ("RESPONSE", "CODE", "MESSAGE") if self.format.uppercase else None
        root, code_tag, msg_tag = tags or ("response", "code", "message")
        sep = "\r\n  " if self.format.indent else "\n"
        ns = self.format.namespace
        xmlns = "" if ns is None else f' xmlns="{_escape(ns)}"'
        text = (
            f"<{root}{xmlns}>{sep}<{code_tag}>{code}</{code_tag}>{sep}"
            f"<{msg_tag}>{_escape(message)}</{msg_tag}>\n</{root}>\n"
        )
        if self.format.declaration:
            text = f'<?xml version="1.0" encoding="utf-8"?>\n{text}'
        return (b"\xef\xbb\xbf" if self.format.bom else b"") + text.encode()


def _escape(text: str) -> str:
    """Text or attribute value, escaped for XML."""
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;")):
        text = text.replace(char, entity)
    return text


SIM_KEY = web.AppKey("simulator", Simulator)


async def _api(request: web.Request) -> web.StreamResponse:
    sim = request.app[SIM_KEY]
    fault = sim.take_fault(command_of(request.query))
    # Recorded on arrival, so faulted requests count and keep their order.
    seen = sim.server.record(request.query, request.rel_url.raw_query_string, fault)
    if fault == "http_500":
        return web.Response(status=500, text=_ERROR_PAGE, content_type="text/html")
    if fault == "drop":
        _abort(request)
        return web.Response()
    if fault in _CANNED:
        return web.Response(body=_CANNED[fault], content_type="text/xml")
    if fault == "slow":
        await asyncio.sleep(sim.delay)
    seen.code, message = sim.forced or sim.server.answer(request.query)
    if fault == "drop_after":
        _abort(request)
        return web.Response()
    if fault == "reset_after":
        _reset(request)
        return web.Response()
    if seen.code == HTTP_500:
        return web.Response(status=500, text=_ERROR_PAGE, content_type="text/html")
    body = sim.render(seen.code, message)
    if fault == "late":
        await asyncio.sleep(sim.delay)
    if fault == "chunked":
        return await _send_chunked(request, body, sim)
    return web.Response(body=body, content_type=sim.format.content_type)


def _abort(request: web.Request) -> None:
    """Cut the connection: the client gets no answer at all."""
    assert request.transport is not None
    request.transport.abort()


def _reset(request: web.Request) -> None:
    """Reset the connection: a TCP RST, not a clean close.

    A zero linger time makes closing the socket send RST; the client reads
    a connection reset (aiohttp: ``ClientOSError``), not a server that hung up.
    """
    transport = request.transport
    assert transport is not None
    sock = transport.get_extra_info("socket")
    assert sock is not None
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


async def _send_chunked(
    request: web.Request, body: bytes, sim: Simulator
) -> web.StreamResponse:
    """The answer in two chunks, split mid-XML, with a pause between them."""
    response = web.StreamResponse()
    response.content_type = sim.format.content_type
    response.enable_chunked_encoding()
    await response.prepare(request)
    half = len(body) // 2
    await response.write(body[:half])
    await asyncio.sleep(sim.chunk_pause)
    await response.write(body[half:])
    await response.write_eof()
    return response


async def _control_get(request: web.Request) -> web.Response:
    sim = request.app[SIM_KEY]
    server = sim.server
    return web.json_response(
        {
            "requests": server.count(),
            # Never the raw query: it holds the password.
            "last_requests": [
                {"command": r.command, "code": r.code, "fault": r.fault}
                for r in server.requests[-10:]
            ],
            "faults": [{"kind": k, "command": c} for k, c in sim.faults],
            "delay": sim.delay,
            "chunk_pause": sim.chunk_pause,
            "sessions": len(server.sessions),
            "behaviour": asdict(server.behaviour),
            "format": asdict(sim.format),
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
            sim.add_fault(data["fault"], int(data.get("count", 1)), data.get("command"))
        for knob in ("delay", "chunk_pause"):
            if knob in data:
                if (seconds := float(data[knob])) < 0:
                    raise ValueError(f"{knob}: {seconds}")
                setattr(sim, knob, seconds)
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
