"""The target profile: what the scanner must know about an API's authentication.

Discovery fills a profile from the OpenAPI document; a TOML file (``--profile``) fills
or overrides any part of it. The format is documented in ``docs/scanner.md``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError, field_validator

from dynaguard.scan.errors import ProfileError

__all__ = ["ENDPOINT_ROLES", "Endpoint", "Profile", "SessionStyle", "load_profile"]

ENDPOINT_ROLES = ("login", "register", "verify_email", "refresh", "logout", "me", "forgot",
                  "change_password", "reset")
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Endpoint(_Model):
    """One operation and the names of the fields it takes."""

    path: str = Field(min_length=1)
    method: str = "POST"
    body: Literal["json", "form", "none"] = "json"
    identifier: str | None = Field(None, description="Email or username field.")
    identifier_kind: Literal["email", "username"] | None = Field(None, description=(
        "What the identifier field takes: the account's email, or its username (the part "
        "of the scanner's address before the @); empty = the identifier as it is."))
    password: str | None = None
    new_password: str | None = None
    token: str | None = Field(None, description="Refresh, verification or reset token field.")
    extra: dict[str, JsonValue] = Field(default_factory=dict, description=(
        "Further fields sent as they are (any JSON value); `{identifier}`, `{password}`, "
        "`{email}` and `{username}` in strings are filled in."))
    form_page: str | None = Field(None, description=(
        "An HTML page whose <form> this endpoint submits: it is fetched before every "
        "submission for its hidden fields (CSRF tokens) and the cookies it sets."))

    @field_validator("path", "form_page")
    @classmethod
    def _path_shape(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("/"):
            raise ValueError("must start with '/' (a path on the target, not a URL)")
        return value

    @field_validator("method")
    @classmethod
    def _method_shape(cls, value: str) -> str:
        if value.upper() not in METHODS:
            raise ValueError(f"must be one of {', '.join(sorted(METHODS))}")
        return value.upper()

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


class SessionStyle(_Model):
    """Where the login answer puts the credential and how requests carry it."""

    token_from: Literal["json", "cookie", "header"] | None = None
    token_name: str | None = Field(None, description=(
        "JSON field (dotted path), cookie name or header name; empty = auto-detect."))
    refresh_name: str | None = Field(None, description="JSON field of the refresh token.")
    send_as: Literal["bearer", "cookie", "header"] | None = None
    send_name: str | None = Field(None, description="Header or cookie name used to send it.")


class Accounts(_Model):
    identifier: Literal["email", "username"] | None = None
    email_domain: str = "example.com"
    name_length: int | None = Field(None, ge=8, le=64, description=(
        "Length of the names the scanner gives its accounts (before the @); empty = 16."))


class Profile(_Model):
    """Everything the scanner knows about the target's authentication surface."""

    endpoints: dict[str, Endpoint] = Field(default_factory=dict, description=(
        f"Operations by role: {', '.join(ENDPOINT_ROLES)}."))
    session: SessionStyle = Field(default_factory=SessionStyle)
    accounts: Accounts = Field(default_factory=Accounts)
    protected: list[str] = Field(default_factory=list, description=(
        "Operations that must demand authentication, as 'METHOD /path'."))
    public: list[str] = Field(default_factory=list, description=(
        "Operations meant to be public: never reported as missing authentication."))

    @field_validator("endpoints")
    @classmethod
    def _known_roles(cls, value: dict[str, Endpoint]) -> dict[str, Endpoint]:
        unknown = sorted(set(value) - set(ENDPOINT_ROLES))
        if unknown:
            raise ValueError(f"unknown endpoint role {', '.join(unknown)}; "
                             f"known: {', '.join(ENDPOINT_ROLES)}")
        return value

    @field_validator("protected", "public")
    @classmethod
    def _operations_shape(cls, value: list[str]) -> list[str]:
        for item in value:
            method, _, path = item.partition(" ")
            if method.upper() not in METHODS or not path.startswith("/"):
                raise ValueError(f"{item!r} is not 'METHOD /path'")
        return [f"{m.upper()} {p.strip()}" for m, _, p in (i.partition(" ") for i in value)]

    def endpoint(self, role: str) -> Endpoint | None:
        return self.endpoints.get(role)

    def merged_over(self, base: Profile) -> Profile:
        """This profile's settings where given, ``base``'s (discovered) everywhere else."""
        mine, theirs = self.session.model_dump(), base.session.model_dump()
        return Profile(
            endpoints={**base.endpoints, **self.endpoints},
            session=SessionStyle(**{k: mine[k] if mine[k] is not None else theirs[k]
                                    for k in mine}),
            accounts=Accounts(identifier=self.accounts.identifier or base.accounts.identifier,
                              email_domain=self.accounts.email_domain,
                              name_length=self.accounts.name_length
                              or base.accounts.name_length),
            protected=sorted({*self.protected, *base.protected}),
            public=sorted({*self.public, *base.public}))


def load_profile(path: Path) -> Profile:
    """Read and validate a TOML profile; any problem is a :class:`ProfileError` naming it."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ProfileError(f"{path}: cannot read the profile ({error.strerror})") from None
    except tomllib.TOMLDecodeError as error:
        raise ProfileError(f"{path}: not valid TOML: {error}") from None
    try:
        return Profile.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            where = ".".join(str(p) for p in item["loc"]) or "(top level)"
            problems.append(f"{where}: {item['msg']}")
        raise ProfileError(f"{path}: invalid profile: " + "; ".join(problems)) from None
