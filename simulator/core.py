"""The Connect Call server's behaviour, without HTTP.

Calls follow timelines of ``(seconds after the dial, status code)`` read
against an injectable clock, so a test that moves its clock moves every call.
The API page's unknowns are switches on :class:`Behaviour`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
import re
import secrets
import time

Timeline = tuple[tuple[float, int], ...]

STATUS_TEXT = {
    3: "Unknown",
    4: "Hang Up",
    5: "Account State",
    7: "Call ended because of insufficient funds",
    9: "Clients connected",
    10: "Busy",
    11: "No answer",
    12: "Call has been rejected",
    16: "Insufficient funds",
    24: "Wrong source number",
    25: "Wrong destination number",
    26: "Destination is alerting",
    27: "Source is alerting",
    28: "Source number connected",
    29: "Destination number connected",
    30: "Destination number ended the call",
    31: "Source number ended the call",
    32: "Source number has insufficient funds",
    33: "Destination number has insufficient funds",
}
RESPONSE_TEXT = {
    100: "OK",
    101: "Failed",
    102: "AutorizationFailed",
    103: "LoginSucess",
    104: "WrongParameters",
    105: "NoChanges",
}
FINAL = frozenset({4, 7, 10, 11, 12, 16, 24, 25, 30, 31, 32, 33})
# Not an API code: the answer is an HTTP 500 page (``expired_guid_http_500``).
HTTP_500 = 500
# What :class:`Request` records as the command; "login" is any request with
# a ``login`` parameter, as the server dispatches on it before ``cmd``.
COMMANDS = ("login", "connect", "getStatus", "hangUp", "end")

# Type 1 rings the source first; the destination rings once it answers.
_SOURCE_ANSWERS: Timeline = ((0, 27), (3, 28), (4, 26))
SCENARIOS: dict[str, Timeline] = {
    "answered": (*_SOURCE_ANSWERS, (8, 29), (9, 9), (39, 30)),
    "answered_source_ends": (*_SOURCE_ANSWERS, (8, 29), (9, 9), (24, 31)),
    "answered_long": (*_SOURCE_ANSWERS, (8, 29), (9, 9)),
    "funds_run_out": (*_SOURCE_ANSWERS, (8, 29), (9, 9), (20, 7)),
    "busy": (*_SOURCE_ANSWERS, (5, 10)),
    "no_answer": (*_SOURCE_ANSWERS, (34, 11)),
    "rejected": (*_SOURCE_ANSWERS, (7, 12)),
    "ringing_forever": _SOURCE_ANSWERS,
    # The source hangs up while the destination rings: 4 before any answer.
    "cancelled": (*_SOURCE_ANSWERS, (6, 4)),
    # The caller gives up while the destination still rings: 31, unanswered.
    "source_gives_up": (*_SOURCE_ANSWERS, (6, 31)),
    "source_no_answer": ((0, 27), (30, 11)),
    "wrong_source": ((1, 24),),
    "wrong_destination": ((0, 27), (3, 28), (4, 25)),
    "insufficient_funds": ((1, 16),),
    "source_insufficient_funds": ((1, 32),),
    "destination_insufficient_funds": ((0, 27), (3, 28), (4, 33)),
    # 5 is not final: the server reports the account's state, then ends.
    "account_state": ((1, 5), (3, 4)),
    "odd_code": ((0, 27), (2, 42)),
}
# Type 2 rings both legs at once: no source-only phase.
SIMULTANEOUS: dict[str, Timeline] = {
    "answered": ((0, 26), (4, 29), (5, 9), (35, 30)),
    "busy": ((0, 26), (1, 10)),
}

_NUMBER = re.compile(r"\+?[0-9]{3,20}")


@dataclass
class Behaviour:
    """Answers the API page leaves unknown; each plausible one selectable."""

    # What a command on an unknown, ended or expired GUID answers.
    expired_guid_code: int = 101
    # Seconds a session lives without requests (None: forever).
    session_ttl: float | None = None
    # A login without dest/source: "check_password" (102 wrong, 104 right),
    # "wrong_parameters" (always 104) or "login" (103 and a session, no call).
    probe: str = "check_password"
    # ``connect`` while a call is active: 100 replaces the call; else that code.
    connect_during_call: int = 100
    # ``hangUp`` with no active call answers this (100 or 105).
    hangup_when_idle: int = 100
    # A new login ends the account's older sessions.
    single_session: bool = False
    # False: ``hangUp`` answers 100 but the call goes on (a lagging server).
    hangup_effective: bool = True
    # For this long after a ``connect`` placed a new call, ``getStatus`` still
    # answers the previous call's last code (a lagging server).
    stale_status_seconds: float = 0.0
    # False: ``end`` closes the session but its call goes on.
    end_hangs_up: bool = True
    # A command on an unknown, ended or expired GUID gets an HTTP 500 page
    # (a restarted ASP.NET server) instead of ``expired_guid_code``.
    expired_guid_http_500: bool = False
    # A regular expression: a login or connect whose source or destination
    # fully matches it answers 104 and places no call (another number format).
    refuse_number: str | None = None

    def __post_init__(self) -> None:
        if self.refuse_number is not None:
            try:
                re.compile(self.refuse_number)
            except re.error as err:
                raise ValueError(f"refuse_number: {err}") from err


@dataclass
class Call:
    """One call and its timeline."""

    source: str
    destination: str
    mode: int
    started: float
    timeline: Timeline
    # Set only while the call is active: from then on it is hung up (4).
    hung_up_at: float | None = None

    def status(self, now: float) -> int:
        """The status code at ``now``."""
        if self.hung_up_at is not None and now >= self.hung_up_at:
            return 4
        code = 3
        for offset, step in self.timeline:
            if now - self.started >= offset:
                code = step
        return code

    def active(self, now: float) -> bool:
        """Not in a final state."""
        return self.status(now) not in FINAL

    def hang_up(self, now: float) -> bool:
        """End the call if it is active; whether it was."""
        if not self.active(now):
            return False
        self.hung_up_at = now
        return True


@dataclass
class SimSession:
    """A login session."""

    username: str
    last_used: float
    call: Call | None = None
    # The call a ``connect`` replaced, and when (``stale_status_seconds``).
    previous: Call | None = None
    replaced_at: float = 0.0


@dataclass
class Request:
    """One request as it arrived.

    ``code`` is what the server answered: 0 while it has not handled the
    request, or when a fault answered in its place. ``query`` is the raw
    query string (percent-encoding kept, so the password too): for asserting
    what a client sent, never to be shown.
    """

    at: float
    command: str
    code: int
    destination: str | None = None
    query: str = ""
    fault: str | None = None


def command_of(query: Mapping[str, str]) -> str:
    """The command a query asks for, as :class:`Request` records it."""
    return "login" if "login" in query else query.get("cmd", "?")


@dataclass
class ConnectCallServer:
    """Accounts, sessions and calls of one simulated server."""

    accounts: dict[str, str] = field(default_factory=lambda: {"demo": "demo"})
    clock: Callable[[], float] = time.monotonic
    behaviour: Behaviour = field(default_factory=Behaviour)
    scenarios: dict[str, str] = field(default_factory=dict)
    default_scenario: str = "answered"
    sessions: dict[str, SimSession] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)

    def count(self, command: str | None = None) -> int:
        """Requests seen, of one command or all."""
        return sum(1 for r in self.requests if command in (None, r.command))

    def active_call(self) -> Call | None:
        """The newest call not yet over, in any session."""
        now = self.clock()
        for call in reversed(self.calls):
            if call.active(now):
                return call
        return None

    def expire_sessions(self) -> None:
        """Drop every session, as a server restart would."""
        self.sessions.clear()

    def handle(self, query: Mapping[str, str], raw: str = "") -> tuple[int, str]:
        """Record one request and answer it: ``(code, message)``."""
        request = self.record(query, raw)
        request.code, message = self.answer(query)
        return request.code, message

    def record(
        self, query: Mapping[str, str], raw: str = "", fault: str | None = None
    ) -> Request:
        """Record a request as it arrives, not yet answered (code 0)."""
        request = Request(
            self.clock(), command_of(query), 0, query.get("dest"), raw, fault
        )
        self.requests.append(request)
        return request

    def answer(self, query: Mapping[str, str]) -> tuple[int, str]:
        """Act on a request without recording it: ``(code, message)``."""
        now = self.clock()
        if "login" in query:
            return self._login(query, now)
        return self._command(query, now)

    def _reply(self, code: int) -> tuple[int, str]:
        return code, RESPONSE_TEXT.get(code) or STATUS_TEXT.get(code, "Unknown")

    def _new_call(self, query: Mapping[str, str], now: float) -> Call | None:
        source, dest, kind = query.get("source"), query.get("dest"), query.get("type")
        if not (source and dest and kind in ("1", "2")):
            return None
        if not (_NUMBER.fullmatch(source) and _NUMBER.fullmatch(dest)):
            return None
        refuse = self.behaviour.refuse_number
        if refuse is not None and (
            re.fullmatch(refuse, source) or re.fullmatch(refuse, dest)
        ):
            return None
        name = self.scenarios.get(dest, self.default_scenario)
        mode = int(kind)
        timeline = (SIMULTANEOUS if mode == 2 else {}).get(name, SCENARIOS[name])
        call = Call(source, dest, mode, now, timeline)
        self.calls.append(call)
        return call

    def _login(self, query: Mapping[str, str], now: float) -> tuple[int, str]:
        username, password = query.get("login", ""), query.get("password")
        has_call = any(k in query for k in ("dest", "source", "type"))
        if not has_call and self.behaviour.probe == "wrong_parameters":
            return self._reply(104)
        if self.accounts.get(username) != password:
            return self._reply(102)
        if not has_call and self.behaviour.probe == "check_password":
            return self._reply(104)
        call = None
        if has_call and (call := self._new_call(query, now)) is None:
            return self._reply(104)
        if self.behaviour.single_session:
            for guid in [g for g, s in self.sessions.items() if s.username == username]:
                self._close(guid, now)
        guid = secrets.token_hex(8)
        self.sessions[guid] = SimSession(username, now, call)
        return 103, guid

    def _close(self, guid: str, now: float, hang_up: bool = True) -> None:
        session = self.sessions.pop(guid)
        if session.call and hang_up:
            session.call.hang_up(now)

    def _command(self, query: Mapping[str, str], now: float) -> tuple[int, str]:
        guid = query.get("guid", "")
        session = self.sessions.get(guid)
        ttl = self.behaviour.session_ttl
        if session and ttl is not None and now - session.last_used > ttl:
            self._close(guid, now)
            session = None
        if session is None:
            if self.behaviour.expired_guid_http_500:
                return HTTP_500, "Internal Server Error"
            return self._reply(self.behaviour.expired_guid_code)
        session.last_used = now
        call = session.call
        active = call is not None and call.active(now)
        match query.get("cmd"):
            case "getStatus":
                lag = self.behaviour.stale_status_seconds
                if session.previous and now - session.replaced_at < lag:
                    call = session.previous
                code = call.status(now) if call else 3
                return code, STATUS_TEXT.get(code, "Unknown status")
            case "hangUp":
                if call is None or not active:
                    return self._reply(self.behaviour.hangup_when_idle)
                if self.behaviour.hangup_effective:
                    call.hang_up(now)
                return self._reply(100)
            case "connect":
                if active and self.behaviour.connect_during_call != 100:
                    return self._reply(self.behaviour.connect_during_call)
                new = self._new_call(query, now)
                if new is None:
                    return self._reply(104)
                if call is not None:
                    call.hang_up(now)
                session.call, session.previous, session.replaced_at = new, call, now
                return self._reply(100)
            case "end":
                self._close(guid, now, self.behaviour.end_hangs_up)
                return self._reply(100)
        return self._reply(104)
