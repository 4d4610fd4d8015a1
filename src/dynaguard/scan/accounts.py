"""Test accounts: the ones the user gives, and the ones the scanner registers and owns.

Only scanner-owned accounts (``Account.owned``) may be used by brute-force or lockout
checks: hammering a real user's account could lock a person out.

Checks run side by side: the numbered accounts and the shared sessions are made once,
under a lock, whichever check asks first.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass

import httpx

from dynaguard.scan.errors import Skip
from dynaguard.scan.http import ScanHTTP
from dynaguard.scan.mailbox import Mailbox, extract_token
from dynaguard.scan.prerequisites import Prerequisite, for_role
from dynaguard.scan.profile import Endpoint, Profile
from dynaguard.scan.session import Credential, build_body, read_credential

__all__ = ["Account", "AccountPool", "strong_password"]

# How long a fresh account waits for a verification mail before trying to log in anyway.
OPTIONAL_MAIL_WAIT_S = 2.0


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
                 register: bool, mailbox: Mailbox | None) -> None:
        self.http = http
        self.profile = profile
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
        tag = secrets.token_hex(5)
        if self.profile.accounts.identifier == "username":
            return f"dgscan_{tag}"
        return f"dgscan-{tag}@{self.profile.accounts.email_domain}"

    def endpoint(self, role: str) -> Endpoint:
        endpoint = self.profile.endpoint(role)
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
        endpoint = self.endpoint("register")
        return await self.http.request(
            endpoint.method, endpoint.path,
            **build_body(endpoint, identifier=identifier, password=password))

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
        response = await self.register(account.identifier, account.password)
        if not response.is_success:
            self._refusal = f"registration refused a fresh account ({response.status_code})"
            self._refusal_needs = Prerequisite.REGISTRATION_REFUSED
            raise Skip(self._refusal, needs=self._refusal_needs)
        verified = False
        if self.mailbox is not None and self._mail_verifies is not False:
            verified = await self._verify(account, since, required=False)
            self._mail_verifies = verified
        if self._proven_verified is not None and (verified or not self._proven_verified):
            return account
        if self._proved(account, await self.login(account), verified):
            return account
        if self.mailbox is None:
            self._refusal = ("a registered account cannot log in (verification needed?); "
                             "pass --mailbox DIR or smtp://127.0.0.1:PORT")
            self._refusal_needs = Prerequisite.MAILBOX
            raise Skip(self._refusal, needs=self._refusal_needs)
        if not verified:
            await self._verify(account, since, required=True)
            self._mail_verifies = True
        if not self._proved(account, await self.login(account), verified=True):
            self._refusal = "a registered and verified account still cannot log in"
            self._refusal_needs = Prerequisite.TARGET_REFUSED
            raise Skip(self._refusal, needs=self._refusal_needs)
        return account

    def _proved(self, account: Account, login: httpx.Response, verified: bool) -> bool:
        """Did this login open the fresh account? Keeps its session as a spare."""
        if not login.is_success:
            return False
        credential = read_credential(login, self.profile.session)
        if credential is not None:
            self._spare[account.identifier] = credential
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
        return await self.http.request(endpoint.method, endpoint.path, headers=headers,
                                       **build_body(endpoint, identifier=account.identifier,
                                                    password=account.password
                                                    if password is None else password))

    async def session(self, account: Account) -> Credential:
        """A new session of ``account`` (nobody else holds it)."""
        spare = self._spare.pop(account.identifier, None)
        if spare is not None:
            return spare
        response = await self.login(account)
        if not response.is_success:
            raise Skip(f"login of a test account failed ({response.status_code})",
                       needs=Prerequisite.TARGET_REFUSED)
        credential = read_credential(response, self.profile.session)
        if credential is None:
            raise Skip("the login answer holds no token or cookie the scanner recognises; "
                       "set [session] in a profile", needs=Prerequisite.SESSION_SHAPE)
        return credential

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

    async def is_authenticated(self, credential: Credential | None) -> bool:
        """Does the identity endpoint accept this credential (None: no credential)?"""
        endpoint = self.endpoint("me")
        headers = credential.headers() if credential is not None else {}
        response = await self.http.request(endpoint.method, endpoint.path, headers=headers)
        return response.is_success
