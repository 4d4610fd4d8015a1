"""The signing-key ring: Ed25519 keys shared by every instance through the table.

Security-sensitive: private keys leave this module only as AES-GCM ciphertext under the
key-encryption key (KEK), bound to their ``kid``. Verification accepts only keys of this
ring, looked up by ``kid``; an unknown ``kid`` triggers a reload, at most one per second
and shared by every request waiting for it.

Rotation without downtime: the instance that rotates signs with the new key at once; the
others learn it from the table on the first token carrying its ``kid`` and switch to
signing with it within ``key_refresh_interval``. Old keys keep verifying until every token
they can have signed has expired (:func:`retire_after`), then leave the ring and JWKS.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import structlog
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from dynaguard.errors import StoreError
from dynaguard.settings import Settings
from dynaguard.store.items import KeyItem
from dynaguard.store.keys import KeyRepository

__all__ = ["KeyRing", "SigningKey", "load_kek", "retire_after"]

log = structlog.get_logger("dynaguard.keys")
# An unknown kid reloads the ring at most this often, so random kids cannot flood the table.
RELOAD_INTERVAL_S = 1.0
ALGORITHM = "EdDSA"
KID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Clock leeway of verification plus a margin for a slow instance.
RETIRE_MARGIN_S = 60


def retire_after(settings: Settings) -> int:
    """Seconds an old key must keep verifying after a rotation: until an instance that has
    not yet seen the new key stops signing with the old one, plus one token lifetime."""
    return settings.key_refresh_interval + settings.access_ttl + RETIRE_MARGIN_S


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def load_kek(settings: Settings) -> tuple[bytes, Path | None]:
    """The KEK from settings, or a local one generated once into a 0600 file (and its path)."""
    if settings.kek is not None:
        raw = base64.b64decode(settings.kek.get_secret_value() + "==", validate=False)
        if len(raw) != 32:
            raise ValueError("DYNAGUARD_KEK must be 32 bytes, base64-encoded")
        return raw, None
    path = settings.data_dir / "kek"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass  # made earlier, or by a process starting beside us
    else:
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(32))
    raw = path.read_bytes()
    if len(raw) != 32:
        raise ValueError(f"key-encryption key file {path} is damaged")
    return raw, path


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private: Ed25519PrivateKey | None
    public: Ed25519PublicKey
    created_at: int
    expires_at: int | None

    def jwk(self) -> dict[str, str]:
        raw = self.public.public_bytes(Encoding.Raw, PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": _b64(raw), "kid": self.kid,
                "alg": ALGORITHM, "use": "sig"}


class KeyRing:
    """Loads, creates and serves the ring's keys."""

    def __init__(self, repo: KeyRepository, kek: bytes) -> None:
        self._repo = repo
        self._aead = AESGCM(kek)
        self._keys: dict[str, SigningKey] = {}
        self._loaded_at = 0.0  # when the last completed load *started* (monotonic)
        self._reload_lock = asyncio.Lock()

    def _open(self, item: KeyItem) -> SigningKey:
        raw_public = base64.urlsafe_b64decode(item.public_key + "==")
        public = Ed25519PublicKey.from_public_bytes(raw_public)
        blob = item.private_key_encrypted
        try:
            raw = self._aead.decrypt(blob[:12], blob[12:], item.kid.encode())
        except InvalidTag:
            # Another KEK wrote this key: it still verifies, but we cannot sign with it.
            log.error("signing_key_undecryptable", kid=item.kid)
            return SigningKey(item.kid, None, public, item.created_at, item.expires_at)
        return SigningKey(item.kid, Ed25519PrivateKey.from_private_bytes(raw), public,
                          item.created_at, item.expires_at)

    def _seal(self, private: Ed25519PrivateKey, expires_at: int | None = None) -> KeyItem:
        public_raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        kid = _b64(hashlib.sha256(public_raw).digest()[:16])
        raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        nonce = secrets.token_bytes(12)
        sealed = nonce + self._aead.encrypt(nonce, raw, kid.encode())
        return KeyItem(pk="KEYRING", sk=f"KEY#{kid}", kid=kid, alg=ALGORITHM,
                       public_key=_b64(public_raw), private_key_encrypted=sealed,
                       created_at=int(time.time()), expires_at=expires_at)

    async def load(self) -> None:
        """Read the ring; create its first key if the table has none."""
        started = time.monotonic()
        items = await self._repo.all()
        if not items:
            await self._repo.add_first(self._seal(Ed25519PrivateKey.generate()))
            items = await self._repo.all()
        self._keys = {item.kid: self._open(item) for item in items}
        self._loaded_at = started

    async def refresh_forever(self, interval: float) -> None:
        """Re-read the ring every ``interval`` seconds (run as a task; cancel to stop), so
        this instance signs with a key rotated elsewhere and drops retired ones."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.load()
            except StoreError as error:
                log.warning("key_ring_refresh_failed", error=type(error).__name__)

    async def _reload_for(self, asked_at: float) -> None:
        """Make sure a load that started after ``asked_at`` has completed, loading at most
        once per RELOAD_INTERVAL_S however many requests ask."""
        async with self._reload_lock:
            if self._loaded_at >= asked_at:
                return
            wait = self._loaded_at + RELOAD_INTERVAL_S - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            await self.load()

    async def rotate(self, retire_after: int) -> SigningKey:
        """Add a new signing key; older keys verify for ``retire_after`` seconds more."""
        new = self._seal(Ed25519PrivateKey.generate())
        await self._repo.add(new)
        retire_at = int(time.time()) + retire_after
        for item in await self._repo.all():
            if item.kid != new.kid and (item.expires_at is None or item.expires_at > retire_at):
                await self._repo.add_expiry(item.kid, retire_at)
        await self.load()
        return self._keys[new.kid]

    def signing_key(self) -> SigningKey:
        """The newest key not being retired (a retiring key signs only if none is left);
        ``created_at`` has one-second resolution, so retirement decides first."""
        now = time.time()
        usable = [k for k in self._keys.values() if k.private is not None
                  and (k.expires_at is None or k.expires_at > now)]
        if not usable:
            raise StoreError("no usable signing key")
        return max(usable, key=lambda k: (k.expires_at is None, k.created_at, k.kid))

    async def verification_key(self, kid: str) -> Ed25519PublicKey | None:
        """The public key for ``kid`` if it belongs to the ring and has not expired."""
        key = self._keys.get(kid)
        if key is None and KID_PATTERN.fullmatch(kid):
            # Perhaps a key rotated in by another instance after our last load.
            await self._reload_for(time.monotonic())
            key = self._keys.get(kid)
        if key is None or (key.expires_at is not None and key.expires_at <= time.time()):
            return None
        return key.public

    def keys(self) -> list[SigningKey]:
        return sorted(self._keys.values(), key=lambda k: k.created_at)

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        now = time.time()
        return {"keys": [k.jwk() for k in self.keys()
                         if k.expires_at is None or k.expires_at > now]}
