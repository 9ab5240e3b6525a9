"""A throw-away certificate authority and a server certificate it signs, for a load balancer on one
machine (`make cluster`, the cluster test): nginx serves the portal's ``https`` issuer with the
server certificate, and whoever calls the issuer (a business system fetching discovery and the
JWKS, a test's client, a browser told to) trusts the CA's certificate: verification stays on.

Why a CA and a leaf rather than one self-signed certificate: a self-signed end-entity certificate
as its own trust anchor is refused by strict verifiers (Python 3.13's ``VERIFY_X509_STRICT``,
browsers), while a CA:TRUE root that signs a CA:FALSE leaf with the names in subjectAltName is
what every verifier accepts. Both are made fresh at each start and never leave the run directory.
"""
from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = datetime.timedelta(days=30)


@dataclass(frozen=True)
class ServerCertificate:
    ca_path: Path  # the CA's certificate (PEM): what clients trust
    certificate_path: Path  # the server's certificate followed by nothing else (PEM)
    key_path: Path  # the server's private key (PEM, unencrypted, mode 0600)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "政务服务门户 local cluster"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _builder(subject: x509.Name, issuer: x509.Name, public_key, now: datetime.datetime) -> x509.CertificateBuilder:
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + VALIDITY))


def make_server_certificate(directory: Path, hosts: tuple[str, ...] = ("127.0.0.1", "localhost")) -> ServerCertificate:
    """A new CA and a server certificate for ``hosts`` (IP addresses or DNS names) in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("政务服务门户 local cluster CA")
    ca = (_builder(ca_name, ca_name, ca_key.public_key(), now)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))

    server_key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    server = (_builder(_name(hosts[0]), ca_name, server_key.public_key(), now)
              .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
              .add_extension(x509.SubjectAlternativeName(names), critical=False)
              .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
              .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
              .sign(ca_key, hashes.SHA256()))

    result = ServerCertificate(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    result.ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    result.certificate_path.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    # Created with mode 0600 rather than chmod-ed after: the key is never readable by others.
    descriptor = os.open(result.key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as key_file:
        key_file.write(server_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()))
    return result
