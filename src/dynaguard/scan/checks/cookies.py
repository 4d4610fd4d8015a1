"""Session cookie flags (CWE-1004, CWE-614, CWE-1275): the cookies that login and refresh
set, read from their ``Set-Cookie`` headers.

``Secure`` is judged on the cookie, not on how the scan reached the target: a loopback
``http://`` target is usually a development run of what is deployed behind TLS, so a
missing flag there is reported, at a lower severity and with that said.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx

from dynaguard.scan.checks.registry import Outcome, check, failed, passed
from dynaguard.scan.config import is_loopback
from dynaguard.scan.context import CheckContext
from dynaguard.scan.errors import Skip
from dynaguard.scan.findings import Confidence, Finding, Severity
from dynaguard.scan.prerequisites import Prerequisite
from dynaguard.scan.session import Credential, build_body, read_credential

# Double-submit CSRF tokens are meant to be read by page script: HttpOnly would break them.
SCRIPT_READABLE = ("csrf", "xsrf")
# Cookies judged as carrying a session: by name, or by a value long enough to be an id or
# a token; a preference such as ``lang=en`` or ``theme=dark`` set at login is not one.
SESSION_NAME = re.compile(r"sess|sid|token|auth|jwt|refresh|remember|login|user|csrf|xsrf",
                          re.IGNORECASE)
SESSION_VALUE_LENGTH = 20


@dataclass(frozen=True)
class SetCookie:
    """One ``Set-Cookie`` header: the cookie's name and its attributes (lower-cased)."""

    name: str
    value: str
    attributes: dict[str, str]

    @classmethod
    def parse(cls, header: str) -> SetCookie | None:
        pair, *rest = header.split(";")
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            return None
        attributes = {}
        for part in rest:
            key, _, val = part.partition("=")
            attributes[key.strip().lower()] = val.strip()
        return cls(name.strip(), value.strip().strip('"'), attributes)

    @property
    def deletes(self) -> bool:
        """A header that clears the cookie rather than setting it."""
        max_age = self.attributes.get("max-age", "")
        return not self.value or (max_age.lstrip("-").isdigit() and int(max_age) <= 0)


def _weaknesses(cookie: SetCookie, target: str) -> list[tuple[str, Severity, int, str]]:
    """(missing, severity, CWE, note) for each flag the cookie lacks."""
    found = []
    if "httponly" not in cookie.attributes and not any(
            word in cookie.name.lower() for word in SCRIPT_READABLE):
        found.append(("HttpOnly", Severity.MEDIUM, 1004, "page script can read it"))
    if "secure" not in cookie.attributes:
        if target.startswith("https://") or not is_loopback(target):
            found.append(("Secure", Severity.MEDIUM, 614, "it is sent on plain http"))
        else:
            found.append(("Secure", Severity.LOW, 614, "it would be sent on plain http; "
                          "judged on a loopback http target, where it travels in clear "
                          "anyway"))
    samesite = cookie.attributes.get("samesite", "").lower()
    if samesite not in ("lax", "strict"):
        note = ("SameSite=None: every cross-site request carries it" if samesite == "none"
                else "no SameSite: older browsers send it with cross-site requests")
        found.append(("SameSite", Severity.LOW, 1275, note))
    return found


async def _set_cookies(ctx: CheckContext) -> list[tuple[str, httpx.Response]]:
    """(endpoint label, answer) of a login and, when there is one, a refresh."""
    login = ctx.accounts.endpoint("login")
    response = await ctx.accounts.login(await ctx.accounts.get(0))
    if not response.is_success:
        raise Skip(f"login of a test account failed ({response.status_code})",
                   needs=Prerequisite.TARGET_REFUSED)
    answers = [(login.label, response)]
    credential = read_credential(response, ctx.profile.session)
    refresh = ctx.profile.endpoint("refresh")
    if refresh is not None and credential is not None and credential.refresh_token:
        answers.append((refresh.label, await ctx.http.request(
            refresh.method, refresh.path,
            **build_body(refresh, token=credential.refresh_token))))
    return answers


@check("session.cookie_flags", title="Session cookie without protective flags",
       cwe=(1004, 614, 1275), severity=Severity.MEDIUM, order=56, remediation=(
           "Set session and refresh cookies with HttpOnly, Secure and SameSite=Lax (or "
           "Strict); scope them with Path and no broader Domain than needed, and prefer the "
           "`__Host-` name prefix, which browsers accept only with Secure and Path=/."))
async def cookie_flags(ctx: CheckContext) -> Outcome:
    findings: list[Finding] = []
    judged: list[str] = []
    others: set[str] = set()
    seen: set[tuple[str, str]] = set()
    for label, response in await _set_cookies(ctx):
        for header in response.headers.get_list("set-cookie"):
            cookie = SetCookie.parse(header)
            if cookie is None or cookie.deletes:
                continue
            if not _carries_session(cookie, read_credential(response, ctx.profile.session)):
                others.add(cookie.name)
                continue
            judged.append(cookie.name)
            for flag, severity, cwe, note in _weaknesses(cookie, ctx.http.target):
                if (cookie.name, flag) in seen:
                    continue
                seen.add((cookie.name, flag))
                findings.append(ctx.finding(label, {
                    "cookie": cookie.name, "missing": flag, "why_it_matters": note,
                    "attributes": sorted(cookie.attributes)},
                    title=f"Session cookie without {flag}", severity=severity, cwe=(cwe,),
                    confidence=Confidence.CERTAIN))
    unjudged = f" ({', '.join(sorted(others))}: not a session cookie, not judged)" \
        if others else ""
    if not judged:
        # No cookie at all is established; cookies the scanner did not take for the
        # session may still be one it failed to recognise.
        raise Skip(f"login and refresh set no session cookie: none to judge{unjudged}",
                   needs=Prerequisite.SESSION_SHAPE if others else Prerequisite.NOT_APPLICABLE)
    names = ", ".join(sorted(set(judged)))
    if findings:
        return failed(f"{len(findings)} missing flag(s) on {names}{unjudged}", *findings)
    return passed(f"{names}: HttpOnly, Secure and SameSite all set{unjudged}")


def _carries_session(cookie: SetCookie, credential: Credential | None) -> bool:
    """Is this a cookie a session rides in: a session-like name, the token or refresh
    token the same answer hands out, or a value long enough to be an id?"""
    tokens = {credential.token, credential.refresh_token} if credential is not None else set()
    return (SESSION_NAME.search(cookie.name) is not None or cookie.value in tokens
            or len(cookie.value) >= SESSION_VALUE_LENGTH)
