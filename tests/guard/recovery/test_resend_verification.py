"""Re-sending the verification mail."""

from __future__ import annotations

from tests.conftest import Harness, MakeUser, bearer, wire
from tests.guard.recovery.conftest import token_from


async def test_resend_answers_alike_and_mails_only_unverified_accounts(
    harness: Harness, make_user: MakeUser
) -> None:
    waiting = await make_user(verified=False)
    done = await make_user()
    answers = []
    for email in (waiting.email, done.email, "stranger@example.com"):
        r = await harness.client.post("/auth/verify-email/resend", json={"email": email})
        answers.append(wire(r))
    assert answers[0][0] == 202
    assert all(a == answers[0] for a in answers)
    (mail,) = await harness.mails_to(waiting.email)
    assert await harness.mails_to(done.email, wait_s=0) == []
    assert await harness.mails_to("stranger@example.com", wait_s=0) == []

    r = await harness.client.post("/auth/verify-email", json={"token": token_from(mail)})
    assert r.status_code == 204
    pair = await harness.login(waiting.email)
    me = await harness.client.get("/auth/me", headers=bearer(pair["access_token"]))
    assert me.json()["email_verified"] is True


async def test_resend_is_throttled_per_address_whether_or_not_it_exists(
    harness: Harness, make_user: MakeUser
) -> None:
    waiting = await make_user(verified=False)
    free = harness.settings.throttle_free_failures
    sent = 0
    for email in (waiting.email, "stranger@example.com"):
        statuses: list[int] = []
        # The backoff starts at 1 s and doubles; whole-second times may let the first
        # delayed request through, never the third.
        while 429 not in statuses and len(statuses) < free + 3:
            r = await harness.client.post("/auth/verify-email/resend", json={"email": email})
            statuses.append(r.status_code)
        # Counting is an atomic ADD; on an overloaded engine botocore may retry one whose
        # reply timed out, counting a request twice. That only ever throttles sooner, so
        # the test asks for "accepted, then refused" rather than an exact count.
        assert statuses[0] == 202
        assert set(statuses[:-1]) == {202}
        assert statuses[-1] == 429
        sent = sent or len(statuses) - 1
    assert len(await harness.mails_to(waiting.email, count=sent)) == sent
