"""Property tests: the parser and the validators never crash, whatever they get."""

from __future__ import annotations

import contextlib

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.connectcall.api import (
    MAX_RESPONSE_BYTES,
    ConnectCallResponseError,
    InvalidNumberError,
    InvalidURLError,
    normalize_number,
    normalize_url,
    parse_reply,
)

_xml_ish = st.one_of(
    st.binary(max_size=300),
    st.builds(
        lambda pre, code, msg: (
            pre + f"<response><code>{code}</code><message>{msg}</message></response>"
        ).encode(),
        st.sampled_from(["", "\ufeff", "<?xml version='1.0'?>", " \n"]),
        st.text(max_size=8),
        st.text(max_size=20),
    ),
)


@settings(max_examples=400)
@given(_xml_ish)
def test_parser_returns_or_raises_own_error(body: bytes) -> None:
    try:
        reply = parse_reply(body)
    except ConnectCallResponseError:
        return
    # Only a document with a numeric <code> gets through, and its code is it.
    text = body.decode("utf-8", "replace")
    assert "<code>" in text.lower()
    code = text.lower().split("<code>")[1].split("</code>")[0].strip()
    assert reply.code == int(code)


@given(st.integers(min_value=0, max_value=10**6), st.text(max_size=50))
def test_parser_round_trip(code: int, message: str) -> None:
    escaped = message.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    body = f"<response><code>{code}</code><message>{escaped}</message></response>"
    try:
        reply = parse_reply(body.encode())
    except ConnectCallResponseError:
        # XML 1.0 forbids most control characters; nothing else may fail.
        assert any(ord(c) < 32 and c not in "\t\n\r" for c in message) or any(
            0xD800 <= ord(c) <= 0xDFFF or ord(c) in (0xFFFE, 0xFFFF) for c in message
        )
        return
    assert reply.code == code
    # XML turns every line break into \n (XML 1.0, 2.11).
    expected = message.replace("\r\n", "\n").replace("\r", "\n").strip()
    assert reply.message == expected


def test_parser_size_cap() -> None:
    body = b"<response><code>1</code></response>".ljust(MAX_RESPONSE_BYTES + 1)
    with pytest.raises(ConnectCallResponseError):
        parse_reply(body)


@settings(max_examples=400)
@given(st.text(max_size=40))
def test_number_validator_total(value: str) -> None:
    try:
        number = normalize_number(value)
    except InvalidNumberError:
        return
    digits = number.removeprefix("+")
    assert 3 <= len(digits) <= 20
    assert digits.isascii()
    assert digits.isdigit()


@given(st.from_regex(r"\+?[0-9]{3,20}", fullmatch=True), st.data())
def test_number_separators_removed(number: str, data: st.DataObject) -> None:
    # Brackets only around digits after the first: "+31(0)6" is the trunk
    # zero rule, tested in test_api.py.
    head, tail = number[:4], number[4:]
    spaced = head + "".join(
        c + data.draw(st.sampled_from(["", " ", "-", ".", "(", ")"])) for c in tail
    )
    assert normalize_number(spaced) == number


_urls = st.one_of(
    st.text(max_size=60),
    st.builds(
        "{}://{}{}{}".format,
        st.sampled_from(["http", "https", "HTTPS", "ftp", ""]),
        st.from_regex(r"[A-Za-z0-9.-]{1,20}|\[::1\]|user:pw@host", fullmatch=True),
        st.sampled_from(["", ":8080", ":0", ":99999", ":x"]),
        st.from_regex(r"(/[a-zA-Z]{0,5}){0,3}/?", fullmatch=True),
    ),
)


@settings(max_examples=300)
@given(_urls)
def test_url_validator_total(value: str) -> None:
    try:
        url = normalize_url(value)
    except InvalidURLError:
        return
    scheme, _, rest = url.partition("://")
    assert scheme in ("http", "https")
    assert value.strip().lower().startswith(scheme + "://")
    host = rest.split("/")[0]
    assert host == host.lower()
    assert "@" not in host
    assert url.endswith("/")
    assert normalize_url(url) == url  # stable


def test_url_strategy_reaches_valid_urls() -> None:
    """The strategy above must produce URLs that pass, or it tests nothing."""
    seen: list[str] = []

    @settings(max_examples=200, database=None)
    @given(_urls)
    def collect(value: str) -> None:
        with contextlib.suppress(InvalidURLError):
            seen.append(normalize_url(value))

    collect()
    assert len(seen) > 20
