"""RateLimit header fields: the per-address budget on the answers of throttled routes."""

from __future__ import annotations

import httpx
from http_sf import parse

from dynaguard.guard.app import create_app
from dynaguard.settings import Settings
from tests.conftest import TEST_PASSWORD, Harness, MakeUser

WRONG = "not-the-password-at-all"


def _budget(response: httpx.Response) -> tuple[str, int, int, int, int]:
    """(policy, quota, window, remaining, reset) from the two fields, parsed as the
    structured-field lists the draft defines."""
    ((name, policy),) = parse(response.headers["ratelimit-policy"].encode(), tltype="list")
    ((same, limit),) = parse(response.headers["ratelimit"].encode(), tltype="list")
    assert name == same
    assert set(policy) == {"q", "w"}
    assert set(limit) == {"r", "t"}
    return str(name), policy["q"], policy["w"], limit["r"], limit["t"]


def _without_budget(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(k, v) for k, v in response.headers.multi_items()
               if k not in {"ratelimit", "x-request-id"}]
    return response.status_code, headers, response.content


async def test_login_answers_count_down_alike_for_known_and_unknown_emails(
    harness: Harness, make_user: MakeUser
) -> None:
    """Each failed login takes one from the address budget, for an existing account as for
    an unknown email, and the answers are otherwise the same byte for byte."""
    user = await make_user()
    limit, window = harness.settings.address_failure_limit, harness.settings.address_window
    seen = []
    for email in (user.email, "nobody@example.com", user.email, "nobody@example.com"):
        r = await harness.client.post("/auth/login", json={"email": email, "password": WRONG})
        assert r.status_code == 401
        seen.append(r)
    budgets = [_budget(r) for r in seen]
    assert [b[:4] for b in budgets] == [("address", limit, window, limit - n) for n in (1, 2, 3, 4)]
    assert all(0 < b[4] <= window + 1 for b in budgets)
    assert _without_budget(seen[0]) == _without_budget(seen[1]) == _without_budget(seen[2])

    ok = await harness.client.post("/auth/login",
                                   json={"email": user.email, "password": TEST_PASSWORD})
    assert ok.status_code == 200
    assert _budget(ok)[3] == limit - 4  # a success counts nothing
    after = await harness.client.post("/auth/login", json={"email": user.email, "password": WRONG})
    assert _budget(after)[3] == limit - 5


async def test_identifier_backoff_shows_the_address_budget_only(
    harness: Harness, make_user: MakeUser
) -> None:
    """A 429 of the per-email backoff carries the address figures, never the email's own
    count: known and unknown emails get the same answer."""
    user = await make_user()
    limit = harness.settings.address_failure_limit
    free = harness.settings.throttle_free_failures
    answers: dict[str, list[httpx.Response]] = {user.email: [], "nobody@example.com": []}
    for _ in range(free + 1):
        for email, seen in answers.items():
            seen.append(await harness.client.post(
                "/auth/login", json={"email": email, "password": WRONG}))
    known, unknown = answers.values()
    assert [r.status_code for r in known] == [401] * free + [429]
    assert [r.status_code for r in unknown] == [401] * free + [429]
    # The throttled tries were not counted: 2 * free failures in all.
    assert _budget(known[-1])[3] == _budget(unknown[-1])[3] == limit - 2 * free
    assert _without_budget(known[-1]) == _without_budget(unknown[-1])


