"""Credentialed CORS for any origin (CWE-942, API8:2023) on the authentication endpoints.

From an origin the scanner makes up (and from ``null``, which sandboxed frames and local
files send), a preflight and then the request itself: an answer that names that origin
(or ``*``) in ``Access-Control-Allow-Origin`` and says ``Access-Control-Allow-Credentials:
true`` lets any site act as the signed-in visitor and read the answers.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import httpx

from dynaguard.scan.checks.registry import Outcome, check, failed, passed
from dynaguard.scan.context import CheckContext
from dynaguard.scan.errors import Skip
from dynaguard.scan.findings import Confidence, Finding, Severity
from dynaguard.scan.prerequisites import Prerequisite
from dynaguard.scan.profile import Endpoint
from dynaguard.scan.session import Credential, read_credential

ROLES = ("login", "refresh", "me")


@dataclass(frozen=True)
class Probe:
    kind: str
    origin: str
    allow_origin: str | None
    allow_credentials: bool

    @classmethod
    def of(cls, kind: str, origin: str, response: httpx.Response) -> Probe:
        credentials = response.headers.get("access-control-allow-credentials", "")
        return cls(kind, origin, response.headers.get("access-control-allow-origin"),
                   credentials.strip().lower() == "true")

    @property
    def reflected(self) -> bool:
        return self.allow_credentials and self.allow_origin == self.origin

    @property
    def wildcard(self) -> bool:
        return self.allow_credentials and self.allow_origin == "*"


async def _probes(ctx: CheckContext, role: str, endpoint: Endpoint, origin: str,
                  credential: Credential) -> list[Probe]:
    preflight = await ctx.http.request("OPTIONS", endpoint.path, headers={
        "Origin": origin, "Access-Control-Request-Method": endpoint.method,
        "Access-Control-Request-Headers": "authorization,content-type"})
    probes = [Probe.of("preflight", origin, preflight)]
    if role == "me":
        simple = await ctx.http.request(endpoint.method, endpoint.path,
                                        headers={"Origin": origin, **credential.headers()})
        probes.append(Probe.of("request", origin, simple))
    elif role == "login":
        simple = await ctx.accounts.login(await ctx.accounts.get(0), headers={"Origin": origin})
        probes.append(Probe.of("request", origin, simple))
    return probes


@check("cors.credentialed_any_origin", title="Credentialed CORS for any origin", cwe=(942,),
       severity=Severity.HIGH, order=57, remediation=(
           "Allow cross-origin requests only from a fixed list of your own front-end origins; "
           "never echo the Origin header back, never allow `null`, and never send "
           "Access-Control-Allow-Credentials with a wildcard. An API used only with bearer "
           "tokens by non-browser clients needs no CORS headers at all."))
async def credentialed_any_origin(ctx: CheckContext) -> Outcome:
    endpoints = {role: ep for role in ROLES if (ep := ctx.profile.endpoint(role)) is not None}
    if not endpoints:
        raise Skip("no login, refresh or identity endpoint found (give one in a profile)",
                   needs=Prerequisite.LOGIN_ENDPOINT)
    account = await ctx.accounts.get(0)
    login = await ctx.accounts.login(account)
    if not login.is_success:
        raise Skip(f"login of a test account failed ({login.status_code})",
                   needs=Prerequisite.TARGET_REFUSED)
    credential = read_credential(login, ctx.profile.session)
    if credential is None:
        raise Skip("the login answer holds no token or cookie the scanner recognises",
                   needs=Prerequisite.SESSION_SHAPE)
    cookie_sessions = bool(login.cookies.jar)
    origins = (f"https://dgscan-{secrets.token_hex(4)}.example", "null")
    findings: list[Finding] = []
    for role, endpoint in endpoints.items():
        probes = [p for origin in origins
                  for p in await _probes(ctx, role, endpoint, origin, credential)]
        reflected = [p for p in probes if p.reflected]
        wildcard = [p for p in probes if p.wildcard]
        if not reflected and not wildcard:
            continue
        if reflected:
            severity = Severity.HIGH if cookie_sessions else Severity.MEDIUM
            title = "CORS reflects any origin with credentials"
        else:
            severity, title = Severity.LOW, "CORS wildcard sent with credentials"
        findings.append(ctx.finding(endpoint.label, {
            "permissive": [f"{p.kind} from {p.origin}: Allow-Origin {p.allow_origin}, "
                           "Allow-Credentials true" for p in reflected + wildcard],
            "cookie_sessions": cookie_sessions}, title=title, severity=severity,
            confidence=Confidence.CERTAIN))
    labels = ", ".join(ep.label for ep in endpoints.values())
    if findings:
        return failed(f"credentialed CORS for made-up origins on {len(findings)} endpoint(s)",
                      *findings)
    return passed(f"{labels}: no made-up origin (nor null) was allowed with credentials")
