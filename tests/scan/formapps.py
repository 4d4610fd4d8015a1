"""A server-rendered web application: sign-in and sign-up are HTML forms with CSRF tokens,
the session is a server-side id in a cookie. No API, no spec.

``fixation``: sign-in keeps the session id the visitor already had (CWE-384).
``weak_cookie``: the session cookie lacks HttpOnly (CWE-1004).
``logout_noop``: sign-out drops the cookie but keeps the session alive (CWE-613).
``tells_accounts``: a failed sign-in says whether the account exists (CWE-204).
"""

from __future__ import annotations

import html
import secrets
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

COOKIE = "webapp_sid"
BAD_CSRF = PlainTextResponse("CSRF token missing or invalid", status_code=400)


@dataclass
class _Session:
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    user: str | None = None


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(f"<!doctype html><html><head><title>{title}</title>"
                        "<link rel='stylesheet' href='/static/site.css'></head><body><nav>"
                        "<a href='/'>Home</a> <a href='/account'>My account</a> "
                        "<a href='/about'>About</a></nav>"
                        f"<h1>{title}</h1>{body}</body></html>")


def _sign_in_form(csrf: str, note: str = "") -> str:
    return (f"<p class='error'>{html.escape(note)}</p>" if note else "") + (
        "<form method='post' action='/login'>"
        f"<input type='hidden' name='csrf_token' value='{csrf}'>"
        "<label>Email <input type='email' name='email' required></label>"
        "<label>Password <input type='password' name='password' required></label>"
        "<label><input type='checkbox' name='remember' value='yes'> Remember me</label>"
        "<button type='submit'>Sign in</button></form>"
        "<p>New here? <a href='/signup'>Create an account</a></p>")


def _sign_up_form(csrf: str) -> str:
    return ("<form method='post' action='/signup'>"
            f"<input type='hidden' name='csrf_token' value='{csrf}'>"
            "<input type='email' name='email' required>"
            "<input type='text' name='display_name' required>"
            "<input type='password' name='password' required>"
            "<input type='password' name='password_again' required>"
            "<input type='checkbox' name='terms' value='accepted' required>"
            "<input type='submit' value='Create account'></form>")


class _WebApp:
    def __init__(self, *, fixation: bool, weak_cookie: bool, logout_noop: bool,
                 tells_accounts: bool) -> None:
        self.fixation, self.weak_cookie, self.logout_noop = fixation, weak_cookie, logout_noop
        self.tells_accounts = tells_accounts
        self.users: dict[str, str] = {}
        self.sessions: dict[str, _Session] = {}

    def current(self, request: Request) -> tuple[str, _Session] | None:
        sid = request.cookies.get(COOKIE, "")
        return (sid, self.sessions[sid]) if sid in self.sessions else None

    def visitor(self, request: Request) -> tuple[str, _Session, bool]:
        """The visitor's session, and whether it is new (its cookie must be set)."""
        found = self.current(request)
        if found is not None:
            return *found, False
        sid = secrets.token_urlsafe(24)
        self.sessions[sid] = _Session()
        return sid, self.sessions[sid], True

    def give_cookie(self, response: Response, sid: str) -> Response:
        response.set_cookie(COOKIE, sid, httponly=not self.weak_cookie, secure=True,
                            samesite="lax")
        return response

    async def posted(self, request: Request) -> tuple[dict[str, str], str, _Session] | None:
        """The form sent and the visitor's session, or None when the CSRF token is wrong."""
        form = {k: str(v) for k, v in (await request.form()).items()}
        found = self.current(request)
        if found is None or not secrets.compare_digest(form.get("csrf_token", ""),
                                                       found[1].csrf):
            return None
        return form, *found

    async def home(self, request: Request) -> Response:
        return _page("Welcome", "<p><a href='/login'>Sign in</a></p>")

    async def about(self, request: Request) -> Response:
        return _page("About", "<p>A small web application.</p>")

    async def login_page(self, request: Request) -> Response:
        sid, session, new = self.visitor(request)
        response = _page("Sign in", _sign_in_form(session.csrf))
        return self.give_cookie(response, sid) if new else response

    async def login(self, request: Request) -> Response:
        sent = await self.posted(request)
        if sent is None:
            return BAD_CSRF
        form, sid, session = sent
        email, password = form.get("email", ""), form.get("password", "")
        if not secrets.compare_digest(self.users.get(email, "\0"), password):
            note = "Invalid email or password."
            if self.tells_accounts:
                note = "Wrong password." if email in self.users else "No such account."
            return _page("Sign in", _sign_in_form(session.csrf, note))
        response = RedirectResponse("/account", status_code=303)
        if self.fixation:
            session.user = email
            return response
        del self.sessions[sid]
        sid = secrets.token_urlsafe(24)
        self.sessions[sid] = _Session(user=email)
        return self.give_cookie(response, sid)

    async def signup_page(self, request: Request) -> Response:
        sid, session, new = self.visitor(request)
        response = _page("Create an account", _sign_up_form(session.csrf))
        return self.give_cookie(response, sid) if new else response

    async def signup(self, request: Request) -> Response:
        sent = await self.posted(request)
        if sent is None:
            return BAD_CSRF
        form = sent[0]
        email, password = form.get("email", ""), form.get("password", "")
        complete = "@" in email and form.get("display_name") and \
            form.get("terms") == "accepted"
        if not complete or len(password) < 12 or password != form.get("password_again"):
            return _page("Create an account", "<p>Please check the form.</p>" +
                         _sign_up_form(sent[2].csrf))
        self.users.setdefault(email, password)
        return RedirectResponse("/login", status_code=303)

    async def account(self, request: Request) -> Response:
        found = self.current(request)
        if found is None or found[1].user is None:
            return RedirectResponse("/login?next=/account", status_code=303)
        return _page("My account", (
            f"<p>Signed in as {html.escape(found[1].user)}</p>"
            "<form method='post' action='/logout'>"
            f"<input type='hidden' name='csrf_token' value='{found[1].csrf}'>"
            "<button>Sign out</button></form>"))

    async def logout(self, request: Request) -> Response:
        sent = await self.posted(request)
        if sent is None:
            return BAD_CSRF
        if not self.logout_noop:
            del self.sessions[sent[1]]
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(COOKIE)
        return response


def create_form_app(*, fixation: bool = False, weak_cookie: bool = False,
                    logout_noop: bool = False, tells_accounts: bool = False) -> Starlette:
    """The web application; see the module docstring for its flaws."""
    app = _WebApp(fixation=fixation, weak_cookie=weak_cookie, logout_noop=logout_noop,
                  tells_accounts=tells_accounts)
    return Starlette(routes=[
        Route("/", app.home), Route("/about", app.about),
        Route("/login", app.login_page, methods=["GET"]),
        Route("/login", app.login, methods=["POST"]),
        Route("/signup", app.signup_page, methods=["GET"]),
        Route("/signup", app.signup, methods=["POST"]),
        Route("/account", app.account), Route("/logout", app.logout, methods=["POST"]),
    ])
