"""Why a check could not run: a small closed set of missing prerequisites.

Each one names what was missing and the one option or profile line that would supply it,
so a report can group skipped checks and tell the user how to test more. ``NOT_APPLICABLE``
is the only one that takes a check out of the scan's coverage: it is for a check whose
subject the target's own answers (or its OpenAPI document) show it does not have, never
for something the scanner merely failed to find.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Prerequisite", "for_role", "undeclared"]


class Prerequisite(StrEnum):
    """A missing prerequisite; its value is the key reports group skipped checks by."""

    TEST_ACCOUNT = "test_account"
    REGISTRATION_REFUSED = "registration_refused"
    OWNED_ACCOUNT = "owned_account"
    MAILBOX = "mailbox"
    SECOND_ACCOUNT = "second_account"
    ADMIN_ACCOUNT = "admin_account"
    LOGIN_ENDPOINT = "login_endpoint"
    REGISTER_ENDPOINT = "register_endpoint"
    VERIFY_EMAIL_ENDPOINT = "verify_email_endpoint"
    REFRESH_ENDPOINT = "refresh_endpoint"
    LOGOUT_ENDPOINT = "logout_endpoint"
    FORGOT_ENDPOINT = "forgot_endpoint"
    CHANGE_PASSWORD_ENDPOINT = "change_password_endpoint"  # noqa: S105 -- a name, no secret
    RESET_ENDPOINT = "reset_endpoint"
    PROTECTED_OPERATION = "protected_operation"
    SESSION_SHAPE = "session_shape"
    SCOPED_LOGIN = "scoped_login"
    SPEC = "spec"
    PUBLIC_KEY = "public_key"
    FORGEABLE_TOKEN = "forgeable_token"  # noqa: S105 -- a name, no secret
    BUDGET = "budget"
    TABLE_ACCESS = "table_access"
    THROTTLED = "throttled"
    TARGET_REFUSED = "target_refused"
    NOT_APPLICABLE = "not_applicable"
    UNSPECIFIED = "unspecified"

    @property
    def label(self) -> str:
        """What was missing, in a few words."""
        return _LABELS[self][0]

    @property
    def unlock(self) -> str:
        """The option or profile line that would let the checks run."""
        return _LABELS[self][1]

    @property
    def counts(self) -> bool:
        """Whether a check skipped for this reason still counts as applicable."""
        return self is not Prerequisite.NOT_APPLICABLE


def _endpoint(role: str) -> tuple[str, str]:
    return (f"no {role.replace('_', '-')} endpoint found",
            f'[endpoints.{role}] path = "/..." in a --profile file')


_LABELS: dict[Prerequisite, tuple[str, str]] = {
    Prerequisite.TEST_ACCOUNT: (
        "no test account", "--user ID --password PW (or --register where sign-up is open)"),
    Prerequisite.REGISTRATION_REFUSED: (
        "the target refused the scanner's registration",
        "--user ID --password PW, or the fields it requires in "
        '[endpoints.register] extra = {field = "value"} in a --profile file'),
    Prerequisite.OWNED_ACCOUNT: (
        "no scanner-owned account (lockout-prone probes never use a lent one)", "--register"),
    Prerequisite.MAILBOX: (
        "no mailbox to read the target's mail",
        "--register --mailbox DIR (the target's outbox) or --mailbox smtp://127.0.0.1:0"),
    Prerequisite.SECOND_ACCOUNT: (
        "no second account", "--user2 ID --password2 PW (or --register)"),
    Prerequisite.ADMIN_ACCOUNT: (
        "no administrator account", "--user ADMIN --password PW (an administrator)"),
    Prerequisite.LOGIN_ENDPOINT: _endpoint("login"),
    Prerequisite.REGISTER_ENDPOINT: _endpoint("register"),
    Prerequisite.VERIFY_EMAIL_ENDPOINT: _endpoint("verify_email"),
    Prerequisite.REFRESH_ENDPOINT: _endpoint("refresh"),
    Prerequisite.LOGOUT_ENDPOINT: _endpoint("logout"),
    Prerequisite.FORGOT_ENDPOINT: _endpoint("forgot"),
    Prerequisite.CHANGE_PASSWORD_ENDPOINT: _endpoint("change_password"),
    Prerequisite.RESET_ENDPOINT: _endpoint("reset"),
    Prerequisite.PROTECTED_OPERATION: (
        "no operation that tells a live credential from none",
        '[endpoints.me] path = "/..." in a --profile file (a GET that needs the credential)'),
    Prerequisite.SESSION_SHAPE: (
        "the login answer's credential was not recognised",
        '[session] token_name = "..." (and refresh_name) in a --profile file'),
    Prerequisite.SCOPED_LOGIN: (
        "no way to ask the login for a token with fewer scopes",
        "a login operation that takes a scope field (the OAuth2 password form's `scope`)"),
    Prerequisite.SPEC: (
        "no OpenAPI document",
        "serve the OpenAPI document where discovery looks (/openapi.json, ...), or list "
        'operations in a --profile file: protected = ["GET /things/{id}"]'),
    Prerequisite.PUBLIC_KEY: (
        "no published public key",
        "publish the verification keys (/.well-known/jwks.json or an OpenID configuration)"),
    Prerequisite.FORGEABLE_TOKEN: (
        "no forged token is accepted, so claim handling cannot be observed",
        "nothing to give: the target's signature check holds"),
    Prerequisite.BUDGET: ("the request budget ran short", "--budget N (a larger one)"),
    Prerequisite.TABLE_ACCESS: (
        "the table's settings or items could not be read",
        "read-only rights for the audit: dynamodb:DescribeTable, DescribeTimeToLive, "
        "DescribeContinuousBackups and Scan on the table"),
    Prerequisite.THROTTLED: (
        "the target's rate limits stop the probe",
        "scan a deployment whose rate limits allow the probe (or scan again later)"),
    Prerequisite.TARGET_REFUSED: (
        "the target refused a step the check needs",
        "see the check's detail; a --profile file can describe the operation's fields"),
    Prerequisite.NOT_APPLICABLE: (
        "not applicable to this target", "nothing to give: the target lacks what it tests"),
    Prerequisite.UNSPECIFIED: ("another reason", "see the check's detail"),
}


def for_role(role: str) -> Prerequisite:
    """The prerequisite of an endpoint role of the profile (``me``: a protected operation)."""
    if role == "me":
        return Prerequisite.PROTECTED_OPERATION
    try:
        return Prerequisite(f"{role}_endpoint")
    except ValueError:
        return Prerequisite.UNSPECIFIED


def undeclared(spec_url: str | None) -> Prerequisite:
    """A kind of operation the check needs is not known: not applicable when the target's
    OpenAPI document was read and declares none, else the document is what is missing."""
    return Prerequisite.NOT_APPLICABLE if spec_url else Prerequisite.SPEC
