"""Async client for the Connect Call API of a Dutch business ISP.

Written as if it were its own PyPI library: only the standard library and
aiohttp, an injected ``ClientSession``, its own exceptions, fully typed.

Every request URL carries the password, so neither URLs nor aiohttp's own
exception texts (which quote the URL) ever leave this module; the session
GUID lives in an opaque :class:`Session` whose repr hides it.

The two requests that place a call (``login`` with numbers and ``connect``)
are sent at most once: aiohttp's own re-send of a GET after a dropped
connection is turned off for them, and nothing here retries them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import logging
import re
from typing import Final
from urllib.parse import urlsplit, urlunsplit
from xml.etree import ElementTree

import aiohttp

from .codes import (
    ANSWERED_STATUS_CODES,
    FINAL_STATUS_CODES,
    RESPONSE_TEXT,
    STATUS_TEXT,
    CallMode,
    ResponseCode,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_URL: Final = "https://portal.business-isp.nl/api/"
ENDPOINT: Final = "connectcall.aspx"
DEFAULT_TIMEOUT: Final = 10.0
# A server may answer a call-placing request only once a phone rings.
PLACE_TIMEOUT: Final = 30.0
# A real answer is ~80 bytes; anything near this cap is not the API.
MAX_RESPONSE_BYTES: Final = 8192


class ConnectCallError(Exception):
    """Base of every error this client raises."""


class ConnectCallConnectionError(ConnectCallError):
    """No answer: the server could not be reached, timed out or hung up.

    ``sent`` is False only when no connection was made, so the server cannot
    have seen the request; otherwise it may have acted on it.
    """

    def __init__(self, message: str, *, sent: bool = True) -> None:
        """Keep whether the request may have reached the server."""
        super().__init__(message)
        self.sent = sent


class ConnectCallHTTPError(ConnectCallConnectionError):
    """The server answered an HTTP error page (a stale GUID may get a 500)."""

    def __init__(self, status: int) -> None:
        """Keep the HTTP status."""
        super().__init__(f"HTTP status {status}")
        self.status = status


class ConnectCallResponseError(ConnectCallError):
    """The answer was not a Connect Call XML document."""


class ConnectCallAuthenticationError(ConnectCallError):
    """A login was refused (102)."""


class ConnectCallCommandError(ConnectCallError):
    """The server refused a command; ``code`` holds its response code."""

    def __init__(self, code: int) -> None:
        """Keep the code; the text is the server's."""
        super().__init__(f"Command refused: {code} {RESPONSE_TEXT.get(code, '')}")
        self.code = code


class _NotResent(aiohttp.ClientError):
    """A connection dropped after sending: aiohttp must not send it again."""


class InvalidNumberError(ConnectCallError, ValueError):
    """A phone number is not 3-20 digits with an optional leading ``+``."""


class InvalidURLError(ConnectCallError, ValueError):
    """An API URL is not an absolute http(s) URL."""


_SEPARATORS: Final = str.maketrans("", "", " -.")
_BRACKETS: Final = str.maketrans("", "", "()")
# "+31 (0)6 ...": the trunk zero is not dialled after a country code.
_TRUNK_ZERO: Final = re.compile(r"(\+[0-9]{1,3})\(0\)")
_NUMBER: Final = re.compile(r"\+?[0-9]{3,20}")


def normalize_number(value: str) -> str:
    """Remove spaces and ``-.()``; the rest must be ``+``? then 3-20 ASCII digits.

    A ``(0)`` right after a ``+`` country code goes too. Numbers are not
    rewritten beyond that: the server's format is unknown.
    """
    number = value.translate(_SEPARATORS)
    number = _TRUNK_ZERO.sub(r"\1", number, count=1).translate(_BRACKETS)
    if not _NUMBER.fullmatch(number):
        raise InvalidNumberError("Not a phone number")
    return number


