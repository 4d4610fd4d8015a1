"""Request bodies of the lab: strict and closed, as in the guard.

``LoginBody`` is bypassed altogether when the ``malformed_json_bypass`` flaw is on.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, EmailStr, Field

__all__ = [
    "ForgotBody",
    "LoginBody",
    "MfaBody",
    "NewNote",
    "PasswordChangeBody",
    "RefreshBody",
    "RegisterBody",
    "ResetBody",
    "TokenBody",
]

PASSWORD = Field(max_length=4096)
TOKEN = Field(min_length=1, max_length=512)
# DynamoDB refuses items over 400 KB; this limit does not know it (a realistic slip that
# gives the error_leak flaw a DynamoDB error to leak).
MAX_NOTE_LENGTH = 1_000_000


class _Body(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class RegisterBody(_Body):
    email: EmailStr = Field(max_length=320)
    password: str = PASSWORD


class LoginBody(_Body):
    email: str = Field(min_length=1, max_length=320)
    password: str = PASSWORD
    scope: str | None = Field(None, max_length=1024, description="Space-separated scopes.")
    audience: str | None = Field(None, max_length=256, description="The API the token is for.")


class TokenBody(_Body):
    token: str = TOKEN


class MfaBody(_Body):
    mfa_token: str = TOKEN
    code: str = Field(min_length=6, max_length=8, pattern=r"^[0-9]+$")


class RefreshBody(_Body):
    refresh_token: str = TOKEN


class PasswordChangeBody(_Body):
    current_password: str = PASSWORD
    new_password: str = PASSWORD


class ForgotBody(_Body):
    email: str = Field(min_length=1, max_length=320)


class ResetBody(_Body):
    token: str = TOKEN
    new_password: str = PASSWORD


class NewNote(_Body):
    text: str = Field(min_length=1, max_length=MAX_NOTE_LENGTH)
