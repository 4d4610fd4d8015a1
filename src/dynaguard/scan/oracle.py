"""The credential oracle: one operation that tells whether the target accepts a
credential, for the checks that change a token, end a session or plant one and then ask
"is this still let in?".

Any protected operation without side effects will do, not only an identity endpoint:
the profile's ``me`` first, then secured (or sensitive-looking) ``GET`` operations
without path parameters, then a ``GET`` on an object the scanner's own account creates
for the purpose (``POST /things`` then ``GET /things/{id}``). A candidate is taken only
once probing confirms it: a success with a live session and a 401/403 without any.
Candidates other than ``me`` must also refuse a garbled credential: a route that lets in
any token (one that checks a header is present and nothing else) would make every
forged token look accepted, and blame the token checks for what is missing
authentication.

An object belongs to one account, so an object oracle makes one object per account it
is asked about (``Credential.owner``), the first time it sees that account's session.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from dataclasses import dataclass, field, replace
from urllib.parse import quote, urljoin, urlsplit

import httpx

from dynaguard.scan.discovery import SENSITIVE_WORDS, Operation
from dynaguard.scan.errors import Skip
from dynaguard.scan.html_forms import same_path
from dynaguard.scan.http import ScanHTTP
from dynaguard.scan.prerequisites import Prerequisite
from dynaguard.scan.profile import Profile
from dynaguard.scan.schema_values import required_values
from dynaguard.scan.session import Credential, fill_template, json_or_none, names_of

__all__ = ["MAX_CANDIDATES", "Oracle", "find_oracle"]

MAX_CANDIDATES = 6
REFUSED = frozenset({401, 403})
SELF_WORDS = frozenset({"me", "whoami", "profile", "current", "self", "account", "userinfo",
                        "my", "user"})
# Never used as an oracle: a GET with one of these words may end the session, change
# state, or belong to the sign-in machinery rather than to a protected resource.
UNSAFE_WORDS = frozenset({
    "logout", "signout", "logoff", "revoke", "delete", "remove", "reset", "verify",
    "confirm", "activate", "deactivate", "disable", "unsubscribe", "refresh", "callback",
    "authorize", "login", "signin", "register", "signup", "token", "jwks", "openapi", "docs",
    "health", "oauth", "well", "export", "download", "stream", "events", "ws", "websocket"})
ONE_ID = re.compile(r"^(?P<base>/.*)/\{[^}/]+\}$")
ID_FIELDS = ("id", "uuid", "_id", "pk", "key")
GIVEN_OWNER = "(none)"


def garbled(credential: Credential) -> Credential:
    """``credential`` with its secret replaced by random bytes, sent the same way."""
    junk = "dgscan" + secrets.token_urlsafe(24)
    if credential.send_as == "cookie":
        value = "; ".join(f"{name}={junk}" for name in credential.name.split(","))
    else:
        value = junk
    return replace(credential, value=value, token=junk, refresh_token=None)


def _object_id(response: httpx.Response) -> str | None:
    body = json_or_none(response)
    if isinstance(body, dict) and isinstance(body.get("data"), dict):
        body = body["data"]
    if not isinstance(body, dict):
        return None
    for name in (*ID_FIELDS, *(k for k in body if k.lower().endswith("id"))):
        value = body.get(name)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            return str(value)
    return None


@dataclass
class Oracle:
    """A confirmed oracle: ``GET path`` (``create`` set: ``path`` has an object id to fill
    with an object of the asking account, made by ``create``)."""

    label: str
    path: str
    how: str
    create: Operation | None = None
    _objects: dict[str, str | None] = field(default_factory=dict)
    _making: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def _own_path(self, http: ScanHTTP, credential: Credential) -> str | None:
        """The path naming an object of ``credential``'s account, made on first sight
        (None: the credential could not make one)."""
        owner = credential.owner or GIVEN_OWNER
        async with self._making:
            if owner not in self._objects:
                assert self.create is not None  # noqa: S101 -- only object oracles get here
                body = fill_template(required_values(self.create.schema),
                                     names_of("dgscan@example.com"))
                kind = {"json": "json", "form": "data"}.get(self.create.body)
                made = await http.request(self.create.method, self.create.path,
                                          headers=credential.headers(),
                                          **({kind: body} if kind else {}))
                if made.status_code in REFUSED:
                    return None  # refused now; another live session of it may still make one
                object_id = _object_id(made) if made.is_success else None
                self._objects[owner] = None if object_id is None else \
                    re.sub(r"\{[^}/]+\}", quote(object_id, safe=""), self.path)
            return self._objects[owner]

    async def accepts(self, http: ScanHTTP, credential: Credential | None) -> bool:
        """Does the target let ``credential`` (None: no credential) in?"""
        path = self.path
        if self.create is not None:
            if credential is None:
                path = next((p for p in self._objects.values() if p), self.path)
            else:
                own = await self._own_path(http, credential)
                if own is None:
                    return False
                path = own
        headers = credential.headers() if credential is not None else {}
        return (await http.request("GET", path, headers=headers)).is_success


def _collections(profile: Profile, operations: tuple[Operation, ...]) -> list[Operation]:
    protected = set(profile.protected)
    found = [op for op in operations
             if op.method == "GET" and not op.has_path_params and not op.words & UNSAFE_WORDS
             and (op.secured or op.label in protected or op.words & SENSITIVE_WORDS)]
    for label in sorted(protected - {op.label for op in operations}):
        method, _, path = label.partition(" ")
        op = Operation(method, path, True)
        if method == "GET" and not op.has_path_params and not op.words & UNSAFE_WORDS:
            found.append(op)
    return sorted(found, key=lambda op: (not op.words & SELF_WORDS, not op.secured,
                                         len(op.path)))


def _objects(operations: tuple[Operation, ...]) -> list[tuple[Operation, Operation]]:
    creates = {op.path: op for op in operations
               if op.method == "POST" and op.secured and not op.has_path_params
               and not op.words & UNSAFE_WORDS}
    return [(creates[m["base"]], op) for op in operations
            if op.method == "GET" and op.secured and (m := ONE_ID.match(op.path))
            and m["base"] in creates and not op.words & UNSAFE_WORDS]


def sign_in_pages(http: ScanHTTP, profile: Profile) -> tuple[str, ...]:
    """The URLs of the login's HTML form (its page and its action), when it is one."""
    login = profile.endpoint("login")
    if login is None or login.form_page is None:
        return ()
    return (http.url(login.form_page), http.url(login.path))


