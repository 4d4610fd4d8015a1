"""Service settings, read from ``DYNAGUARD_*`` variables and an optional ``.env`` file."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Annotated, Literal

from platformdirs import user_data_dir
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["Argon2ProfileName", "Settings", "describe_validation_error"]

Argon2ProfileName = Literal["rfc9106-low-memory", "owasp-minimum", "insecure-test-only"]


def _default_data_dir() -> Path:
    return Path(user_data_dir("dynaguard", appauthor=False))


class Settings(BaseSettings):
    """Everything the guard needs to run; bad values fail at start, never later."""

    model_config = SettingsConfigDict(
        env_prefix="DYNAGUARD_", env_file=".env", extra="ignore", frozen=True
    )

    dynamodb_endpoint: str = Field(
        "", description="Empty: an embedded local engine. A URL: that engine. `aws`: AWS itself."
    )
    dynamodb_connect_timeout: float = Field(
        0.5, gt=0, le=10, description="Seconds one attempt may wait for a connection to "
        "DynamoDB.")
    dynamodb_read_timeout: float = Field(
        0.8, gt=0, le=30, description="Seconds one attempt may wait for DynamoDB's answer "
        "(the embedded engine, one request at a time, gets at least 5).")
    dynamodb_max_attempts: int = Field(
        3, ge=1, le=10, description="Attempts per store call (first try included), with "
        "short jittered waits between them and a retry budget that stops retrying when most "
        "calls fail.")
    dynamodb_call_timeout: float = Field(
        1.2, gt=0, le=60, description="Seconds one store call may take, attempts and waits "
        "included; past it the request answers 503 with Retry-After (the embedded engine gets "
        "at least 25).")
    dynamodb_max_in_flight: int = Field(
        128, ge=1, le=4096, description="Store calls under way at once (also the connection "
        "pool's size); a call beyond it is refused at once with 503 rather than queued.")
    region: str = Field("us-east-1", description="AWS region of the table.")
    table: str = Field(
        "dynaguard", min_length=3, max_length=255, pattern=r"^[A-Za-z0-9_.-]+$",
        description="Name of the single DynamoDB table.",
    )
    issuer: str = Field("http://127.0.0.1:8000", min_length=1, description="JWT `iss`.")
    audience: str = Field("dynaguard", min_length=1, description="JWT `aud`.")
    access_ttl: int = Field(300, ge=30, le=3600, description="Access-token lifetime, seconds.")
    refresh_idle_ttl: int = Field(86_400, ge=300, description="Refresh idle expiry, seconds.")
    refresh_absolute_ttl: int = Field(604_800, ge=300, description="Session lifetime, seconds.")
    verify_ttl: int = Field(86_400, ge=300, description="Email-verification link lifetime.")
    reset_ttl: int = Field(1200, ge=60, le=86_400, description="Password-reset link lifetime, s.")
    email_change_ttl: int = Field(3600, ge=300, le=86_400,
                                  description="Lifetime of the link confirming a new email, s.")
    mail_url: str = Field("", description="`file:///dir` (default: data dir) or `smtp://host:port`.")
    public_url: str = Field(
        "http://127.0.0.1:8000",
        description="Base of links in mails, and the passkeys' origin; unset, `dynaguard serve` "
        "uses the address it listens on.")
    default_scopes: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["notes:read", "notes:write"],
        description="Scopes a new account receives, separated by spaces or commas "
        "(default: `notes:read notes:write`).",
    )
    password_min_length: int = Field(12, ge=8, le=64, description="Minimum password length.")
    argon2_profile: Argon2ProfileName = Field(
        "rfc9106-low-memory",
        description="Argon2id cost; `insecure-test-only` is for test suites and refused by "
        "`dynaguard serve`.",
    )
    hash_concurrency: int = Field(
        default_factory=lambda: max(2, os.cpu_count() or 2), ge=1, le=64,
        description="Password hashes computed at once; bounds memory under a login flood "
        "(default: the number of CPUs, at least 2).",
    )
    throttle_free_failures: int = Field(
        5, ge=1, le=100, description="Failures per identifier before delays start."
    )
    throttle_max_delay: int = Field(900, ge=1, description="Longest delay, seconds.")
    throttle_lock_after: int = Field(
        100, ge=10, le=10_000, description="Failures that lock an identifier until unlocked."
    )
    address_failure_limit: int = Field(
        30, ge=1, description="Failures per client address and window (password spraying)."
    )
    address_window: int = Field(600, ge=10, description="Window of the per-address limit, s.")
    ratelimit_headers: bool = Field(
        True, description="Advertise the per-address budget as `RateLimit` header fields; "
        "turn off when many users share one address (every one of them would see the "
        "failures of the others counting down).")
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Proxy addresses or networks whose X-Forwarded-For is believed.",
    )
    breached_check_url: str = Field(
        "", description="Base URL of a Pwned-Passwords range API; empty turns the check off."
    )
    audit_retention: int = Field(90 * 86_400, ge=86_400, description="Audit records kept, s.")
    kek: SecretStr | None = Field(
        None, description="Base64 32-byte key that encrypts signing keys at rest."
    )
    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Local state: the generated key-encryption key and the file outbox "
        "(default: the user's data directory).",
    )
    key_refresh_interval: int = Field(
        30, ge=1, le=300, description="Seconds between re-reads of the signing-key ring."
    )
    introspection_client_id: str = Field(
        "", max_length=128, description="Resource-server client id for POST /auth/introspect."
    )
    introspection_client_secret: SecretStr | None = Field(
        None, description="Its secret (at least 32 characters); unset: introspection refused."
    )
    session_cache_ttl: float = Field(
        0.0, ge=0.0, le=5.0,
        description="Seconds a session check may be reused in-process; 0 checks every request.",
    )
    history: Path | None = Field(
        None, description="The scan history's SQLite file (default: `history.sqlite3` in the "
        "user's data directory); `--history` overrides it where a command has that option.",
    )
    service_name: str = Field(
        "dynaguard", description="Name in mails; passwords containing it are refused."
    )
    mfa_required_scopes: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["admin"],
        description="Scopes issued only to sessions that passed a second factor.",
    )
    ui: bool = Field(
        True, description="Serve the hosted sign-in pages under `/ui`; `false` turns them off.")
    ui_return_to: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="URLs the sign-in pages may send a person back to (`return_to`), "
        "separated by spaces or commas: an entry allows its origin and the paths under its "
        "own; empty: only pages of this service.")
    ui_session_ttl: int = Field(
        43_200, ge=300, le=2_592_000,
        description="Lifetime of a browser session of the sign-in pages, seconds "
        "(it also ends with its server-side session).")
    passkey_rp_id: str = Field(
        "", description="WebAuthn relying-party id; empty: the host of public_url."
    )
    passkey_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins allowed in passkey ceremonies; empty: public_url's origin.",
    )

    @field_validator("default_scopes", "trusted_proxies", mode="before")
    @classmethod
    def _split_scopes(cls, value: object) -> object:
        if isinstance(value, str):
            return [s for s in value.replace(",", " ").split() if s]
        return value

    @field_validator("mfa_required_scopes", "passkey_origins", "ui_return_to", mode="before")
    @classmethod
    def _split_mfa_lists(cls, value: object) -> object:
        if isinstance(value, str):
            return [s for s in value.replace(",", " ").split() if s]
        return value

    @field_validator("history", mode="before")
    @classmethod
    def _history_file(cls, value: object) -> object:
        if isinstance(value, str):
            return Path(value.strip()).expanduser() if value.strip() else None
        return value

    @field_validator("passkey_origins")
    @classmethod
    def _origin_shape(cls, value: list[str]) -> list[str]:
        for origin in value:
            if not origin.startswith(("https://", "http://")) or origin.count("/") != 2:
                raise ValueError("must be origins such as https://example.com (no path)")
        return value

    @field_validator("ui_return_to")
    @classmethod
    def _return_shape(cls, value: list[str]) -> list[str]:
        for url in value:
            if not url.startswith(("https://", "http://")) or url.count("/") < 2:
                raise ValueError("must be absolute URLs such as https://app.example.com/")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            ipaddress.ip_network(entry, strict=False)
        return value

    @field_validator("dynamodb_endpoint")
    @classmethod
    def _endpoint_shape(cls, value: str) -> str:
        if value and value != "aws" and not value.startswith(("http://", "https://")):
            raise ValueError("must be empty, `aws`, or an http(s) URL")
        return value

    @field_validator("mail_url")
    @classmethod
    def _mail_shape(cls, value: str) -> str:
        if value and not value.startswith(("file://", "smtp://", "smtps://")):
            raise ValueError("must be file:///dir or smtp://host:port")
        return value

    @model_validator(mode="after")
    def _ttl_order(self) -> Settings:
        if self.refresh_idle_ttl > self.refresh_absolute_ttl:
            raise ValueError("refresh_idle_ttl must not exceed refresh_absolute_ttl")
        return self

    @model_validator(mode="after")
    def _timeouts_fit_the_call(self) -> Settings:
        if max(self.dynamodb_connect_timeout, self.dynamodb_read_timeout) > \
                self.dynamodb_call_timeout:
            raise ValueError("dynamodb_connect_timeout and dynamodb_read_timeout must not "
                             "exceed dynamodb_call_timeout")
        return self

    @field_validator("introspection_client_secret")
    @classmethod
    def _long_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters")
        return value

    @property
    def embedded(self) -> bool:
        """True when the guard should run its own in-memory DynamoDB engine."""
        return not self.dynamodb_endpoint

    @property
    def history_file(self) -> Path:
        """The scan history's file: ``history``, else ``history.sqlite3`` in the user's data dir."""
        return self.history or _default_data_dir() / "history.sqlite3"

    @property
    def outbox_dir(self) -> Path | None:
        """Directory of the file outbox, or None when mail goes over SMTP."""
        if not self.mail_url:
            return self.data_dir / "outbox"
        if self.mail_url.startswith("file://"):
            return Path(self.mail_url.removeprefix("file://"))
        return None


def describe_validation_error(error: ValidationError) -> str:
    """One line naming each bad setting and why, never echoing a value."""
    parts = []
    for item in error.errors():
        field = ".".join(str(p) for p in item["loc"]) or "settings"
        parts.append(f"DYNAGUARD_{field.upper()}: {item['msg']}")
    return "invalid settings: " + "; ".join(parts)
