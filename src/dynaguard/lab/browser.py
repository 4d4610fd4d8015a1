"""What the lab tells browsers: the session cookie's flags and its CORS policy.

``insecure_cookies``: the session cookie goes out without ``HttpOnly`` (script can read
it), ``Secure`` (it rides on plain http) or ``SameSite`` (other sites' requests carry it).
Safe: all three, ``SameSite=Lax``.
``cors_any_origin``: every ``Origin`` is echoed back with ``Allow-Credentials: true``, so
a page on any site can call the API as the signed-in visitor and read the answers.
Safe: only the origin of ``public_url`` (the lab's own front end) is allowed.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import Response
from starlette.middleware.cors import CORSMiddleware

from dynaguard.lab.sessions import SESSION_COOKIE
from dynaguard.lab.state import Lab

__all__ = ["install_cors", "set_session_cookie"]


def set_session_cookie(lab: Lab, response: Response, sid: str) -> None:
    if lab.on("insecure_cookies"):
        response.set_cookie(SESSION_COOKIE, sid, samesite=None)  # the flaw: no flags at all
        return
    response.set_cookie(SESSION_COOKIE, sid, httponly=True, secure=True, samesite="lax")


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def install_cors(app: FastAPI, lab: Lab) -> None:
    if lab.on("cors_any_origin"):
        # The flaw: "allow everything" copied from a tutorial, credentials included.
        app.add_middleware(CORSMiddleware, allow_origin_regex=".*", allow_credentials=True,
                           allow_methods=["*"], allow_headers=["*"])
        return
    app.add_middleware(CORSMiddleware, allow_origins=[_origin(lab.settings.public_url)],
                       allow_credentials=True, allow_methods=["GET", "POST", "DELETE"],
                       allow_headers=["Authorization", "Content-Type"])
