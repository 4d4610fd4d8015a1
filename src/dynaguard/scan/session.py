"""Credentials: how a login answer is read and how a request carries the session."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import JsonValue

from dynaguard.scan.profile import Endpoint, SessionStyle

__all__ = ["Credential", "build_body", "fill_template", "json_or_none", "names_of",
           "read_credential"]

# Where login answers put the session, in order of preference: these names at the top
# level, then the same names inside the usual envelopes, breadth first.
TOKEN_NAMES = ("access_token", "accessToken", "access", "token", "jwt", "id_token", "idToken",
               "auth_token", "authToken", "session_token", "sessionToken", "bearer")
REFRESH_NAMES = ("refresh_token", "refreshToken", "refresh")
ENVELOPES = ("data", "result", "results", "tokens", "token", "auth", "session", "payload",
             "response", "body", "user", "access")
MAX_NESTING = 3
TOKEN_HEADERS = ("authorization", "x-auth-token", "x-access-token", "x-session-token")


@dataclass(frozen=True)
class Credential:
    """A live session as the scanner holds it; ``headers()`` makes a request carry it.
    ``owner`` names the account it was opened for, when the scanner knows."""

    send_as: str
    name: str
    value: str
    token: str | None = None
    refresh_token: str | None = None
    owner: str | None = None

    def headers(self) -> dict[str, str]:
        if self.send_as == "cookie":
            return {"Cookie": self.value}
        if self.send_as == "header":
            return {self.name: self.value}
        return {"Authorization": f"Bearer {self.value}"}


def _dig(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def json_or_none(response: httpx.Response) -> Any:
    """An answer's JSON body, or None when it has none (what a target sends is data)."""
    try:
        return response.json()
    except ValueError:
        return None


def _find(body: Any, names: tuple[str, ...]) -> str | None:
    """The first non-empty string under one of ``names``, at the top level first, then
    inside the usual envelopes (``data``, ``result``, ``tokens``, ...), breadth first."""
    level = [body]
    for _ in range(MAX_NESTING):
        for node in level:
            for name in names:
                value = node.get(name) if isinstance(node, dict) else None
                if isinstance(value, str) and value:
                    return value
        level = [node[key] for node in level if isinstance(node, dict)
                 for key in ENVELOPES if isinstance(node.get(key), dict)]
    return None


def _refresh_token(body: Any, style: SessionStyle) -> str | None:
    if style.refresh_name:
        value = _dig(body, style.refresh_name)
        return value if isinstance(value, str) and value else None
    return _find(body, REFRESH_NAMES)


def _token(response: httpx.Response, body: Any, style: SessionStyle) -> str | None:
    if style.token_from in (None, "json") and isinstance(body, dict):
        value = _dig(body, style.token_name) if style.token_name else _find(body, TOKEN_NAMES)
        if isinstance(value, str) and value:
            return value
    if style.token_from in (None, "header"):
        for name in [style.token_name] if style.token_name else TOKEN_HEADERS:
            value = response.headers.get(name)
            if value:
                return str(value).removeprefix("Bearer ").removeprefix("bearer ")
    return None


def read_credential(response: httpx.Response, style: SessionStyle) -> Credential | None:
    """The session a successful login answer hands out, or None when there is none."""
    body = json_or_none(response)
    refresh = _refresh_token(body, style)
    token = _token(response, body, style)
    if token is not None:
        send_as = style.send_as or "bearer"
        name = style.send_name or ("Authorization" if send_as != "cookie" else "token")
        value = f"{name}={token}" if send_as == "cookie" else token
        return Credential(send_as, name, value, token=token, refresh_token=refresh)
    cookies = {c.name: c.value for c in response.cookies.jar}
    if style.token_from in {"json", "header"} or not cookies:
        return None
    if style.token_name:
        if style.token_name not in cookies:
            return None
        cookies = {style.token_name: cookies[style.token_name]}
    value = "; ".join(f"{k}={v}" for k, v in cookies.items())
    first = next(iter(cookies.values()))
    return Credential("cookie", ",".join(cookies), value, token=first, refresh_token=refresh)


def names_of(identifier: str) -> dict[str, str]:
    """The names an identifier gives its account: ``{identifier}``, ``{email}`` (the
    identifier itself) and ``{username}`` (the part before its @)."""
    return {"identifier": identifier, "email": identifier,
            "username": identifier.partition("@")[0]}


def fill_template(template: JsonValue, values: Mapping[str, str]) -> JsonValue:
    """``template`` with ``{name}`` placeholders in its strings filled from ``values``
    (unknown names empty), however deep they are."""
    if isinstance(template, str):
        return template.format_map(_Blank(values))
    if isinstance(template, list):
        return [fill_template(item, values) for item in template]
    if isinstance(template, dict):
        return {key: fill_template(item, values) for key, item in template.items()}
    return template


def _form_value(value: JsonValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return "" if value is None else json.dumps(value) if isinstance(value, dict | list) \
        else str(value)


def build_body(endpoint: Endpoint, **values: str) -> dict[str, Any]:
    """httpx keyword arguments for ``endpoint`` with its role fields filled from ``values``
    (an identifier is sent as the email or the username the endpoint's field takes)."""
    if "identifier" in values:
        values = {**names_of(values["identifier"]), **values}
    fields: dict[str, JsonValue] = {}
    for role in ("identifier", "password", "new_password", "token"):
        name = getattr(endpoint, role)
        if name and role in values:
            kind = endpoint.identifier_kind if role == "identifier" else None
            fields[name] = values[kind or role]
    for name, template in endpoint.extra.items():
        fields[name] = fill_template(template, values)
    if endpoint.body == "none":
        return {}
    if endpoint.body == "form":
        return {"data": {name: _form_value(value) for name, value in fields.items()}}
    return {"json": fields}


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""
