"""The scanner's loopback key host: serves a JWKS and a certificate of a key the scanner
made, for ``jku`` / ``x5u`` probes, and notes every fetch as evidence.

It listens on 127.0.0.1 on an ephemeral port, only inside ``async with``, answers GET for
the documents it was given and nothing else, and reads at most a few kilobytes of each
request. A target that fetches from it has followed a URL its token header named.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import secrets
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

__all__ = ["KeyHost", "ScannerKey"]

MAX_REQUEST_BYTES = 8192
READ_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class ScannerKey:
    """An RSA key pair made for one scan: its JWK, a self-signed certificate, a signer."""

    kid: str
    private: rsa.RSAPrivateKey

    @classmethod
    def generate(cls) -> ScannerKey:
        return cls(f"dgscan-{secrets.token_hex(4)}",
                   rsa.generate_private_key(public_exponent=65537, key_size=2048))

    @property
    def jwk(self) -> dict[str, Any]:
        public: dict[str, Any] = json.loads(
            jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key()))
        return {**public, "kid": self.kid, "use": "sig", "alg": "RS256"}

    def certificate_pem(self) -> bytes:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dynaguard scanner probe")])
        now = datetime.datetime.now(datetime.UTC)
        certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                       .public_key(self.private.public_key())
                       .serial_number(x509.random_serial_number())
                       .not_valid_before(now - datetime.timedelta(minutes=5))
                       .not_valid_after(now + datetime.timedelta(hours=1))
                       .sign(self.private, hashes.SHA256()))
        return certificate.public_bytes(serialization.Encoding.PEM)

    def sign(self, claims: dict[str, Any], header: dict[str, Any]) -> str:
        """``claims`` signed RS256 with this key under ``header`` (plus alg and typ)."""
        return jwt.encode(claims, self.private, algorithm="RS256",
                          headers={"typ": "JWT", **header})


@dataclass
class KeyHost:
    """``async with KeyHost({path: (content type, body)}) as host``: serves until the end."""

    documents: dict[str, tuple[str, bytes]]
    fetched: list[str] = field(default_factory=list)
    _server: asyncio.Server | None = None
    _port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    async def __aenter__(self) -> KeyHost:
        self._server = await asyncio.start_server(self._answer, "127.0.0.1", 0)
        self._port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT_S)
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                ConnectionError):
            writer.close()
            return
        parts = head[:MAX_REQUEST_BYTES].split(b"\r\n", 1)[0].split(b" ")
        method, path = (parts[0], parts[1].decode("latin-1")) if len(parts) >= 2 else (b"", "")
        document = self.documents.get(path) if method == b"GET" else None
        if document is not None:
            self.fetched.append(path)
            status, kind, body = b"200 OK", document[0].encode(), document[1]
        else:
            status, kind, body = b"404 Not Found", b"text/plain", b"not found"
        writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Type: " + kind +
                     b"\r\nContent-Length: " + str(len(body)).encode() +
                     b"\r\nConnection: close\r\n\r\n" + body)
        try:
            await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()
