"""Request bodies of account recovery and credential changes (strict and closed, like
every request body of the guard)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from dynaguard.guard.schemas import PASSWORD_FIELD

__all__ = [
    "ChangeEmailBody",
    "ChangePasswordBody",
    "EmailBody",
    "ResetPasswordBody",
    "TokenBody",
]


class _Request(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class EmailBody(_Request):
    email: EmailStr = Field(max_length=320)


class TokenBody(_Request):
    token: str = Field(min_length=1, max_length=256)


class ResetPasswordBody(_Request):
    token: str = Field(min_length=1, max_length=256)
    new_password: str = PASSWORD_FIELD


class ChangePasswordBody(_Request):
    current_password: str = PASSWORD_FIELD
    new_password: str = PASSWORD_FIELD


class ChangeEmailBody(_Request):
    password: str = PASSWORD_FIELD
    new_email: EmailStr = Field(max_length=320)
