"""Weak password requirements (CWE-521): does registration accept passwords found at the
top of every breached-password list?"""

from __future__ import annotations

from dynaguard.scan.accounts import Account, strong_password
from dynaguard.scan.checks.registry import Outcome, check, failed, passed
from dynaguard.scan.context import CheckContext
from dynaguard.scan.errors import Skip
from dynaguard.scan.findings import Confidence, Severity
from dynaguard.scan.prerequisites import Prerequisite

WEAK_PASSWORDS = ("12345678", "password", "qwerty")


@check("password_policy.weak_accepted", title="Registration accepts weak passwords",
       cwe=(521,), severity=Severity.MEDIUM, order=40, remediation=(
           "Require at least 12 characters (NIST SP 800-63B), refuse passwords from breached "
           "and common-password lists and those a strength estimator such as zxcvbn scores "
           "low, and never truncate."))
async def weak_passwords_accepted(ctx: CheckContext) -> Outcome:
    endpoint = ctx.accounts.endpoint("register")
    if not ctx.accounts.may_register:
        raise Skip("registration probes create accounts; allow --register",
                   needs=Prerequisite.OWNED_ACCOUNT)
    control = await ctx.accounts.register(ctx.accounts.new_identifier(), strong_password())
    if not control.is_success:
        raise Skip(f"{endpoint.label} refused a strong password too ({control.status_code})",
                   needs=Prerequisite.REGISTRATION_REFUSED)
    accepted = []
    for weak in WEAK_PASSWORDS:
        identifier = ctx.accounts.new_identifier()
        response = await ctx.accounts.register(identifier, weak)
        if response.is_success:
            logged_in = (await ctx.accounts.login(Account(identifier, weak, True))).is_success
            accepted.append({"password": weak, "status": response.status_code,
                             "login_succeeded": logged_in})
    if not accepted:
        return passed(f"{endpoint.label} refused {len(WEAK_PASSWORDS)} common passwords")
    certain = any(a["login_succeeded"] for a in accepted)
    return failed(f"{endpoint.label} accepted {len(accepted)} of {len(WEAK_PASSWORDS)} "
                  "common passwords", ctx.finding(
                      endpoint.label, {"accepted": accepted},
                      confidence=Confidence.CERTAIN if certain else Confidence.FIRM))
