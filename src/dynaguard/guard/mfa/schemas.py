"""Request and response bodies of the MFA routes.

Requests are strict and closed, as elsewhere. WebAuthn credentials are the JSON form of a
browser's ``PublicKeyCredential`` (``toJSON()``): their members are typed and bounded here,
and members browsers add over time are ignored rather than refused.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "AssertionCredential",
    "AttestationCredential",
    "CodeBody",
    "MfaRequiredBody",
    "MfaStatusBody",
    "MfaVerifyBody",
    "PasskeyAddedBody",
    "PasskeyBody",
    "PasskeyLoginBody",
    "PasskeyRegisterBody",
    "PasswordBody",
    "PasswordCodeBody",
    "RecoveryCodesBody",
    "TicketBody",
    "TotpConfirmedBody",
    "TotpSetupBody",
]

PASSWORD = Field(max_length=4096)
CODE = Field(min_length=1, max_length=64)
B64 = r"^[A-Za-z0-9_-]*={0,2}$"


class _Request(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class _Credential(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", populate_by_name=True)

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True)


class AttestationResponse(_Credential):
    client_data_json: str = Field(alias="clientDataJSON", max_length=4096, pattern=B64)
    attestation_object: str = Field(alias="attestationObject", max_length=16384, pattern=B64)
    transports: list[str] = Field(default_factory=list, max_length=8)


class AssertionResponse(_Credential):
    client_data_json: str = Field(alias="clientDataJSON", max_length=4096, pattern=B64)
    authenticator_data: str = Field(alias="authenticatorData", max_length=4096, pattern=B64)
    signature: str = Field(max_length=1024, pattern=B64)
    user_handle: str | None = Field(None, alias="userHandle", max_length=128, pattern=B64)


class AttestationCredential(_Credential):
    """The answer of ``navigator.credentials.create()``."""

    id: str = Field(min_length=1, max_length=1400, pattern=B64)
    raw_id: str = Field(alias="rawId", min_length=1, max_length=1400, pattern=B64)
    type: str = Field(max_length=32)
    response: AttestationResponse
    authenticator_attachment: str | None = Field(None, alias="authenticatorAttachment",
                                                 max_length=32)


class AssertionCredential(_Credential):
    """The answer of ``navigator.credentials.get()``."""

    id: str = Field(min_length=1, max_length=1400, pattern=B64)
    raw_id: str = Field(alias="rawId", min_length=1, max_length=1400, pattern=B64)
    type: str = Field(max_length=32)
    response: AssertionResponse
    authenticator_attachment: str | None = Field(None, alias="authenticatorAttachment",
                                                 max_length=32)


class PasswordBody(_Request):
    password: str = PASSWORD


class CodeBody(_Request):
    code: str = CODE


class PasswordCodeBody(_Request):
    password: str = PASSWORD
    code: str = CODE


class TicketBody(_Request):
    mfa_token: str = Field(min_length=1, max_length=256)


class MfaVerifyBody(_Request):
    """A step-up ticket and exactly one second factor: a code or a passkey assertion."""

    # "Exactly one factor" stated in the schema too, so clients and fuzzers can know it.
    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra={"oneOf": [
        {"required": ["code"], "properties": {"code": {"type": "string"}}},
        {"required": ["credential"], "properties": {"credential": {"type": "object"}}},
    ]})

    mfa_token: str = Field(min_length=1, max_length=256)
    code: str | None = Field(None, min_length=1, max_length=64)
    credential: AssertionCredential | None = None

    @model_validator(mode="after")
    def _one_factor(self) -> MfaVerifyBody:
        if (self.code is None) == (self.credential is None):
            raise ValueError("give either a code or a passkey credential")
        return self


class PasskeyRegisterBody(_Request):
    credential: AttestationCredential
    name: str = Field("passkey", min_length=1, max_length=64)


class PasskeyLoginBody(_Request):
    credential: AssertionCredential
    scope: str | None = Field(None, max_length=1024, description="Space-separated scopes.")


class MfaRequiredBody(BaseModel):
    mfa_required: bool
    mfa_token: str
    methods: list[str]
    expires_in: int


class TotpSetupBody(BaseModel):
    secret: str
    otpauth_uri: str
    qr_svg: str


class TotpConfirmedBody(BaseModel):
    """``recovery_codes`` is set when this was the account's first factor: shown once."""

    recovery_codes: list[str] | None


class RecoveryCodesBody(BaseModel):
    recovery_codes: list[str]


class PasskeyBody(BaseModel):
    id: str
    name: str
    created_at: int
    last_used_at: int


class PasskeyAddedBody(PasskeyBody):
    """``recovery_codes`` is set when this was the account's first factor: shown once."""

    recovery_codes: list[str] | None


class MfaStatusBody(BaseModel):
    enabled: bool
    totp: bool
    passkeys: list[PasskeyBody]
    recovery_codes_left: int
