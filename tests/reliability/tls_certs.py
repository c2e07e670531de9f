"""Test certificates made with `cryptography`: a test CA and the server certificates the
TLS tests need (docs/reliability.md, "TLS"). EC P-256 keys: quick to make.

`make_certs(folder)` writes PEM files and returns their paths:
- `ca`: the test CA (what the client's CA-file setting names);
- `good`: a server certificate from the test CA for 127.0.0.1 and localhost;
- `expired`: the same, but its validity ended yesterday;
- `wrong_host`: from the test CA, but for another host name only;
- `self_signed`: a server certificate for 127.0.0.1 that signed itself (no CA).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LOOPBACK_NAMES: tuple[x509.GeneralName, ...] = (
    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    x509.DNSName("localhost"),
)


@dataclass(frozen=True)
class ServerCert:
    cert: Path  # PEM certificate
    key: Path  # PEM private key (unencrypted: a test key)


@dataclass(frozen=True)
class CertSet:
    ca: Path
    good: ServerCert
    expired: ServerCert
    wrong_host: ServerCert
    self_signed: ServerCert


def _name(common: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Tickerdesk tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common),
        ]
    )


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> Path:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def _write_cert(cert: x509.Certificate, path: Path) -> Path:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def _ca(folder: Path, now: dt.datetime) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = _key()
    name = _name("Tickerdesk test CA")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
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
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    _write_cert(cert, folder / "ca.pem")
    return cert, key


def _server(
    folder: Path,
    stem: str,
    names: tuple[x509.GeneralName, ...],
    valid: tuple[dt.datetime, dt.datetime],
    issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None,
) -> ServerCert:
    """A server certificate for `names`, signed by `issuer` (None: by itself)."""
    key = _key()
    subject = _name(stem)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer[0].subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid[0])
        .not_valid_after(valid[1])
        .add_extension(x509.SubjectAlternativeName(list(names)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer[1].public_key()), False
        )
    cert = builder.sign(issuer[1] if issuer else key, hashes.SHA256())
    return ServerCert(
        _write_cert(cert, folder / f"{stem}.pem"), _write_key(key, folder / f"{stem}.key")
    )


def make_certs(folder: Path) -> CertSet:
    """Every certificate the TLS tests use, written under `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca = _ca(folder, now)
    current = (now - dt.timedelta(days=1), now + dt.timedelta(days=30))
    past = (now - dt.timedelta(days=30), now - dt.timedelta(days=1))
    return CertSet(
        ca=folder / "ca.pem",
        good=_server(folder, "good", LOOPBACK_NAMES, current, ca),
        expired=_server(folder, "expired", LOOPBACK_NAMES, past, ca),
        wrong_host=_server(
            folder, "wrong-host", (x509.DNSName("quotes.example.com"),), current, ca
        ),
        self_signed=_server(folder, "self-signed", LOOPBACK_NAMES, current, None),
    )
