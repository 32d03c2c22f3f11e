"""The http:// URL repair's fix flow: https:// offered, probed, saved.

The success path runs against the simulator served over TLS, with a
certificate from a test CA that Home Assistant's client context trusts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
import ipaddress
import ssl
import time
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import ssl as ssl_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.connectcall.const import DOMAIN
from simulator import ConnectCallServer, Simulator, create_app

from .helpers import (
    DEST,
    PASSWORD,
    USERNAME,
    RunningSimulator,
    advance,
    dial,
    drain,
    run,
    serve,
    tick,
)


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _tls_contexts(tmp_path: Any) -> tuple[ssl.SSLContext, str]:
    """A server context for 127.0.0.1 and the PEM of the CA that signed it."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Connect Call test CA"))
        .issuer_name(_name("Connect Call test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "server.pem", tmp_path / "server.key"
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_file, key_file)
    return server, ca.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture
async def tls_sim(tmp_path: Any) -> AsyncIterator[RunningSimulator]:
    """The simulator over https:// on 127.0.0.1, trusted by Home Assistant.

    The test CA is added to Home Assistant's (cached) client context: it
    signs only this certificate, for 127.0.0.1, and lives for this process.
    """
    server_context, ca_pem = _tls_contexts(tmp_path)
    # The context of Home Assistant's shared client session (HTTP/1.1 ALPN).
    ssl_util.get_default_context().load_verify_locations(cadata=ca_pem)
    sim = Simulator(
        ConnectCallServer(accounts={USERNAME: PASSWORD}, clock=lambda: time.time())  # noqa: PLW0108
    )
    runner, url = await serve(create_app(sim), server_context)
    yield RunningSimulator(sim, url)
    await runner.cleanup()


def _issue_id(entry: MockConfigEntry) -> str:
    return f"insecure_url_{entry.entry_id}"


async def _start(
    hass: HomeAssistant, client: ClientSessionGenerator, entry: MockConfigEntry
) -> tuple[Any, dict[str, Any]]:
    assert await async_setup_component(hass, "repairs", {})
    http = await client()
    response = await http.post(
        "/api/repairs/issues/fix",
        json={"handler": DOMAIN, "issue_id": _issue_id(entry)},
    )
    assert response.status == 200, await response.text()
    return http, await response.json()


async def _submit(http: Any, flow: dict[str, Any], url: str) -> dict[str, Any]:
    response = await http.post(
        f"/api/repairs/issues/fix/{flow['flow_id']}", json={"url": url}
    )
    assert response.status == 200, await response.text()
    result: dict[str, Any] = await response.json()
    return result


def _offered(flow: dict[str, Any]) -> str:
    (field,) = flow["data_schema"]
    return str(field["description"]["suggested_value"])


async def test_the_fix_moves_the_account_to_https(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    ha_sim: RunningSimulator,
    tls_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    registry = ir.async_get(hass)
    issue = registry.async_get_issue(DOMAIN, _issue_id(init_integration))
    assert issue is not None
    assert issue.is_fixable
    http, flow = await _start(hass, hass_client, init_integration)
    assert flow["step_id"] == "confirm"
    # The same address with https://: the host and its custom port stay.
    assert _offered(flow) == "https://" + ha_sim.url.removeprefix("http://")
    assert flow["description_placeholders"] == {"account": USERNAME}
    result = await _submit(http, flow, tls_sim.url)
    assert result["type"] == "create_entry"
    await hass.async_block_till_done()
    assert init_integration.data["url"] == tls_sim.url
    assert init_integration.unique_id == f"{tls_sim.url}{USERNAME}"
    assert init_integration.state is ConfigEntryState.LOADED
    assert registry.async_get_issue(DOMAIN, _issue_id(init_integration)) is None
    # Over TLS: the flow's probe and the reloaded entry's own, no call.
    probes = [r for r in tls_sim.server.requests if r.command == "login"]
    assert len(probes) == 2
    assert all("dest" not in r.query for r in probes)
    assert tls_sim.server.calls == []
    # The account now works over https://.
    await hass.services.async_call(DOMAIN, "dial", {"destination": DEST}, blocking=True)
    assert [c.destination for c in tls_sim.server.calls] == [DEST]


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("https://127.0.0.1:9/api/", {"base": "cannot_connect"}),
        ("not a url", {"url": "invalid_url"}),
    ],
)
@pytest.mark.usefixtures("ha_sim")
async def test_a_wrong_url_changes_nothing(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    url: str,
    error: dict[str, str],
) -> None:
    before = dict(init_integration.data), init_integration.unique_id
    http, flow = await _start(hass, hass_client, init_integration)
    result = await _submit(http, flow, url)
    assert result["type"] == "form"
    assert result["errors"] == error
    assert (dict(init_integration.data), init_integration.unique_id) == before


