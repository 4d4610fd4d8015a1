"""Credentials: how a login answer is read and how a request carries the session."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from dynaguard.scan.profile import Endpoint, SessionStyle

__all__ = ["Credential", "build_body", "json_or_none", "read_credential"]

TOKEN_NAMES = ("access_token", "accessToken", "token", "jwt", "id_token", "auth_token",
               "authToken", "data.access_token", "data.token")
REFRESH_NAMES = ("refresh_token", "refreshToken", "data.refresh_token")
TOKEN_HEADERS = ("authorization", "x-auth-token", "x-access-token", "x-session-token")


@dataclass(frozen=True)
class Credential:
    """A live session as the scanner holds it; ``headers()`` makes a request carry it."""

    send_as: str
    name: str
    value: str
    token: str | None = None
    refresh_token: str | None = None

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


def _refresh_token(body: Any, style: SessionStyle) -> str | None:
    if not isinstance(body, dict):
        return None
    for name in [style.refresh_name] if style.refresh_name else REFRESH_NAMES:
        value = _dig(body, name)
        if isinstance(value, str) and value:
            return value
    return None


def _token(response: httpx.Response, body: Any, style: SessionStyle) -> str | None:
    if style.token_from in (None, "json") and isinstance(body, dict):
        for name in [style.token_name] if style.token_name else TOKEN_NAMES:
            value = _dig(body, name)
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


def build_body(endpoint: Endpoint, **values: str) -> dict[str, Any]:
    """httpx keyword arguments for ``endpoint`` with its role fields filled from ``values``."""
    fields: dict[str, str] = {}
    for role in ("identifier", "password", "new_password", "token"):
        name = getattr(endpoint, role)
        if name and role in values:
            fields[name] = values[role]
    for name, template in endpoint.extra.items():
        fields[name] = template.format_map(_Blank(values))
    if endpoint.body == "none":
        return {}
    if endpoint.body == "form":
        return {"data": fields}
    return {"json": fields}


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""
