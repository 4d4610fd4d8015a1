"""Password recovery: ``/auth/password/forgot`` and ``/auth/password/reset``.

``reset_token_weak``: the token is the first 8 hex digits of MD5(email:epoch second),
stored in clear, never expiring and never consumed, so an attacker who knows the email
and roughly when the mail was sent computes it, and can use it again later.
Safe: 256 random bits, stored as a hash, 15 minutes, taken with a conditional delete.
``reset_token_in_response``: forgot answers with the token itself.
``reset_keeps_sessions``: the reset changes the hash but ends no session.
``reset_token_reusable``: a random token, but never taken, so it works again.
``reset_token_long_lived``: tokens (and the mail) last 7 days instead of 15 minutes.
``message_enum`` also makes forgot answer 404 for an unknown email.
"""

# No `from __future__ import annotations`: FastAPI must see the route models.

import hashlib
import secrets
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Response
from fastapi.responses import JSONResponse

from dynaguard.lab.account_routes import check_policy, token_hash
from dynaguard.lab.accounts import normalize_email
from dynaguard.lab.attributes import int_attr, str_attr
from dynaguard.lab.errors import LabError
from dynaguard.lab.schemas import ForgotBody, ResetBody
from dynaguard.lab.state import Lab
from dynaguard.lab.store import RawItem

__all__ = ["RESET_TTL", "build_recovery_router", "weak_reset_token"]

RESET_TTL = 900
LONG_RESET_TTL = 7 * 86_400


def weak_reset_token(email: str, when: int) -> str:
    """The reset_token_weak flaw's token: anyone can compute it."""
    return hashlib.md5(f"{email}:{when}".encode()).hexdigest()[:8]  # noqa: S324 -- the flaw


def _invalid_token() -> LabError:
    return LabError(400, "Invalid request", "Invalid or expired token.")


def build_recovery_router(lab: Lab) -> APIRouter:
    router = APIRouter(tags=["auth"])
    weak = lab.on("reset_token_weak")
    ttl = LONG_RESET_TTL if lab.on("reset_token_long_lived") else RESET_TTL

    async def store_and_mail(email: str, user_id: str | None, token: str) -> None:
        """Store the token and mail it; for an unknown address the token is stored under
        an id no account has (it resets nothing) and the letter is composed but not sent,
        so both cost the engine and the loop the same."""
        owner = user_id or f"absent-{secrets.token_hex(8)}"
        if weak:  # kept in clear and, whatever the mail says, forever
            await lab.store.put_token("RESET", token, owner, None, new=False)
        else:
            await lab.store.put_token("RESET", token_hash(token), owner, lab.now() + ttl)
        span = f"{ttl // 86_400} days" if ttl >= 86_400 else f"{ttl // 60} minutes"
        text = (f"Token: {token}\n"
                f"Link: {lab.settings.public_url}/reset-password?token={token}\n"
                f"The link expires in {span}.\n")
        # Strangers are never mailed on request; their letter is composed all the same.
        await lab.send_mail(email, "Reset your password", text, deliver=user_id is not None)

    @router.post("/auth/password/forgot", status_code=202)
    async def forgot(body: ForgotBody, background: BackgroundTasks) -> JSONResponse:
        """Mail a reset token; the answer is the same whether or not the email exists.

        Both branches do the same work: one read before the answer, and after it a token
        write (the background work delays whatever the connection carries next, so it
        must not happen for existing addresses only: that delay was a timing tell).
        """
        email = normalize_email(body.email)
        user_id = await lab.store.user_id_for_email(email)
        if user_id is None and lab.on("message_enum"):
            raise LabError(404, "Not found", "No account with this email.")
        token = weak_reset_token(email, lab.now()) if weak else secrets.token_urlsafe(32)
        background.add_task(store_and_mail, email, user_id, token)
        answer: dict[str, Any] = {"status": "accepted"}
        if user_id is not None and lab.on("reset_token_in_response"):
            answer["reset_token"] = token  # the flaw: "handy while testing"
        return JSONResponse(answer, status_code=202)

    async def _reset_item(token: str) -> RawItem:
        if weak:
            item = await lab.store.get_token("RESET", token)  # clear text, kept after use
            if item is None:
                raise _invalid_token()
            return item
        found = await lab.store.get_token("RESET", token_hash(token))
        expires_at = int_attr(found, "expires_at") if found else None
        if found is None or expires_at is None or expires_at <= lab.now():
            raise _invalid_token()
        return found

    @router.post("/auth/password/reset", status_code=204)
    async def reset(body: ResetBody) -> Response:
        """Set a new password with a mailed token; every session ends."""
        item = await _reset_item(body.token)
        user_id = str_attr(item, "user_id")
        user = await lab.store.get_user(user_id) if user_id else None
        if user_id is None or user is None:
            raise _invalid_token()
        check_policy(lab, body.new_password, str_attr(user, "email") or "")
        spend = not weak and not lab.on("reset_token_reusable")
        if spend and await lab.store.take_token("RESET", token_hash(body.token)) is None:
            raise _invalid_token()  # used by a concurrent request first
        await lab.store.set_password(user_id, await lab.passwords.hash(body.new_password),
                                     revoke=not lab.on("reset_keeps_sessions"))
        return Response(status_code=204)

    return router