def normalize_url(value: str) -> str:
    """Lower-case scheme and host, path ending in ``/``; http(s) only."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        raise InvalidURLError("Not a URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise InvalidURLError("Not an http(s) URL")
    if parts.username or parts.password:
        raise InvalidURLError("Credentials do not belong in the URL")
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port is None else f"{host}:{port}"
    path = parts.path if parts.path.endswith("/") else f"{parts.path}/"
    return urlunsplit((scheme, netloc, path, "", ""))


@dataclass(frozen=True, slots=True)
class Reply:
    """One XML answer: a response code (>= 100) or a status code (< 100)."""

    code: int
    message: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class CallStatus:
    """An answer to ``getStatus``."""

    code: int
    message: str

    @property
    def is_final(self) -> bool:
        """The call is over."""
        return self.code in FINAL_STATUS_CODES

    @property
    def is_answered(self) -> bool:
        """Both legs (or the destination) are talking."""
        return self.code in ANSWERED_STATUS_CODES


@dataclass(frozen=True, slots=True)
class Session:
    """An open login session. The GUID is a secret: its repr hides it."""

    guid: str = field(repr=False)

    def __repr__(self) -> str:
        """Never show the GUID."""
        return "Session(guid=<redacted>)"


def _local_name(element: ElementTree.Element) -> str:
    """The tag without a namespace (``{ns}code`` -> ``code``), lower-cased."""
    return element.tag.rpartition("}")[2].lower()


def _child_text(root: ElementTree.Element, name: str) -> str | None:
    for element in root.iter():
        if _local_name(element) == name:
            return (element.text or "").strip()
    return None


def parse_reply(body: bytes) -> Reply:
    """Parse one answer; anything but a ``<response><code>`` document raises.

    Tolerant of an XML declaration, a byte-order mark, white space, letter
    case and a default namespace; refuses DOCTYPEs (entity expansion) and
    oversized bodies.
    """
    if len(body) > MAX_RESPONSE_BYTES:
        raise ConnectCallResponseError("Response too large")
    body = body.strip().removeprefix(b"\xef\xbb\xbf").strip()
    if b"<!doctype" in body.lower() or b"<!entity" in body.lower():
        raise ConnectCallResponseError("Response has a DOCTYPE")
    try:
        # Safe without defusedxml: size-capped and DOCTYPE-free (no entities).
        root = ElementTree.fromstring(body)  # noqa: S314
    except ElementTree.ParseError, ValueError, LookupError:
        # LookupError / ValueError: a declared encoding expat cannot use.
        raise ConnectCallResponseError("Response is not XML") from None
    if _local_name(root) != "response":
        raise ConnectCallResponseError("Response is not a Connect Call answer")
    code = _child_text(root, "code")
    if code is None or not code.isascii() or not code.isdigit():
        raise ConnectCallResponseError("Response has no numeric code")
    return Reply(int(code), _child_text(root, "message") or "")


class ConnectCallClient:
    """The Connect Call API: one endpoint, HTTP GET, XML answers."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        username: str,
        password: str,
        url: str = DEFAULT_URL,
        *,
        request_timeout: float = DEFAULT_TIMEOUT,
        place_timeout: float = PLACE_TIMEOUT,
    ) -> None:
        """Keep the credentials; ``url`` is the account's API base URL."""
        self._session = session
        self._username = username
        self._password = password
        self._endpoint = normalize_url(url) + ENDPOINT
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self._place_timeout = aiohttp.ClientTimeout(total=place_timeout)
        # Counters for diagnostics: requests sent, and those that failed to
        # get an answer at all (network, HTTP, not XML).
        self.request_count = 0
        self.error_count = 0
        # When the last getStatus was sent (event-loop time): whoever sends
        # one, the next poll keeps its distance from it.
        self.last_status_sent: float | None = None

    def __repr__(self) -> str:
        """No credentials, no URL."""
        return "ConnectCallClient()"

    async def _request(self, params: dict[str, str], *, places: bool = False) -> Reply:
        """One GET; ``places``: it may place a call, so it is sent only once."""
        self.request_count += 1
        try:
            return await self._send(params, places=places)
        except ConnectCallConnectionError, ConnectCallResponseError:
            self.error_count += 1
            raise

    async def _send(self, params: dict[str, str], *, places: bool) -> Reply:
        # params go through aiohttp's encoder: '&', '=', '#', '+', '%' and
        # non-ASCII reach the server intact. Errors never quote the URL.
        try:
            async with self._session.get(
                self._endpoint,
                params=params,
                timeout=self._place_timeout if places else self._timeout,
                allow_redirects=False,
                middlewares=(_no_resend,) if places else None,
            ) as response:
                if response.status != 200:
                    raise ConnectCallHTTPError(response.status)
                body = await _read_capped(response.content)
        except TimeoutError:
            raise ConnectCallConnectionError("Request timed out") from None
        except aiohttp.ClientConnectorError as err:
            raise ConnectCallConnectionError(
                f"Connection failed ({type(err).__name__})", sent=False
            ) from None
        except (aiohttp.ClientError, OSError) as err:
            name = type(err.__cause__ if isinstance(err, _NotResent) else err).__name__
            raise ConnectCallConnectionError(f"Connection failed ({name})") from None
        return parse_reply(body)

    def _login_params(self) -> dict[str, str]:
        return {"login": self._username, "password": self._password}

    async def probe(self) -> Session | None:
        """Check the credentials with a login that places no call.

        The API page does not say that the server checks the password before
        the parameters, so this is a hint: 104 (wrong parameters) means the
        password passed, 102 raises. A server that answers 103 anyway opened a
        session, returned here so the caller can hang it up and end it.
        """
        reply = await self._request(self._login_params())
        if reply.code == ResponseCode.AUTHORIZATION_FAILED:
            raise ConnectCallAuthenticationError("Login refused")
        if reply.code == ResponseCode.LOGIN_SUCCESS:
            return Session(reply.message)
        if reply.code == ResponseCode.WRONG_PARAMETERS:
            return None
        raise ConnectCallCommandError(reply.code)

    async def verify(self) -> None:
        """Check the credentials without placing a call; raise if refused.

        Only 102 is known to mean a wrong password: any other refusal of the
        bare login is taken as the hint that the password passed. A session
        the server opened anyway is closed at once.
        """
        try:
            opened = await self.probe()
        except ConnectCallCommandError as err:
            _LOGGER.debug("Probe answered %s: taken as a pass", err.code)
            return
        if opened is not None:
            await self.close(opened)

    async def close(self, session: Session, *, hang_up: bool = True) -> bool:
        """Hang up (unless no call can be active) and log out, best effort.

        True when the server answered anything at all (a refusal or an error
        page too); False when neither request got through.
        """
        reached = False
        for command in (self.hang_up, self.end) if hang_up else (self.end,):
            try:
                await command(session)
            except ConnectCallError as err:
                _LOGGER.debug("Closing a session: %s", err)
                reached |= not isinstance(err, ConnectCallConnectionError) or (
                    isinstance(err, ConnectCallHTTPError)
                )
            else:
                reached = True
        return reached

    async def login(self, destination: str, source: str, mode: CallMode) -> Session:
        """Log in, which places the first call; returns the new session.

        Sent once: without an answer the server may have placed the call.
        """
        params = self._login_params() | self._call_params(destination, source, mode)
        reply = await self._request(params, places=True)
        if reply.code == ResponseCode.LOGIN_SUCCESS:
            if not reply.message:
                # Placed, but no GUID to follow it by: as unreadable as no answer.
                raise ConnectCallResponseError("Login answered no session")
            return Session(reply.message)
        if reply.code == ResponseCode.AUTHORIZATION_FAILED:
            raise ConnectCallAuthenticationError("Login refused")
        if reply.code < 100:
            raise ConnectCallResponseError("Login answered a status code")
        raise ConnectCallCommandError(reply.code)

    @staticmethod
    def _call_params(destination: str, source: str, mode: CallMode) -> dict[str, str]:
        return {
            "dest": normalize_number(destination),
            "source": normalize_number(source),
            "type": str(mode.api_type),
        }

    async def _command(
        self, session: Session, cmd: str, *, places: bool = False, **extra: str
    ) -> Reply:
        return await self._request(
            {"guid": session.guid, "cmd": cmd} | extra, places=places
        )

    async def connect(
        self, session: Session, destination: str, source: str, mode: CallMode
    ) -> None:
        """Place a new call in an open session (hang up the last one first).

        Sent once: without an answer the server may have placed the call.
        """
        params = self._call_params(destination, source, mode)
        reply = await self._command(session, "connect", places=True, **params)
        if reply.code != ResponseCode.OK:
            raise ConnectCallCommandError(reply.code)

    async def hang_up(self, session: Session) -> None:
        """Hang up the current call; the session stays open.

        105 (no changes) is what a server may say when no call is active: the
        goal, no call, is reached either way.
        """
        reply = await self._command(session, "hangUp")
        if reply.code not in (ResponseCode.OK, ResponseCode.NO_CHANGES):
            raise ConnectCallCommandError(reply.code)

    async def end(self, session: Session) -> None:
        """End the login session (log out)."""
        reply = await self._command(session, "end")
        if reply.code != ResponseCode.OK:
            raise ConnectCallCommandError(reply.code)

    async def get_status(self, session: Session) -> CallStatus | None:
        """The current call's status; None when unchanged (105)."""
        self.last_status_sent = asyncio.get_running_loop().time()
        reply = await self._command(session, "getStatus")
        if reply.code == ResponseCode.NO_CHANGES:
            return None
        if reply.code >= 100:
            raise ConnectCallCommandError(reply.code)
        return CallStatus(reply.code, reply.message or STATUS_TEXT.get(reply.code, ""))


async def _no_resend(
    request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
) -> aiohttp.ClientResponse:
    """Turn aiohttp's retried errors into one it passes on as it is.

    aiohttp sends an idempotent request again after ``ServerDisconnectedError``
    or ``ClientOSError``; a server that acted before the drop would place a
    second call. A connection that was never made is no such case.
    """
    try:
        return await handler(request)
    except aiohttp.ClientConnectorError:
        raise
    except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as err:
        raise _NotResent from err


async def _read_capped(content: aiohttp.StreamReader) -> bytes:
    """The whole body, however it is chunked, up to just past the cap."""
    body = bytearray()
    async for chunk in content.iter_any():
        body += chunk
        if len(body) > MAX_RESPONSE_BYTES:
            break
    return bytes(body)
