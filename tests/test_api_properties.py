"""Property tests: the parser and the validators never crash, whatever they get."""

from __future__ import annotations

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
    assert reply.code >= 0


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
    spaced = "".join(
        c + data.draw(st.sampled_from(["", " ", "-", ".", "(", ")"])) for c in number
    )
    assert normalize_number(spaced) == number


@given(st.text(max_size=60))
def test_url_validator_total(value: str) -> None:
    try:
        url = normalize_url(value)
    except InvalidURLError:
        return
    assert url.startswith(("http://", "https://"))
    assert url.endswith("/")