def refused(response: httpx.Response, sign_in: tuple[str, ...]) -> bool:
    """A 401/403, or a redirect to the sign-in form on the same origin (how server-rendered
    pages turn away a visitor without a session)."""
    if response.status_code in REFUSED:
        return True
    if not response.is_redirect or not sign_in:
        return False
    location = urljoin(str(response.url), response.headers.get("location", ""))
    return any(urlsplit(location).netloc == urlsplit(page).netloc and same_path(location, page)
               for page in sign_in)


async def _refuses(http: ScanHTTP, path: str, credential: Credential | None,
                   sign_in: tuple[str, ...] = ()) -> bool:
    headers = credential.headers() if credential is not None else {}
    return refused(await http.request("GET", path, headers=headers), sign_in)


async def find_oracle(http: ScanHTTP, profile: Profile, operations: tuple[Operation, ...],
                      credential: Credential) -> Oracle:
    """The first candidate that probing confirms with the live ``credential``; Skip with
    what was tried when none is."""
    tried: list[str] = []
    sign_in = sign_in_pages(http, profile)
    me = profile.endpoint("me")
    if me is not None and me.method == "GET":
        tried.append(me.label)
        oracle = Oracle(me.label, me.path, "identity endpoint")
        if await oracle.accepts(http, credential) and \
                await _refuses(http, me.path, None, sign_in):
            return oracle
    for op in _collections(profile, operations):
        if op.label in tried or len(tried) >= MAX_CANDIDATES:
            continue
        tried.append(op.label)
        oracle = Oracle(op.label, op.path, "protected operation")
        if (await oracle.accepts(http, credential) and await _refuses(http, op.path, None)
                and await _refuses(http, op.path, garbled(credential))):
            return oracle
    for create, op in _objects(operations):
        if len(tried) >= MAX_CANDIDATES:
            break
        tried.append(op.label)
        oracle = Oracle(op.label, op.path, f"object made by {create.label}", create=create)
        own = await oracle._own_path(http, credential)
        if (own is not None and await oracle.accepts(http, credential)
                and await _refuses(http, own, None)
                and await _refuses(http, own, garbled(credential))):
            return oracle
    what = f"tried {', '.join(tried)}" if tried else "none found in the spec"
    raise Skip("no operation tells a live session from none (a secured GET answering 2xx "
               f"with the session and 401/403 without; {what}); give one as "
               "[endpoints.me] in a profile", needs=Prerequisite.PROTECTED_OPERATION)