async def test_address_limit_answers_429_with_nothing_remaining(
    harness: Harness, make_user: MakeUser
) -> None:
    """Once the address has used its budget, the 429 says r=0 and resets when Retry-After
    says."""
    users = [await make_user() for _ in range(2)]
    limit = harness.settings.address_failure_limit
    transport = httpx.ASGITransport(app=harness.app, client=("127.0.0.9", 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        remaining = []
        for n in range(limit + 1):
            r = await client.post("/auth/login", json={"email": f"spray{n}@example.com",
                                                       "password": WRONG})
            remaining.append((r.status_code, _budget(r)[3]))
        assert remaining == [(401, limit - n) for n in range(1, limit + 1)] + [(429, 0)]
        assert _budget(r)[4] == int(r.headers["retry-after"])
        r = await client.post("/auth/login", json={"email": users[0].email,
                                                   "password": WRONG})
        assert (r.status_code, _budget(r)[3]) == (429, 0)
    # Another address has its own budget.
    r = await harness.client.post("/auth/login", json={"email": users[1].email,
                                                       "password": WRONG})
    assert _budget(r)[3] == limit - 1


async def test_forgot_advertises_its_own_bucket(harness: Harness, make_user: MakeUser) -> None:
    """Password-forgot counts every request in a bucket of its own, and says so; the login
    budget is untouched, and known and unknown emails see the same answer."""
    user = await make_user()
    limit = harness.settings.address_failure_limit
    seen = []
    for email in (user.email, "nobody@example.com", user.email):
        r = await harness.client.post("/auth/password/forgot", json={"email": email})
        assert r.status_code == 202
        seen.append(r)
        await harness.svc.drain_mail()
    assert [_budget(r)[:4] for r in seen] == [
        ("password-forgot", limit, harness.settings.address_window, limit - n)
        for n in (1, 2, 3)]
    assert _without_budget(seen[0]) == _without_budget(seen[1])
    r = await harness.client.post("/auth/login", json={"email": user.email, "password": WRONG})
    assert _budget(r)[:2] == ("address", limit)
    assert _budget(r)[3] == limit - 1


async def test_unthrottled_routes_carry_no_budget(harness: Harness, make_user: MakeUser) -> None:
    user = await make_user()
    pair = await harness.login(user.email)
    r = await harness.client.get("/auth/me",
                                 headers={"Authorization": f"Bearer {pair['access_token']}"})
    assert r.status_code == 200
    assert "ratelimit" not in r.headers
    assert "ratelimit-policy" not in r.headers
    r = await harness.client.get("/.well-known/jwks.json")
    assert "ratelimit" not in r.headers


def test_openapi_declares_the_fields_where_they_are_sent(harness: Harness) -> None:
    paths = harness.app.openapi()["paths"]
    for path, statuses in (("/auth/login", ("200", "401", "429")),
                           ("/auth/password/forgot", ("202", "429"))):
        responses = paths[path]["post"]["responses"]
        for status in statuses:
            assert set(responses[status]["headers"]) == {"RateLimit", "RateLimit-Policy"}
        assert "content" in responses["401" if path == "/auth/login" else "429"]
    assert "headers" not in paths["/auth/me"]["get"]["responses"]["200"]
    # Every route whose flow consults the throttle (docs/service.md lists them).
    for path, success in (("/auth/token", "200"), ("/auth/mfa/verify", "200"),
                          ("/auth/passkey/login", "200"), ("/auth/mfa/totp/confirm", "200"),
                          ("/auth/password/change", "204"), ("/auth/password/reset", "204"),
                          ("/auth/email/change", "202"), ("/auth/email/confirm", "204"),
                          ("/auth/verify-email", "204"), ("/auth/verify-email/resend", "202"),
                          ("/auth/introspect", "200")):
        declared = paths[path]["post"]["responses"][success]
        assert set(declared["headers"]) == {"RateLimit", "RateLimit-Policy"}, path


async def test_the_fields_can_be_turned_off(settings: Settings) -> None:
    """DYNAGUARD_RATELIMIT_HEADERS=false: no field on any answer; the throttle still works."""
    app = create_app(settings.model_copy(update={"ratelimit_headers": False,
                                                 "address_failure_limit": 2}))
    async with app.state.guard.lifespan(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50001))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            answers = [await client.post("/auth/login", json={"email": "x@example.com",
                                                              "password": WRONG})
                       for _ in range(3)]
    assert [a.status_code for a in answers] == [401, 401, 429]
    assert not any({"ratelimit", "ratelimit-policy"} & set(a.headers) for a in answers)