async def test_http_is_not_a_fix(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The server answers at this http:// URL, but that is the problem."""
    http, flow = await _start(hass, hass_client, init_integration)
    result = await _submit(http, flow, ha_sim.url)
    assert result["errors"] == {"url": "not_https"}
    assert init_integration.data["url"] == ha_sim.url


@pytest.mark.usefixtures("ha_sim")
async def test_an_account_already_at_that_url_aborts(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    tls_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The account, added again at its https:// URL: the fix aborts and
    changes nothing."""
    before = dict(init_integration.data), init_integration.unique_id
    MockConfigEntry(
        domain=DOMAIN,
        title=USERNAME,
        unique_id=f"{tls_sim.url}{USERNAME}",
        version=2,
        data={**init_integration.data, "url": tls_sim.url},
        options=dict(init_integration.options),
    ).add_to_hass(hass)
    http, flow = await _start(hass, hass_client, init_integration)
    result = await _submit(http, flow, tls_sim.url)
    assert result["type"] == "abort"
    assert result["reason"] == "already_configured"
    assert (dict(init_integration.data), init_integration.unique_id) == before


@pytest.mark.parametrize("moment", ["ringing", "busy_retry_pause"])
async def test_a_call_in_progress_is_never_put_at_risk(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_client: ClientSessionGenerator,
    ha_sim: RunningSimulator,
    tls_sim: RunningSimulator,
    init_integration: MockConfigEntry,
    moment: str,
) -> None:
    """The probe logs in (a one-session server could end the call) and the
    save reloads: refused until the call is over, nothing sent. Also while
    no phone rings but a dial goes on: a busy number's retry is waiting
    (the reload would drop the retry)."""
    data: dict[str, Any] = {"destination": DEST}
    if moment == "busy_retry_pause":
        ha_sim.server.scenarios = {DEST: "busy"}
        data |= {"retry_busy": 1, "retry_delay": 60}
    await hass.services.async_call(DOMAIN, "dial", data, blocking=True)
    await tick(hass, freezer)
    if moment == "busy_retry_pause":
        await run(hass, freezer, 8)
        assert ha_sim.server.active_call() is None
        assert init_integration.runtime_data.plans.running
    http, flow = await _start(hass, hass_client, init_integration)
    result = await _submit(http, flow, tls_sim.url)
    assert result["errors"] == {"base": "call_in_progress"}
    assert tls_sim.server.requests == []
    assert init_integration.data["url"] == ha_sim.url
    assert (ha_sim.server.active_call() is not None) is (moment == "ringing")
    # Over: the same form goes through.
    await hass.services.async_call(DOMAIN, "hang_up", blocking=True)
    result = await _submit(http, result, tls_sim.url)
    assert result["type"] == "create_entry"


async def test_funds_repair_stays_when_the_answer_was_seen_at_the_resume(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A call rings when Home Assistant stops and is answered while it is
    down. The resume's getStatus shows it answered (9); the next poll finds
    it ended for lack of funds (7): the answer and the funds code are told
    together, and the repair stays (the answer clears it first)."""
    ha_sim.server.default_scenario = "funds_run_out"  # 9 at 9 s, 7 at 20 s
    await dial(hass)
    await run(hass, freezer, 3)
    await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    await advance(hass, freezer, 16.6)  # ~19.6 s: talking
    await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    await drain(hass)
    for _ in range(6):
        await tick(hass, freezer, 0.5)
    assert ha_sim.server.active_call() is None
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"insufficient_funds_{init_integration.entry_id}"
    )
    assert issue is not None
