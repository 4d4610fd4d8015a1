"""Single-factor administration (CWE-308, CWE-309): administrative operations that a
password alone opens.

Two observations: the spec offers no second factor anywhere (no TOTP, WebAuthn or MFA
operation) while it has administrative ones; and, for each account the user gave, a
password-only login that reaches an administrative read which an ordinary account is
refused (or whose token claims an admin scope). Only reads are sent.
"""

from __future__ import annotations

from dynaguard.scan.accounts import Account
from dynaguard.scan.checks.function_access import granted_scopes
from dynaguard.scan.checks.registry import Outcome, check, failed, passed
from dynaguard.scan.context import CheckContext
from dynaguard.scan.errors import Skip
from dynaguard.scan.findings import Confidence, Finding, Severity
from dynaguard.scan.jwtkit import parse_jwt
from dynaguard.scan.prerequisites import Prerequisite
from dynaguard.scan.privileged import (
    AdminOperation,
    admin_operations,
    is_admin_scope,
    mfa_operations,
)
from dynaguard.scan.session import Credential, read_credential

MAX_READS = 5
MAX_ACCOUNTS = 2


class _Ordinary:
    """An ordinary account's answers, asked for only when a comparison needs them."""

    def __init__(self, ctx: CheckContext) -> None:
        self.ctx = ctx
        self._credential: Credential | None = None
        self._unavailable = False

    async def refused(self, path: str) -> bool | None:
        """Whether an ordinary account is refused ``GET path`` (None: no such account)."""
        if self._credential is None and not self._unavailable:
            try:
                self._credential = await self.ctx.accounts.session(
                    await self.ctx.accounts.owned())
            except Skip:
                self._unavailable = True
        if self._credential is None:
            return None
        answer = await self.ctx.http.request("GET", path, headers=self._credential.headers())
        return not answer.is_success


async def _password_only_admin(ctx: CheckContext, account: Account,
                               reads: list[AdminOperation],
                               ordinary: _Ordinary) -> Finding | str:
    """A finding when ``account``'s password alone reaches administration, else a note."""
    response = await ctx.accounts.login(account)
    if not response.is_success:
        return f"a given account's login was refused ({response.status_code})"
    credential = read_credential(response, ctx.profile.session)
    if credential is None:
        return "a given account's password login asked for more (a second factor?)"
    claims_admin = sorted(s for s in granted_scopes(credential) if is_admin_scope(s))
    token = parse_jwt(credential.token or "")
    amr = token.claims.get("amr") if token is not None else None
    for candidate in reads:
        op = candidate.op
        answer = await ctx.http.request("GET", op.path, headers=credential.headers())
        if not answer.is_success:
            continue
        ordinary_refused = await ordinary.refused(op.path)
        if claims_admin or ordinary_refused:
            return ctx.finding(op.label, {
                "login": "password only", "status": answer.status_code,
                "token_admin_scopes": claims_admin, "token_amr": amr,
                "ordinary_account_refused": ordinary_refused}, confidence=Confidence.CERTAIN,
                title="Administrative operation reached with a password alone")
    return "a given account's password-only session reached no administrative operation"


@check("auth.single_factor_admin", title="Administration needs only a password",
       cwe=(308, 309), severity=Severity.LOW, order=47, remediation=(
           "Offer a second factor (TOTP, WebAuthn passkeys) and require it for "
           "administrative scopes: issue those scopes only to sessions whose `amr` shows a "
           "second factor, and check it again in the administrative routes."))
async def single_factor_admin(ctx: CheckContext) -> Outcome:
    if ctx.surface.spec is None:
        raise Skip("no OpenAPI document: administrative operations cannot be told apart",
                   needs=Prerequisite.SPEC)
    admin = admin_operations(ctx.surface.operations, ctx.surface.spec)
    if not admin:
        raise Skip("no administrative-looking operation in the spec",
                   needs=Prerequisite.NOT_APPLICABLE)
    reads = [c for c in admin if c.op.method == "GET" and not c.op.has_path_params]
    mfa = mfa_operations(ctx.surface.operations)
    findings: list[Finding] = []
    notes: list[str] = []
    if not mfa:
        findings.append(ctx.finding(admin[0].op.label, {
            "admin_operations": [c.op.label for c in admin[:10]],
            "mfa_operations": []}, title="No second factor offered for administration",
            confidence=Confidence.TENTATIVE))
    else:
        notes.append(f"{len(mfa)} second-factor operation(s) offered")
    ordinary = _Ordinary(ctx)
    for account in ctx.accounts.given[:MAX_ACCOUNTS]:
        outcome = await _password_only_admin(ctx, account, reads[:MAX_READS], ordinary)
        if isinstance(outcome, Finding):
            findings.append(outcome)
        else:
            notes.append(outcome)
    if findings:
        return failed("administration is reachable with a single factor", *findings)
    if not ctx.accounts.given:
        raise Skip("; ".join([*notes, "no administrator given (--user) to try a password-only "
                              "login with"]), needs=Prerequisite.ADMIN_ACCOUNT)
    return passed("; ".join(notes))
