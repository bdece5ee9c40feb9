"""HTTPS trust: the OS store by default, SSL_CERT_FILE / SSL_CERT_DIR / the CA-bundle setting
override it in that order, and a refused certificate is explained. Real TLS: the simulator over
HTTPS on loopback with trustme certificates (a private CA, like a company's inspection CA)."""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import trustme

from jobmonitor.api.certs import certificate_problem
from jobmonitor.core.tls import TrustConfigError, trust_context
from jobmonitor.sim import SimServer, SimWorld


@pytest.fixture
def company_ca() -> trustme.CA:
    return trustme.CA(organization_name="Example Corp inspection CA")


@pytest.fixture
def tls_server(company_ca: trustme.CA, tmp_path: Path) -> Iterator[tuple[SimServer, str]]:
    cert = company_ca.issue_cert("127.0.0.1", "127.0.0.2")
    chain, key = tmp_path / "server.pem", tmp_path / "server.key"
    cert.private_key_pem.write_to_path(str(key))
    chain.write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))
    world = SimWorld()
    api_key = "k" * 32
    job = world.add_job(api_key, queued_for=0, processing_for=0)
    with SimServer(world, tls=(str(chain), str(key))) as server:
        yield server, f"{server.api_url}/jobs/{job}"


def _bundle(ca: trustme.CA, path: Path) -> Path:
    ca.cert_pem.write_to_path(str(path))
    return path


def _hashed_folder(pem: Path, folder: Path) -> Path:
    """The folder form OpenSSL reads (SSL_CERT_DIR): each CA under its subject hash."""
    folder.mkdir()
    subject_hash = subprocess.run(
        ["openssl", "x509", "-hash", "-noout", "-in", str(pem)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (folder / f"{subject_hash}.0").write_bytes(pem.read_bytes())
    return folder


async def _get(url: str, context: ssl.SSLContext) -> int:
    async with httpx.AsyncClient(verify=context, timeout=10) as http:
        response = await http.get(url, headers={"x-api-key": "k" * 32})
        return response.status_code


async def test_the_os_store_refuses_a_private_ca_and_says_what_to_do(
    tls_server: tuple[SimServer, str],
) -> None:
    server, url = tls_server
    trust = trust_context("", environ={})
    assert trust.source == "the OS trust store"
    with pytest.raises(httpx.ConnectError) as caught:
        await _get(url, trust.context)
    problem = certificate_problem(caught.value)
    assert problem is not None
    assert "certificate is not trusted" in problem and "CA bundle" in problem
    assert "SSL_CERT_FILE" in problem
    assert server.api_url.startswith("https://127.0.0.1:")


async def test_the_ca_bundle_setting_trusts_it(
    tls_server: tuple[SimServer, str], company_ca: trustme.CA, tmp_path: Path
) -> None:
    _server, url = tls_server
    bundle = _bundle(company_ca, tmp_path / "corp.pem")
    trust = trust_context(str(bundle), environ={})
    assert trust.source == str(bundle)
    assert await _get(url, trust.context) == 200


async def test_ssl_cert_file_beats_ssl_cert_dir_which_beats_the_setting(
    tls_server: tuple[SimServer, str], company_ca: trustme.CA, tmp_path: Path
) -> None:
    _server, url = tls_server
    good = _bundle(company_ca, tmp_path / "good.pem")
    other = _bundle(trustme.CA(), tmp_path / "other.pem")
    hashed = _hashed_folder(good, tmp_path / "certs")

    file_wins = trust_context(str(other), environ={"SSL_CERT_FILE": str(good)})
    assert file_wins.source.startswith("SSL_CERT_FILE=")
    assert await _get(url, file_wins.context) == 200

    file_over_dir = trust_context(
        "", environ={"SSL_CERT_FILE": str(other), "SSL_CERT_DIR": str(hashed)}
    )
    with pytest.raises(httpx.ConnectError):
        await _get(url, file_over_dir.context)

    dir_over_setting = trust_context(str(other), environ={"SSL_CERT_DIR": str(hashed)})
    assert await _get(url, dir_over_setting.context) == 200

    setting_only = trust_context(str(other), environ={})
    with pytest.raises(httpx.ConnectError) as caught:
        await _get(url, setting_only.context)
    assert certificate_problem(caught.value) is not None


def test_an_unusable_override_is_named_with_the_reason(tmp_path: Path) -> None:
    with pytest.raises(TrustConfigError, match=r"SSL_CERT_FILE=.*no such file"):
        trust_context("", environ={"SSL_CERT_FILE": str(tmp_path / "missing.pem")})
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    with pytest.raises(TrustConfigError, match=r"CA bundle setting .*not a PEM"):
        trust_context(str(junk), environ={})


def test_other_connection_failures_are_not_called_certificate_problems() -> None:
    try:
        raise httpx.ConnectError("refused") from ConnectionRefusedError(111, "refused")
    except httpx.ConnectError as exc:
        assert certificate_problem(exc) is None


def test_the_command_line_trusts_the_same_and_explains_a_refusal(
    tls_server: tuple[SimServer, str],
    company_ca: trustme.CA,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from jobmonitor.__main__ import main

    server, url = tls_server
    job = url.rsplit("/", 1)[1]
    monkeypatch.setenv("JOBMONITOR_API_KEY", "k" * 32)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    assert main(["status", "--base-url", server.api_url, job]) == 1
    err = capsys.readouterr().err
    assert "certificate is not trusted" in err and "SSL_CERT_FILE" in err

    monkeypatch.setenv("SSL_CERT_FILE", str(_bundle(company_ca, tmp_path / "corp.pem")))
    assert main(["status", "--base-url", server.api_url, job]) == 0, capsys.readouterr().err
    capsys.readouterr()

    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "gone.pem"))
    assert main(["status", "--base-url", server.api_url, job]) == 2
    assert "cannot set up HTTPS: SSL_CERT_FILE=" in capsys.readouterr().err
