"""The gateway towards its upstream (issue 19): STARTTLS with the certificate checked,
AUTH only over TLS, and a refused AUTH or a missing STARTTLS answered 451, not a loss."""

from __future__ import annotations

import datetime as dt
import smtplib
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from licite.errors import InvalidInput
from licite.gateway import GatewaySettings
from tests.gateway_support import downstream, gateway, mail, send
from tests.test_person_support import Person, person_side

ANNE = "anne@example.org"


@pytest.fixture
def side(tmp_path: Path) -> Iterator[Person]:
    with person_side(f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path) as running:
        yield running


def certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1: the upstream's, and the CA the gateway trusts."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    from ipaddress import ip_address

    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "upstream.pem", directory / "upstream.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def checker(user: str, password: str) -> Any:
    def authenticate(
        server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            user.encode(),
            password.encode(),
        )
        return AuthResult(success=ok, handled=False, auth_data=data.login if ok else None)

    return authenticate


def tls_upstream(tmp_path: Path, **options: Any) -> tuple[Any, Path]:
    cert_file, key_file = certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return downstream(tls_context=context, **options), cert_file


def test_starttls_and_auth_towards_the_upstream(side: Person, tmp_path: Path) -> None:
    upstream, ca = tls_upstream(
        tmp_path, authenticator=checker("relay", "s3cret"), auth_required=True
    )
    with (
        upstream as down,
        gateway(
            side,
            down,
            LICITE_GATEWAY_STARTTLS="require",
            LICITE_GATEWAY_UPSTREAM_CA=str(ca),
            LICITE_GATEWAY_UPSTREAM_USER="relay",
            LICITE_GATEWAY_UPSTREAM_PASSWORD="s3cret",
        ) as port,
    ):
        assert send(port, [ANNE], mail()) == {}
    [got] = down.sink.received
    assert got.tls and got.auth == b"relay"


def test_a_refused_auth_is_451(side: Person, tmp_path: Path) -> None:
    upstream, ca = tls_upstream(
        tmp_path, authenticator=checker("relay", "s3cret"), auth_required=True
    )
    with (
        upstream as down,
        gateway(
            side,
            down,
            LICITE_GATEWAY_UPSTREAM_CA=str(ca),
            LICITE_GATEWAY_UPSTREAM_USER="relay",
            LICITE_GATEWAY_UPSTREAM_PASSWORD="wrong",
        ) as port,
        pytest.raises(smtplib.SMTPDataError) as caught,
    ):
        send(port, [ANNE], mail())
    assert caught.value.smtp_code == 451
    assert "4.7.0 upstream refused our AUTH" in str(caught.value.smtp_error)
    assert down.sink.received == []


def test_an_untrusted_certificate_is_not_relayed_to(side: Person, tmp_path: Path) -> None:
    upstream, _ = tls_upstream(tmp_path)
    with (
        upstream as down,
        gateway(side, down) as port,  # the system's CAs: the self-signed one is not among them
        pytest.raises(smtplib.SMTPDataError) as caught,
    ):
        send(port, [ANNE], mail())
    assert caught.value.smtp_code == 451
    assert down.sink.received == []


def test_starttls_required_of_an_upstream_without_it_is_451(side: Person) -> None:
    with (
        downstream() as down,
        gateway(side, down, LICITE_GATEWAY_STARTTLS="require") as port,
        pytest.raises(smtplib.SMTPDataError) as caught,
    ):
        send(port, [ANNE], mail())
    assert caught.value.smtp_code == 451
    assert "STARTTLS" in str(caught.value.smtp_error)
    assert down.sink.received == []


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"LICITE_GATEWAY_STARTTLS": "maybe"}, "LICITE_GATEWAY_STARTTLS"),
        ({"LICITE_GATEWAY_UPSTREAM_USER": "relay"}, "LICITE_GATEWAY_UPSTREAM_PASSWORD"),
        ({"LICITE_GATEWAY_MAX_RECIPIENTS": "0"}, "LICITE_GATEWAY_MAX_RECIPIENTS"),
        ({"LICITE_GATEWAY_WORKERS": "many"}, "LICITE_GATEWAY_WORKERS"),
        ({"LICITE_GATEWAY_UPSTREAM_CA": "/nowhere.pem"}, "LICITE_GATEWAY_UPSTREAM_CA"),
    ],
)
def test_bad_settings_name_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        GatewaySettings.from_environ("127.0.0.1:25", env)
    assert named in caught.value.text.en and named in caught.value.text.fr


@pytest.mark.parametrize(
    ("url", "workers"),
    [
        ("postgresql://relay@db.example/licite", 4),
        ("postgres://relay@db.example/licite", 4),
        ("sqlite:///var/lib/licite/ledger.db", 2),
        ("", 2),  # the default ledger, SQLite
    ],
)
def test_the_default_workers_follow_the_store(url: str, workers: int) -> None:
    env = {"LICITE_DATABASE_URL": url} if url else {}
    assert GatewaySettings.from_environ("127.0.0.1:25", env).workers == workers
    chosen = {**env, "LICITE_GATEWAY_WORKERS": "3"}
    assert GatewaySettings.from_environ("127.0.0.1:25", chosen).workers == 3
