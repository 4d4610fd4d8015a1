"""The pieces of the account bootstrap on their own: values from schemas, what discovery
makes of registration and login schemas, tokens in login answers, and retries."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Literal

import httpx
import pytest
from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, EmailStr, Field

from dynaguard.scan.account_fields import DEFAULT_NAME_LENGTH, name_length
from dynaguard.scan.accounts import AccountPool
from dynaguard.scan.discovery import parse_spec, profile_from_operations
from dynaguard.scan.errors import Skip
from dynaguard.scan.http import Budget, ScanHTTP
from dynaguard.scan.profile import Accounts, Endpoint, Profile, SessionStyle
from dynaguard.scan.retry import retry_after, with_retries
from dynaguard.scan.schema_values import required_values
from dynaguard.scan.session import build_body, fill_template, names_of, read_credential
from tests.scan.bootapps import FullSignUp, create_email_form_app, create_full_signup_app


class Address(BaseModel):
    street: str = Field(min_length=3, max_length=60)
    zip: str = Field(pattern=r"^[0-9]{5}$")
    country: Literal["US", "CA"]


class Awkward(BaseModel):
    email: EmailStr
    password: str = Field(min_length=12)
    password_confirm: str
    age: int = Field(ge=18, le=120)
    ratio: float = Field(gt=0, lt=1)
    accept_terms: bool
    is_admin: bool
    tags: list[str] = Field(min_length=1)
    nickname: str = Field(min_length=3, max_length=12, pattern=r"^[a-z0-9]+$")
    address: Address
    referral: str | None = None


def _filled(model: type[BaseModel]) -> Any:
    """The registration body the scanner would send for ``model``, its account named as
    ``name_length`` says."""
    schema = model.model_json_schema(ref_template="#/$defs/{model}")
    length = name_length(schema, "example.com") or DEFAULT_NAME_LENGTH
    identifier = "dgscan0123456789abcdef"[:length] + "@example.com"
    template = required_values(schema, resolve=_resolver(model))
    body = fill_template(template, {**names_of(identifier), "password": "Qx7-long-enough-pw"})
    assert isinstance(body, dict)
    return body


def _resolver(model: type[BaseModel]) -> Callable[[Any], Any]:
    schema = model.model_json_schema(ref_template="#/$defs/{model}")

    def resolve(node: Any) -> Any:
        if isinstance(node, dict) and "$ref" in node:
            return schema["$defs"][str(node["$ref"]).rsplit("/", 1)[-1]]
        return node

    return resolve


def test_required_values_satisfy_the_schema() -> None:
    """Every required field gets a value the model itself validates: bounds, patterns,
    enums, nested objects, arrays, a confirmation and a privilege flag sent false."""
    body = _filled(Awkward)
    parsed = Awkward.model_validate(body)
    assert parsed.password_confirm == parsed.password
    assert parsed.accept_terms is True
    assert parsed.is_admin is False
    assert "referral" not in body
    FullSignUp.model_validate(_filled(FullSignUp))


def test_the_scanners_addresses_pass_email_validators() -> None:
    """The default domain is one email-validator accepts (special-use ones it refuses)."""
    pool = AccountPool(ScanHTTP("http://127.0.0.1:9"), Profile(), [], register=True,
                       mailbox=None)
    validate_email(pool.new_identifier(), check_deliverability=False)
    with pytest.raises(EmailNotValidError):
        validate_email("dgscan0123456789@mail.test", check_deliverability=False)


def test_discovery_reads_identifier_kinds_from_the_schemas() -> None:
    """An OAuth2 form's ``username`` takes the email when registration has only an email,
    and the username when registration has both; the registration sends both."""
    email_app = profile_from_operations(*parse_spec(create_email_form_app().openapi()))
    assert email_app.accounts.identifier == "email"
    assert email_app.endpoints["login"].identifier_kind == "email"
    full = profile_from_operations(*parse_spec(create_full_signup_app().openapi()))
    login, register = full.endpoints["login"], full.endpoints["register"]
    assert (login.identifier, login.identifier_kind) == ("username", "username")
    sent = build_body(register, identifier="dgscan0123456789@example.com", password="pw")
    assert sent["json"]["email"] == "dgscan0123456789@example.com"
    assert sent["json"]["username"] == "dgscan0123456789"
    assert build_body(login, identifier="dgscan0123456789@example.com", password="pw") == {
        "data": {"username": "dgscan0123456789", "password": "pw"}}


def test_short_usernames_shorten_the_scanners_names() -> None:
    """A username capped below the default length gives names that fit it."""
    profile = Profile(accounts=Accounts(identifier="username", name_length=10))
    pool = AccountPool(ScanHTTP("http://127.0.0.1:9"), profile, [], register=True,
                       mailbox=None)
    name = pool.new_identifier()
    assert len(name) == 10
    assert "@" not in name
    assert name.isalnum()


@pytest.mark.parametrize("body", [
    {"access_token": "T0k"}, {"token": "T0k"}, {"auth_token": "T0k"}, {"jwt": "T0k"},
    {"data": {"token": "T0k"}}, {"result": {"access_token": "T0k"}},
    {"access": "T0k", "refresh": "R1"}, {"data": {"tokens": {"access": "T0k"}}},
    {"user": {"email": "a@example.com", "token": "T0k"}},
])
def test_tokens_are_read_from_every_common_login_answer(body: dict[str, object]) -> None:
    credential = read_credential(httpx.Response(200, json=body), SessionStyle())
    assert credential is not None
    assert credential.token == "T0k"
    assert credential.headers() == {"Authorization": "Bearer T0k"}


def test_a_set_cookie_session_is_read_when_the_body_has_no_token() -> None:
    response = httpx.Response(200, json={"ok": True},
                              headers={"set-cookie": "sid=abc123; HttpOnly; Path=/"},
                              request=httpx.Request("POST", "http://t.test/login"))
    credential = read_credential(response, SessionStyle())
    assert credential is not None
    assert credential.headers() == {"Cookie": "sid=abc123"}


def test_retry_after_reads_seconds_and_dates() -> None:
    assert retry_after(httpx.Response(429, headers={"Retry-After": "3"})) == 3.0
    assert retry_after(httpx.Response(503, headers={
        "Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0.0
    assert retry_after(httpx.Response(503)) is None


async def test_transient_failures_are_retried_a_bounded_number_of_times() -> None:
    """5xx, a reset connection and a short Retry-After are asked again; a long
    Retry-After, a 4xx, or the third failure in a row is believed."""
    answers: list[httpx.Response | Exception] = [
        httpx.Response(500), httpx.ReadError("reset"), httpx.Response(200)]
    calls = 0

    async def send() -> httpx.Response:
        nonlocal calls
        calls += 1
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert (await with_retries(send, Budget(100))).status_code == 200
    assert calls == 3
    answers[:] = [httpx.Response(503)] * 5
    calls = 0
    assert (await with_retries(send, Budget(100))).status_code == 503
    assert calls == 3
    for refusal in (httpx.Response(422), httpx.Response(429, headers={"Retry-After": "60"})):
        answers[:] = [refusal, httpx.Response(200)]
        calls = 0
        assert (await with_retries(send, Budget(100))).status_code == refusal.status_code
        assert calls == 1


async def test_the_login_is_tried_with_the_other_name_once() -> None:
    """A login that asks for a username but takes the email: the proof login is tried
    again with the email, and later logins send the email at once."""
    seen: list[str] = []

    async def target(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)
        if request.url.path == "/register":
            return httpx.Response(201)
        name = dict(httpx.QueryParams(request.content.decode()))["username"]
        seen.append(name)
        return httpx.Response(200 if "@" in name else 401, json={"access_token": "T"})

    profile = Profile(endpoints={
        "register": Endpoint(path="/register", identifier="email", identifier_kind="email",
                             password="password", extra={"username": "{username}"}),
        "login": Endpoint(path="/login", body="form", identifier="username",
                          identifier_kind="username", password="password")},
        accounts=Accounts(identifier="email"))
    pool = AccountPool(ScanHTTP("http://t.test", transport=httpx.MockTransport(target)),
                       profile, [], register=True, mailbox=None)
    account = await pool.get(0)
    assert ["@" in name for name in seen] == [False, True]
    await pool.session(account)
    await pool.session(account)
    assert ["@" in name for name in seen] == [False, True, True]
    await pool.http.aclose()


def _login_only_spec(path: str, token_url: str | None) -> dict[str, Any]:
    form = {"type": "object", "required": ["username", "password"],
            "properties": {"username": {"type": "string"}, "password": {"type": "string"}}}
    spec: dict[str, Any] = {"openapi": "3.0.3", "paths": {path: {"post": {"requestBody": {
        "content": {"application/json": {"schema": form}}}}}}}
    if token_url is not None:
        spec["components"] = {"securitySchemes": {"o": {"type": "oauth2", "flows": {
            "password": {"tokenUrl": token_url}}}}}
    else:
        spec["components"] = {"securitySchemes": {"jwtAuth": {
            "type": "apiKey", "in": "header", "name": "Authorization"}}}
    return spec


@pytest.mark.parametrize(("path", "token_url"), [
    ("/token", "token"),                     # FastAPI's tutorial: a relative tokenUrl
    ("/auth/jwt/create/", None),             # djoser with simplejwt
    ("/api/token/", None),                   # simplejwt's own docs
])
def test_token_issuers_are_logins(path: str, token_url: str | None) -> None:
    """A login named for the token it hands out, or a relative OAuth2 tokenUrl, is found;
    an ``Authorization`` API key is sent as a bearer token."""
    profile = profile_from_operations(*parse_spec(_login_only_spec(path, token_url)))
    assert profile.endpoints["login"].path == path
    assert profile.session.send_as == "bearer"


async def test_a_refused_registration_names_the_fields_not_their_values() -> None:
    """The skip reason says which fields the target refused, never what was sent."""

    async def target(request: httpx.Request) -> httpx.Response:
        sent = request.content.decode()
        return httpx.Response(422, json={"detail": [
            {"loc": ["body", "invite_code"], "msg": "invalid", "input": sent}]})

    profile = Profile(endpoints={
        "register": Endpoint(path="/register", identifier="email", password="password"),
        "login": Endpoint(path="/login", identifier="email", password="password")})
    pool = AccountPool(ScanHTTP("http://t.test", transport=httpx.MockTransport(target)),
                       profile, [], register=True, mailbox=None)
    with pytest.raises(Skip) as refused:
        await pool.get(0)
    assert refused.value.reason == "registration refused a fresh account (422: invite_code)"
    await pool.http.aclose()


async def test_a_target_without_an_oracle_is_probed_once() -> None:
    """No operation tells a session from none: the probing is done once, and every
    later question is a skip with the same reason, without a request."""
    sent: list[str] = []

    async def target(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        if request.url.path == "/login":
            return httpx.Response(200, json={"access_token": "T0k"})
        return httpx.Response(200 if request.url.path != "/me" else 404)

    profile = Profile(endpoints={
        "register": Endpoint(path="/register", identifier="email", password="password"),
        "login": Endpoint(path="/login", identifier="email", password="password"),
        "me": Endpoint(path="/me", method="GET", body="none")})
    pool = AccountPool(ScanHTTP("http://t.test", transport=httpx.MockTransport(target)),
                       profile, [], register=True, mailbox=None)
    with pytest.raises(Skip) as first:
        await pool.oracle()
    spent = len(sent)
    with pytest.raises(Skip) as again:
        await pool.is_authenticated(None)
    assert again.value.reason == first.value.reason
    assert "tried GET /me" in first.value.reason
    assert len(sent) == spent
    await pool.http.aclose()
