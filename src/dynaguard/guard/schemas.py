"""Request and response bodies of the auth API.

Request models are strict and closed: a password that arrives as a boolean, an object or
a DynamoDB-typed ``{"S": ...}`` value is a 422, never a credential.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, EmailStr, Field

__all__ = [
    "AcceptedBody",
    "LoginBody",
    "MeBody",
    "RefreshBody",
    "RegisterBody",
    "SessionBody",
    "TokenPairBody",
    "VerifyEmailBody",
]

PASSWORD_FIELD = Field(max_length=4096)


class _Request(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class RegisterBody(_Request):
    email: EmailStr = Field(max_length=320)
    password: str = PASSWORD_FIELD


class LoginBody(_Request):
    email: str = Field(min_length=1, max_length=320)
    password: str = PASSWORD_FIELD
    scope: str | None = Field(None, max_length=1024, description="Space-separated scopes.")


class VerifyEmailBody(_Request):
    token: str = Field(min_length=1, max_length=256)


class RefreshBody(_Request):
    refresh_token: str = Field(min_length=1, max_length=256)


class AcceptedBody(BaseModel):
    status: str = "accepted"


class TokenPairBody(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 -- the OAuth2 token type, not a secret
    expires_in: int
    refresh_token: str


class MeBody(BaseModel):
    id: str
    email: str
    email_verified: bool
    scopes: list[str]
    mfa_enabled: bool
    created_at: str


class SessionBody(BaseModel):
    id: str
    current: bool
    created_at: str
    last_used_at: str
    device: str
    user_agent: str
    address: str
    scopes: list[str]
