"""Discovery: read the target's OpenAPI document and guess its authentication surface.

Everything found here lands in a :class:`Profile`, which a profile file then overrides;
nothing downstream depends on the target being a dynaguard or even a FastAPI service.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Set
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any
from urllib.parse import urlsplit

import httpx

from dynaguard.scan.account_fields import (
    AccountFields,
    account_fields,
    credential_endpoint,
    name_length,
)
from dynaguard.scan.form_login import discover_forms
from dynaguard.scan.http import ScanHTTP
from dynaguard.scan.profile import Accounts, Endpoint, Profile, SessionStyle
from dynaguard.scan.spec_locations import SPEC_PATHS, fetch_spec

__all__ = ["SPEC_PATHS", "Operation", "Surface", "discover", "fetch_spec", "parse_spec"]

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
MAX_INLINE = 24

IDENTIFIER_FIELDS = ("email", "username", "user_name", "userName", "login", "identifier",
                     "user", "mail", "e-mail", "email_address", "emailAddress", "account")
PASSWORD_FIELDS = ("password", "pass", "passwd", "pwd", "passphrase", "secret")
CURRENT_PASSWORD_FIELDS = ("current_password", "currentPassword", "old_password", "oldPassword",
                           "password_current", "password")
NEW_PASSWORD_FIELDS = ("new_password", "newPassword", "password_new", "new")
TOKEN_FIELDS = ("token", "code", "key", "verification_token", "verificationToken",
                "refresh_token", "refreshToken", "refresh")
REGISTER_WORDS = frozenset({"register", "signup", "registration", "users", "join"})
SENSITIVE_WORDS = frozenset({
    "admin", "internal", "debug", "users", "user", "account", "accounts", "me", "profile",
    "settings", "sessions", "session", "billing", "payments", "orders", "keys", "secrets",
    "config", "private", "manage", "export", "audit", "tokens",
})


@dataclass(frozen=True)
class Operation:
    """One operation of the spec, reduced to what the checks need."""

    method: str
    path: str
    secured: bool
    fields: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    body: str = "none"
    schema: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def words(self) -> set[str]:
        """Path words, plus adjacent pairs joined: ``sign-in`` also reads as ``signin``."""
        parts = [w for w in re.split(r"[/_\-.{}]+", self.path.lower()) if w]
        return {*parts, *(a + b for a, b in pairwise(parts))}

    @property
    def has_path_params(self) -> bool:
        return "{" in self.path


@dataclass(frozen=True)
class Surface:
    """The discovered operations and the profile the checks use."""

    profile: Profile
    operations: tuple[Operation, ...] = ()
    spec_url: str | None = None
    # The API document (OpenAPI 3 shape) for checks that read more of it than operations.
    spec: dict[str, Any] | None = field(default=None, compare=False)


def _resolve(spec: dict[str, Any], node: Any, depth: int = 0) -> Any:
    if isinstance(node, dict) and "$ref" in node and depth < 16:
        ref = str(node["$ref"])
        if not ref.startswith("#/"):
            return {}
        target: Any = spec
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        return _resolve(spec, target, depth + 1)
    return node


def _inline(spec: dict[str, Any], node: Any, depth: int = 0) -> Any:
    """``node`` with every local ``$ref`` in it replaced by its target (a schema nested
    deeper than ``MAX_INLINE`` levels, as a recursive one is, ends as ``{}``)."""
    if depth > MAX_INLINE:
        return {}
    node = _resolve(spec, node)
    if isinstance(node, dict):
        return {key: _inline(spec, value, depth + 1) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(spec, value, depth + 1) for value in node]
    return node


def _body(spec: dict[str, Any], op: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    content = _resolve(spec, op.get("requestBody", {})).get("content", {})
    for media, kind in (("application/json", "json"),
                        ("application/x-www-form-urlencoded", "form"),
                        ("multipart/form-data", "form")):
        if media in content:
            schema = _inline(spec, content[media].get("schema", {}))
            return kind, schema if isinstance(schema, dict) else {}
    return "none", {}


def _properties(spec: dict[str, Any], schema: dict[str, Any]) -> tuple[list[str], list[str]]:
    props: dict[str, Any] = {}
    required: list[str] = []
    for raw in [schema, *schema.get("allOf", [])]:
        part = _resolve(spec, raw)
        props.update(part.get("properties", {}))
        required.extend(part.get("required", []))
    return list(props), required


def parse_spec(spec: dict[str, Any]) -> tuple[list[Operation], SessionStyle, list[str]]:
    """Operations, how credentials are sent, and OAuth2 password-flow token URLs."""
    schemes = spec.get("components", {}).get("securitySchemes", {}) or {}
    token_urls: list[str] = []
    send = SessionStyle()
    for raw in schemes.values():
        scheme = _resolve(spec, raw)
        kind = scheme.get("type")
        if kind == "oauth2":
            url = scheme.get("flows", {}).get("password", {}).get("tokenUrl")
            if url:
                token_urls.append(str(url))
            send = SessionStyle(send_as="bearer")
        elif kind == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
            send = SessionStyle(send_as="bearer")
        elif (kind == "apiKey" and scheme.get("in") == "header"
              and str(scheme.get("name", "")).lower() == "authorization"):
            # An Authorization "API key" is a token with a scheme word before it (how
            # drf-spectacular describes simplejwt); Bearer is the one most servers take.
            send = SessionStyle(send_as="bearer")
        elif kind == "apiKey" and scheme.get("in") in ("header", "cookie") and send.send_as is None:
            send = SessionStyle(send_as="header" if scheme["in"] == "header" else "cookie",
                                send_name=str(scheme.get("name")))
    global_security = spec.get("security", [])
    operations = []
    for path, item in (spec.get("paths") or {}).items():
        for method in HTTP_METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            security = op.get("security", global_security) or []
            # `[{}]` is an optional requirement: anonymous access is allowed.
            secured = bool(security) and all(req for req in security)
            kind, schema = _body(spec, op)
            fields, required = _properties(spec, schema)
            operations.append(Operation(method.upper(), str(path), secured, tuple(fields),
                                        tuple(required), kind, schema))
    return operations, send, token_urls


def _pick(fields: Iterable[str], names: Iterable[str]) -> str | None:
    present = {f.lower(): f for f in fields}
    for name in names:
        if name.lower() in present:
            return present[name.lower()]
    return None


def _score(op: Operation, words: Set[str], method: str | None = "POST") -> int:
    if method is not None and op.method != method:
        return 0
    hits = len(op.words & words)
    return 10 * hits - len(op.path) // 10 if hits else 0


def _best(operations: Iterable[Operation], words: Set[str], method: str | None = "POST",
          need: Iterable[tuple[str, ...]] = ()) -> Operation | None:
    ranked = []
    for op in operations:
        if all(_pick(op.fields, names) for names in need):
            score = _score(op, words, method)
            if score > 0:
                ranked.append((score, op))
    return max(ranked, key=lambda item: item[0])[1] if ranked else None


def _credential_endpoint(op: Operation, registration: AccountFields | None, *,
                         registering: bool = False, password: bool = True) -> Endpoint:
    return credential_endpoint(
        op.path, op.method, op.body, op.schema,
        identifier=_pick(op.fields, IDENTIFIER_FIELDS),
        password=_pick(op.fields, PASSWORD_FIELDS) if password else None,
        registration=registration, registering=registering)


def _token_path(url: str) -> str:
    """The path of an OAuth2 ``tokenUrl``, which may be absolute or relative (FastAPI's
    tutorial writes ``tokenUrl="token"``)."""
    path = urlsplit(url).path
    return ("/" + path.lstrip("/")).rstrip("/")


def profile_from_operations(operations: list[Operation], send: SessionStyle,
                            token_urls: list[str]) -> Profile:
    """The profile these operations suggest, by path and field-name heuristics."""
    creds = (IDENTIFIER_FIELDS, PASSWORD_FIELDS)
    found: dict[str, Endpoint] = {}
    login = _best(operations, {"login", "signin", "logon", "authenticate", "session",
                               "sessions"}, need=creds)
    if login is None:
        token_paths = {_token_path(url) for url in token_urls}
        login = next((op for op in operations if op.method == "POST"
                      and op.path.rstrip("/") in token_paths
                      and _pick(op.fields, PASSWORD_FIELDS)), None)
    if login is None:
        # Token issuers named for what they hand out: simplejwt's `/api/token/`,
        # djoser's `/auth/jwt/create/`.
        login = _best([op for op in operations if not op.words & REGISTER_WORDS],
                      {"token", "tokens", "jwt", "obtain", "auth"}, need=creds)
    register = _best([op for op in operations if not op.secured and op != login],
                     REGISTER_WORDS, need=creds)
    registration = account_fields(register.schema) if register is not None else None
    if login is not None:
        found["login"] = _credential_endpoint(login, registration)
    if register is not None:
        found["register"] = _credential_endpoint(register, registration, registering=True)
    verify = _best(operations, {"verify", "confirm", "activate", "verification"},
                   need=[TOKEN_FIELDS])
    if verify is not None:
        found["verify_email"] = Endpoint(path=verify.path, body=verify.body,
                                         token=_pick(verify.fields, TOKEN_FIELDS))
    refresh = _best(operations, {"refresh"})
    if refresh is not None:
        found["refresh"] = Endpoint(path=refresh.path, body=refresh.body,
                                    token=_pick(refresh.fields, TOKEN_FIELDS))
    logout = _best([op for op in operations if "all" not in op.words],
                   {"logout", "signout", "logoff"}, method=None)
    if logout is not None:
        found["logout"] = Endpoint(path=logout.path, method=logout.method, body="none")
    me = _best([op for op in operations if op.secured and not op.has_path_params],
               {"me", "whoami", "profile", "current", "self", "account", "userinfo"}, "GET")
    if me is not None:
        found["me"] = Endpoint(path=me.path, method="GET", body="none")
    forgot = _best([op for op in operations if not _pick(op.fields, TOKEN_FIELDS)],
                   {"forgot", "recover", "recovery", "lost", "reset"},
                   need=[IDENTIFIER_FIELDS])
    if forgot is not None and not _pick(forgot.fields, PASSWORD_FIELDS):
        found["forgot"] = _credential_endpoint(forgot, registration, password=False)
    reset = _best([op for op in operations if not op.secured and op != verify],
                  {"reset", "recover", "recovery"}, method=None,
                  need=[TOKEN_FIELDS, NEW_PASSWORD_FIELDS + PASSWORD_FIELDS])
    if reset is not None:
        found["reset"] = Endpoint(
            path=reset.path, method=reset.method, body=reset.body,
            token=_pick(reset.fields, TOKEN_FIELDS),
            new_password=_pick(reset.fields, NEW_PASSWORD_FIELDS + PASSWORD_FIELDS))
    change = _best([op for op in operations if op.secured], {"password", "change"},
                   method=None, need=[NEW_PASSWORD_FIELDS])
    if change is not None:
        found["change_password"] = Endpoint(
            path=change.path, method=change.method, body=change.body,
            password=_pick(change.fields, CURRENT_PASSWORD_FIELDS),
            new_password=_pick(change.fields, NEW_PASSWORD_FIELDS))
    return Profile(endpoints=found, session=send, accounts=_accounts(found, register))


def _accounts(found: dict[str, Endpoint], register: Operation | None) -> Accounts:
    """What the scanner's accounts are called: as the registration names them, else as
    the login's field does."""
    kind = account_fields(register.schema).kind if register is not None else None
    login = found.get("login")
    if kind is None and login is not None and login.identifier:
        kind = login.identifier_kind or (
            "email" if "mail" in login.identifier.lower() else "username")
    length = name_length(register.schema, Accounts().email_domain) if register else None
    return Accounts(identifier=kind, name_length=length)


async def discover(http: ScanHTTP, given: Profile | None = None) -> Surface:
    """Discover the surface and lay the given profile over it: the API document's, and a
    sign-in form's when the document has no login (or there is no document)."""
    try:
        fetched = await fetch_spec(http)
    except httpx.HTTPError:
        fetched = None
    operations: list[Operation] = []
    found, spec_url, spec = None, None, None
    if fetched is not None:
        spec_path, spec = fetched
        operations, send, token_urls = parse_spec(spec)
        found = profile_from_operations(operations, send, token_urls)
        spec_url = http.url(spec_path)
    if (found is None or found.endpoint("login") is None) and \
            (given is None or given.endpoint("login") is None):
        forms = await discover_forms(http)
        if forms is not None:
            found = forms if found is None else forms.merged_over(found)
    if found is None:
        return Surface(profile=given or Profile())
    profile = given.merged_over(found) if given is not None else found
    return Surface(profile=profile, operations=tuple(operations), spec_url=spec_url,
                   spec=spec)
