"""Email verification not enforced (CWE-287): a freshly registered account logs in before
the link in its verification mail is used. Needs registration and the target's mailbox:
only a target that does send a verification mail can be said to skip its check."""

from __future__ import annotations

import time

from dynaguard.scan.accounts import Account, strong_password
from dynaguard.scan.checks.registry import Outcome, check, failed, passed
from dynaguard.scan.context import CheckContext
from dynaguard.scan.errors import Skip
from dynaguard.scan.findings import Confidence, Severity
from dynaguard.scan.prerequisites import Prerequisite


@check("auth.unverified_login", title="Login allowed before email verification", cwe=(287,),
       severity=Severity.MEDIUM, order=49, remediation=(
           "Refuse login until the address is verified, reading the flag as 'verified only "
           "when explicitly true': a missing or mistyped attribute means not verified."))
async def unverified_login(ctx: CheckContext) -> Outcome:
    pool = ctx.accounts
    register = pool.endpoint("register")
    if pool.mailbox is None:
        raise Skip("needs the target's mailbox (--mailbox) to see a verification mail",
                   needs=Prerequisite.MAILBOX)
    if not pool.may_register:
        raise Skip("needs --register to create an unverified account",
                   needs=Prerequisite.OWNED_ACCOUNT)
    identifier, password = pool.new_identifier(), strong_password()
    since = time.time() - 1
    response = await pool.register(identifier, password)
    if not response.is_success:
        raise Skip(f"{register.label} refused a fresh account ({response.status_code})",
                   needs=Prerequisite.REGISTRATION_REFUSED)
    login = pool.endpoint("login")
    answer = await pool.login(Account(identifier, password, owned=True))
    mail = await pool.mailbox.wait_for(identifier, since)
    if mail is None:
        raise Skip("no verification mail arrived: the target may not verify addresses",
                   needs=Prerequisite.MAILBOX)
    if answer.is_success:
        return failed("an account logged in before verifying its address", ctx.finding(
            login.label, {"login_status": answer.status_code, "verification_mail": "sent, "
                          "not used"}, confidence=Confidence.CERTAIN))
    return passed(f"{login.label} refused the unverified account ({answer.status_code})")
