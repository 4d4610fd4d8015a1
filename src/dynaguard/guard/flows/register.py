"""Registration without enumeration (CWE-204).

Security-sensitive: a new and an existing email take the same path: the policy check,
one Argon2 hash, one transaction and one mail posted off the request path; the answer is
the same ``202``. The existing owner gets a notice instead of a verification link.
"""

from __future__ import annotations

from dynaguard.guard.links import VERIFY_EMAIL_PAGE
from dynaguard.guard.policy import check_password
from dynaguard.guard.services import Services
from dynaguard.guard.tokens import hash_token, new_opaque_token
from dynaguard.store.users import EmailTaken, normalize_email

__all__ = ["VERIFY_PURPOSE", "register"]

VERIFY_PURPOSE = "verify-email"


async def register(svc: Services, email: str, password: str) -> None:
    email = normalize_email(email)
    await check_password(password, email=email, settings=svc.settings)
    password_hash = await svc.passwords.hash(password)
    user = svc.users.new_user(email, password_hash, list(svc.settings.default_scopes))
    token = new_opaque_token()
    verify_put = svc.onetime.put(hash_token(token), VERIFY_PURPOSE, user.id,
                                 svc.settings.verify_ttl)
    try:
        await svc.users.create(user, [verify_put])
    except EmailTaken:
        svc.post_letter(email, "already_registered")
        return
    svc.post_letter(email, "verify_email", link=svc.link(VERIFY_EMAIL_PAGE, token),
                    token=token, hours=svc.settings.verify_ttl // 3600)
