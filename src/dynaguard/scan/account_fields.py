"""What an auth operation's body schema says about the account: which field takes an
email, which a username, what else a registration requires, and so what kind of
identifier the login expects.

Names alone mislead: FastAPI's ``OAuth2PasswordRequestForm`` calls its field ``username``
whatever it holds, and many APIs register with an email and log in with that form. So the
registration's schema decides what an account is called, and a login field decides for
itself only when its own schema says (a ``format: email``, a name like ``email``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from dynaguard.scan.profile import Endpoint
from dynaguard.scan.schema_values import (
    JsonSchema,
    is_email_field,
    is_username_field,
    required_values,
)

__all__ = ["DEFAULT_NAME_LENGTH", "AccountFields", "account_fields", "credential_endpoint",
           "name_length"]

Kind = Literal["email", "username"]
BODIES: dict[str, Literal["json", "form", "none"]] = {"json": "json", "form": "form"}
DEFAULT_NAME_LENGTH = 16
MIN_NAME_LENGTH = 8
MAX_NAME_LENGTH = 64


def _props(schema: JsonSchema) -> dict[str, JsonSchema]:
    props = schema.get("properties", {})
    return {k: v for k, v in props.items() if isinstance(v, dict)} if isinstance(props, dict) \
        else {}


@dataclass(frozen=True)
class AccountFields:
    """The fields of one body that name the account, required ones first."""

    email: str | None = None
    username: str | None = None

    @property
    def kind(self) -> Kind | None:
        """What this body calls the account by (an email when it takes one)."""
        return "email" if self.email else "username" if self.username else None


def account_fields(schema: JsonSchema) -> AccountFields:
    props = _props(schema)
    required = [n for n in schema.get("required", []) if n in props]
    ordered = [*required, *(n for n in props if n not in required)]
    email = next((n for n in ordered if is_email_field(n, props[n])), None)
    username = next((n for n in ordered if is_username_field(n, props[n])), None)
    return AccountFields(email, username)


def _field_kind(name: str | None, schema: JsonSchema,
                registration: AccountFields | None) -> Kind | None:
    """The kind of identifier field ``name`` takes: its own schema's word, else the
    registration's (a username when accounts have one, else their email)."""
    if name is None:
        return None
    own = _props(schema).get(name, {})
    if is_email_field(name, own):
        return "email"
    if registration is None or registration.kind is None:
        return None
    return "username" if registration.username else "email"


def credential_endpoint(path: str, method: str, body: str, schema: JsonSchema, *,
                        identifier: str | None, password: str | None,
                        registration: AccountFields | None, registering: bool = False
                        ) -> Endpoint:
    """An endpoint that takes the account's names and password: what kind of identifier
    its identifier field takes (``registration``: the registration's account fields), and
    a valid value for every other field it requires. A registration (``registering``)
    also sends every field naming the account: an optional email is where mail goes."""
    fields = account_fields(schema)
    kind = _field_kind(identifier, schema, fields if registering else registration)
    sent = {identifier, password}
    extra: dict[str, Any] = {k: v for k, v in required_values(schema).items() if k not in sent}
    if registering:
        for name, placeholder in ((fields.email, "{email}"), (fields.username, "{username}")):
            if name and name not in sent:
                extra.setdefault(name, placeholder)
    return Endpoint(path=path, method=method, body=BODIES.get(body, "none"),
                    identifier=identifier, identifier_kind=kind, password=password,
                    extra=extra)


def name_length(schema: JsonSchema, domain: str) -> int | None:
    """A length for the scanner's account names that the registration's username and
    email fields accept, when the default one does not fit."""
    fields = account_fields(schema)
    props = _props(schema)
    low, high = MIN_NAME_LENGTH, MAX_NAME_LENGTH
    if fields.username:
        own = props[fields.username]
        low = max(low, int(own.get("minLength", 0)))
        high = min(high, int(own.get("maxLength", high)))
    if fields.email and "maxLength" in props[fields.email]:
        high = min(high, int(props[fields.email]["maxLength"]) - len(domain) - 1)
    if low <= DEFAULT_NAME_LENGTH <= high or low > high:
        return None
    return low if low > DEFAULT_NAME_LENGTH else high
