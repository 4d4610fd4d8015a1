"""Test accounts: the ones the user gives, and the ones the scanner registers and owns.

Only scanner-owned accounts (``Account.owned``) may be used by brute-force or lockout
checks: hammering a real user's account could lock a person out.

Checks run side by side: the numbered accounts and the shared sessions are made once,
under a lock, whichever check asks first.

The scanner's own accounts get one name that serves as both an email and a username
(``dgscan<hex>@domain``: the part before the @ is the username), so a registration that
wants both gets both, and each endpoint is sent the one its field takes. Registering and
logging in these accounts retries transient failures (:mod:`dynaguard.scan.retry`)
before a refusal is believed for the rest of the scan.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

import httpx

from dynaguard.scan.account_fields import DEFAULT_NAME_LENGTH
from dynaguard.scan.discovery import Operation
from dynaguard.scan.errors import Skip
from dynaguard.scan.form_submit import send
from dynaguard.scan.http import ScanHTTP
from dynaguard.scan.mailbox import Mailbox, extract_token
from dynaguard.scan.oracle import Oracle, find_oracle
from dynaguard.scan.prerequisites import Prerequisite, for_role
from dynaguard.scan.profile import Endpoint, Profile
from dynaguard.scan.retry import with_retries
from dynaguard.scan.session import Credential, build_body, json_or_none, read_credential

__all__ = ["Account", "AccountPool", "strong_password"]

# How long a fresh account waits for a verification mail before trying to log in anyway.
OPTIONAL_MAIL_WAIT_S = 2.0


def _fields_named(response: httpx.Response) -> str:
    """The fields a validation error names (FastAPI's and Pydantic's ``detail[].loc``,
    DRF's field keys), never their values: the body held the account's password."""
    body = json_or_none(response)
    names: list[str] = []
    if isinstance(body, dict) and isinstance(body.get("detail"), list):
        for item in body["detail"]:
            loc = item.get("loc") if isinstance(item, dict) else None
            if isinstance(loc, list) and loc:
                names.append(".".join(str(p) for p in loc if p != "body"))
    elif isinstance(body, dict) and response.status_code in (400, 422):
        names = [k for k, v in body.items() if isinstance(v, list) and k.isidentifier()]
    shown = sorted({n for n in names if n and len(n) <= 64})[:5]
    return f": {', '.join(shown)}" if shown else ""


@dataclass
class Account:
    identifier: str
    password: str
    owned: bool


def strong_password() -> str:
    """A password any sane policy accepts, free of words a policy might call context."""
    return "Qx7-" + secrets.token_urlsafe(18)


class AccountPool:
    """Hands accounts and sessions to checks, registering accounts when allowed."""

    def __init__(self, http: ScanHTTP, profile: Profile, given: list[Account], *,
                 register: bool, mailbox: Mailbox | None,
                 operations: tuple[Operation, ...] = ()) -> None:
        self.http = http
        self.profile = profile
        self.operations = operations
        # The login as the scanner's accounts turned out to need it (their username
        # rather than their email, or the other way round), once a proof login told.
        self._login: Endpoint | None = None
        self._named = False  # a proof login succeeded: the login's name is settled
        self._naming = asyncio.Lock()
        self._oracle: Oracle | None = None
        self._no_oracle: str | None = None
        self._judging = asyncio.Lock()
        self.given = given
        self.may_register = register
        self.mailbox = mailbox
        self._made: list[Account] = []
        self._refusal: str | None = None
        self._refusal_needs = Prerequisite.TEST_ACCOUNT
        # Whether the target's mail verified the last fresh account (None: not known yet).
        self._mail_verifies: bool | None = None
        self._shared: dict[str, Credential] = {}
        # Sessions from the login that proved a fresh account works, not yet handed out.
        self._spare: dict[str, Credential] = {}
        # Whether the first fresh account that logged in had been verified by mail (None:
        # none has logged in yet): later accounts made the same way need no such proof.
        self._proven_verified: bool | None = None
        self._making = asyncio.Lock()
        self._sharing: dict[str, asyncio.Lock] = {}
        # Registered for timing probes only (never logged into), shared by those checks.
        self.timing_accounts: list[str] = []

    def new_identifier(self) -> str:
        """A new account name: ``dgscan<hex>`` (its length as the profile says), with the
        email domain unless the target's accounts have usernames only."""
        accounts = self.profile.accounts
        length = accounts.name_length or DEFAULT_NAME_LENGTH
        prefix = "dgscan" if length >= 12 else "dg"
        name = (prefix + secrets.token_hex(32))[:length]
        register = self.profile.endpoint("register")
        wants_email = register is not None and (
            register.identifier_kind == "email" or "{email}" in json.dumps(register.extra))
        if accounts.identifier == "username" and not wants_email:
            return name
        return f"{name}@{accounts.email_domain}"

    def endpoint(self, role: str) -> Endpoint:
        endpoint = self._login if role == "login" and self._login else \
            self.profile.endpoint(role)
        if endpoint is None:
            raise Skip(f"no {role.replace('_', '-')} endpoint found (give one in a profile)",
                       needs=for_role(role))
        return endpoint

    async def get(self, index: int) -> Account:
        """Account ``index`` (0 primary, 1 secondary): given, else registered."""
        if index < len(self.given):
            return self.given[index]
        if self.given and not self.may_register:
            raise Skip("no second test account: pass --user2/--password2, or --register",
                       needs=Prerequisite.SECOND_ACCOUNT)
        async with self._making:
            while len(self._made) <= index - len(self.given):
                self._made.append(await self.fresh())
        return self._made[index - len(self.given)]

    async def owned(self) -> Account:
        """A scanner-owned account (for checks that may lock it out)."""
        for account in [*self.given, *self._made]:
            if account.owned:
                return account
        if not self.may_register:
            raise Skip("brute-force checks use only scanner-owned accounts; allow --register",
                       needs=Prerequisite.OWNED_ACCOUNT)
        return await self.get(len(self.given) + len(self._made))

    async def disposable(self) -> Account:
        """A new scanner-owned account of its own, for checks that may get it throttled or
        locked: other checks keep working with theirs."""
        if not self.may_register:
            raise Skip("lockout-prone checks use only scanner-owned accounts; allow --register",
                       needs=Prerequisite.OWNED_ACCOUNT)
        return await self.fresh()

    async def for_failures(self) -> Account:
        """An existing account for wrong-password probes: one of the scanner's own when it
        may register (a streak of failures on the first account, with checks running side
        by side, could get it throttled or locked for the others), else the first one."""
        if self.may_register:
            return await self.disposable()
        return await self.get(0)

    async def register(self, identifier: str, password: str) -> httpx.Response:
        return await send(self.http, self.endpoint("register"), identifier=identifier,
                          password=password)

    async def fresh(self) -> Account:
        """Register, verify and log in a new account; Skip with the reason if impossible.

        With a mailbox, a verification mail is looked for before the first login: a login
        refused for want of verification would cost a failed attempt, and a target that
        limits failures per address counts it against the whole scan. Once one fresh
        account has logged in, the next ones made the same way skip that proof (a login
        costs the target a password hash); their first session comes when a check asks."""
        if self._refusal:
            raise Skip(self._refusal, needs=self._refusal_needs)
        if not self.may_register:
            self._refusal = ("no test account: pass --user/--password, or --register "
                             "(on by default only for loopback targets)")
            raise Skip(self._refusal, needs=Prerequisite.TEST_ACCOUNT)
        account = Account(self.new_identifier(), strong_password(), owned=True)
        since = time.time() - 1
        response = await self._retrying(
            lambda: self.register(account.identifier, account.password), "registration")
        if not response.is_success:
            self._refusal = (f"registration refused a fresh account ({response.status_code}"
                             f"{_fields_named(response)})")
            self._refusal_needs = Prerequisite.REGISTRATION_REFUSED
            raise Skip(self._refusal, needs=self._refusal_needs)
        verified = False
        if self.mailbox is not None and self._mail_verifies is not False:
            verified = await self._verify(account, since, required=False)
            self._mail_verifies = verified
        if self._proven_verified is not None and (verified or not self._proven_verified):
            return account
        if self._proved(account, await self._first_login(account), verified):
            return account
        if self.mailbox is None:
            self._refusal = ("a registered account cannot log in (verification needed?); "
                             "pass --mailbox DIR or smtp://127.0.0.1:PORT")
            self._refusal_needs = Prerequisite.MAILBOX
            raise Skip(self._refusal, needs=self._refusal_needs)
        if not verified:
            await self._verify(account, since, required=True)
            self._mail_verifies = True
        if not self._proved(account, await self._first_login(account), verified=True):
            self._refusal = "a registered and verified account still cannot log in"
            self._refusal_needs = Prerequisite.TARGET_REFUSED
            raise Skip(self._refusal, needs=self._refusal_needs)
        return account

    async def _retrying(self, send: Callable[[], Awaitable[httpx.Response]],
                        what: str) -> httpx.Response:
        try:
            return await with_retries(send, self.http.budget)
        except httpx.TransportError as error:
            self._refusal = f"the {what} kept failing ({type(error).__name__})"
            self._refusal_needs = Prerequisite.TARGET_REFUSED
            raise Skip(self._refusal, needs=self._refusal_needs) from None

    async def _first_login(self, account: Account) -> httpx.Response:
        """The login that proves a fresh account works. Refused, it is tried once with the
        account's other name (the email for a login that asked for a username, or the
        other way round): a target may take either, whatever its field is called. One at
        a time, so that accounts made side by side agree on the name."""
        async with self._naming:
            answer = await self._retrying(lambda: self.login(account), "login")
            login = self.endpoint("login")
            if answer.is_success or self._named or "@" not in account.identifier \
                    or answer.status_code == 429 or not login.identifier:
                self._named = self._named or answer.is_success
                return answer
            other = "email" if login.identifier_kind == "username" else "username"
            self._login = login.model_copy(update={"identifier_kind": other})
            retried = await self._retrying(lambda: self.login(account), "login")
            if not retried.is_success:
                self._login = None
                return answer
            self._named = True
            return retried

    def _proved(self, account: Account, login: httpx.Response, verified: bool) -> bool:
        """Did this login open the fresh account? Keeps its session as a spare."""
        if not login.is_success:
            return False
        credential = read_credential(login, self.profile.session)
        if credential is not None:
            self._spare[account.identifier] = replace(credential, owner=account.identifier)
        if self._proven_verified is None:
            self._proven_verified = verified
        return True

    async def _verify(self, account: Account, since: float, *, required: bool) -> bool:
        """Follow the verification mail sent to ``account``; False when there is none and
        it is not ``required`` (else Skip)."""
        assert self.mailbox is not None  # noqa: S101 -- checked by the caller
        wait = self.mailbox.wait_for(account.identifier, since) if required else \
            self.mailbox.wait_for(account.identifier, since, timeout_s=OPTIONAL_MAIL_WAIT_S)
        text = await wait
        if text is None:
            if not required:
                return False
            self._refusal = f"no verification mail arrived in {self.mailbox.where}"
            self._refusal_needs = Prerequisite.MAILBOX
            raise Skip(self._refusal, needs=self._refusal_needs)
        token, link = extract_token(text)
        endpoint = self.profile.endpoint("verify_email")
        if token and endpoint is not None:
            response = await self.http.request(endpoint.method, endpoint.path,
                                               **build_body(endpoint, token=token))
        elif not required:
            return False  # a bare link is followed only once a login proved it is needed
        elif link:
            response = await self.http.request("GET", link)
        else:
            self._refusal = "the verification mail holds no token or link"
            self._refusal_needs = Prerequisite.MAILBOX
            raise Skip(self._refusal, needs=self._refusal_needs)
        if not response.is_success and not response.is_redirect:
            if not required:
                return False
            self._refusal = f"email verification failed ({response.status_code})"
            self._refusal_needs = Prerequisite.TARGET_REFUSED
            raise Skip(self._refusal, needs=self._refusal_needs)
        return True

    async def login(self, account: Account, password: str | None = None, *,
                    headers: dict[str, str] | None = None) -> httpx.Response:
        endpoint = self.endpoint("login")
        if not account.owned:  # a lent account is called what its owner said
            endpoint = endpoint.model_copy(update={"identifier_kind": None})
        return await send(self.http, endpoint, headers=headers,
                          identifier=account.identifier,
                          password=account.password if password is None else password)

    async def session(self, account: Account) -> Credential:
        """A new session of ``account`` (nobody else holds it)."""
        spare = self._spare.pop(account.identifier, None)
        if spare is not None:
            return spare
        try:
            response = await with_retries(lambda: self.login(account), self.http.budget)
        except httpx.TransportError as error:
            raise Skip(f"login of a test account kept failing ({type(error).__name__})",
                       needs=Prerequisite.TARGET_REFUSED) from None
        if not response.is_success:
            raise Skip(f"login of a test account failed ({response.status_code})",
                       needs=Prerequisite.TARGET_REFUSED)
        credential = read_credential(response, self.profile.session)
        if credential is None:
            raise Skip("the login answer holds no token or cookie the scanner recognises; "
                       "set [session] in a profile", needs=Prerequisite.SESSION_SHAPE)
        return replace(credential, owner=account.identifier)

    async def shared_session(self, account: Account) -> Credential:
        """One session of ``account`` shared by the checks that only use it, never end it
        (no logout, password change or refresh-token replay): each login of a target with
        a costly password hash takes a noticeable share of the scan."""
        async with self._sharing.setdefault(account.identifier, asyncio.Lock()):
            credential = self._shared.get(account.identifier)
            if credential is None:
                credential = await self.session(account)
                self._shared[account.identifier] = credential
        return credential

    def forget_shared_session(self, account: Account) -> None:
        """The account's credentials changed: its shared and spare sessions may be gone."""
        self._shared.pop(account.identifier, None)
        self._spare.pop(account.identifier, None)

    async def oracle(self, credential: Credential | None = None) -> Oracle:
        """The operation that judges credentials (:mod:`dynaguard.scan.oracle`), found
        once with ``credential`` (live) or the primary account's shared session; Skip
        when the target has none."""
        async with self._judging:
            if self._no_oracle is not None:
                raise Skip(self._no_oracle, needs=Prerequisite.PROTECTED_OPERATION)
            if self._oracle is None:
                if credential is None:
                    credential = await self.shared_session(await self.get(0))
                try:
                    self._oracle = await find_oracle(self.http, self.profile,
                                                     self.operations, credential)
                except Skip as none:  # probed once per scan: the answer will not change
                    self._no_oracle = none.reason
                    raise
        return self._oracle

    async def is_authenticated(self, credential: Credential | None) -> bool:
        """Does the target let this credential in (None: no credential)? Asked of the
        oracle; Skip when there is none."""
        oracle = await self.oracle(credential)
        return await oracle.accepts(self.http, credential)
