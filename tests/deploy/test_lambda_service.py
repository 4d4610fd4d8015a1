"""The service behind API Gateway: one start per container, the whole flow through events."""

from __future__ import annotations

import re
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from dynaguard.deploy.lambda_service import LambdaService, check_lambda_settings, lambda_settings
from dynaguard.settings import Settings
from tests.conftest import TEST_PASSWORD, mail_text
from tests.deploy.conftest import SOURCE_IP, USER_AGENT, LambdaHarness, new_kek
from tests.deploy.test_template import TRANSACTION_PART_ACTIONS, function_statements


def _mail_token(outbox: Path, address: str) -> str:
    """The token of the one mail to ``address``; it must be there when the invocation ends."""
    mails = [message_from_bytes(p.read_bytes()) for p in sorted(outbox.glob("*.eml"))]
    (mail,) = [m for m in mails if m["To"] == address]
    match = re.search(r"Token: (\S+)", mail_text(mail))
    assert match is not None
    return match.group(1)


def test_container_starts_once_and_reuses_client_and_keys(lambda_harness: LambdaHarness) -> None:
    """Invocations of one container share one lifespan: same services, client and keys."""
    first = lambda_harness.invoke("GET", "/.well-known/jwks.json")
    services = lambda_harness.service.services
    client = services.db.client
    second = lambda_harness.invoke("GET", "/.well-known/jwks.json")
    third = lambda_harness.invoke("GET", "/.well-known/jwks.json")

    assert (first.status, second.status, third.status) == (200, 200, 200)
    assert len(first.json()["keys"]) == 1
    assert first.json() == second.json() == third.json()
    assert lambda_harness.service.services is services
    assert lambda_harness.service.services.db.client is client


def test_user_journey_through_api_gateway_events(lambda_harness: LambdaHarness) -> None:
    """Register, verify, log in, use, refresh and log out, one Lambda invocation per call."""
    invoke = lambda_harness.invoke
    email = "lambda-user@example.com"
    r = invoke("POST", "/auth/register", {"email": email, "password": TEST_PASSWORD})
    assert (r.status, r.json()) == (202, {"status": "accepted"})

    outbox = lambda_harness.settings.outbox_dir
    assert outbox is not None
    token = _mail_token(outbox, email)  # delivered before the invocation returned
    assert invoke("POST", "/auth/verify-email", {"token": token}).status == 204

    login = invoke("POST", "/auth/login", {"email": email, "password": TEST_PASSWORD})
    assert login.status == 200
    assert login.headers["cache-control"] == "no-store"
    pair = login.json()
    me = invoke("GET", "/auth/me", token=pair["access_token"])
    assert (me.status, me.json()["email"]) == (200, email)
    (session,) = invoke("GET", "/auth/sessions", token=pair["access_token"]).json()
    assert (session["address"], session["user_agent"]) == (SOURCE_IP, USER_AGENT)

    refreshed = invoke("POST", "/auth/refresh", {"refresh_token": pair["refresh_token"]})
    assert refreshed.status == 200
    access = refreshed.json()["access_token"]
    assert invoke("POST", "/auth/logout", token=access).status == 204
    assert invoke("GET", "/auth/me", token=access).status == 401
    replay = invoke("POST", "/auth/refresh", {"refresh_token": pair["refresh_token"]})
    assert replay.status == 401


def test_errors_reach_api_gateway_as_plain_problem_documents(
    lambda_harness: LambdaHarness,
) -> None:
    """A refused body and an unknown path come back as RFC 9457 JSON, not base64."""
    bad = lambda_harness.invoke("POST", "/auth/login", {"email": "x"})
    missing = lambda_harness.invoke("GET", "/no-such-route")
    unauthenticated = lambda_harness.invoke("GET", "/auth/me", token="not-a-jwt")
    for result, status in ((bad, 422), (missing, 404), (unauthenticated, 401)):
        assert result.status == status
        assert not result.base64_encoded
        assert result.headers["content-type"] == "application/problem+json"
        assert result.json()["status"] == status
    assert unauthenticated.headers["www-authenticate"] == "Bearer"


def test_settings_that_cannot_work_across_containers_are_refused(settings: Settings) -> None:
    """No endpoint or no shared KEK: the container refuses to start, naming both."""
    embedded = settings.model_copy(update={"dynamodb_endpoint": "", "kek": None})
    with pytest.raises(ValueError, match="DYNAGUARD_DYNAMODB_ENDPOINT") as caught:
        check_lambda_settings(embedded)
    assert "DYNAGUARD_KEK" in str(caught.value)
    with pytest.raises(ValueError, match="DYNAGUARD_KEK"):
        LambdaService(settings)
    check_lambda_settings(settings.model_copy(update={"kek": SecretStr(new_kek())}))


def test_function_settings_refuse_test_hashing_and_a_local_outbox(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    """The deployed function's environment must name SMTP and a real Argon2 profile."""
    monkeypatch.chdir(tmp_path)  # no stray .env file
    monkeypatch.setenv("DYNAGUARD_DYNAMODB_ENDPOINT", "aws")
    monkeypatch.setenv("DYNAGUARD_KEK", new_kek())
    monkeypatch.setenv("DYNAGUARD_ARGON2_PROFILE", "insecure-test-only")
    with pytest.raises(ValueError, match="insecure-test-only") as caught:
        lambda_settings()
    assert "DYNAGUARD_MAIL_URL" in str(caught.value)

    monkeypatch.setenv("DYNAGUARD_ARGON2_PROFILE", "owasp-minimum")
    monkeypatch.setenv("DYNAGUARD_MAIL_URL", "smtps://mail.example.com:465")
    assert lambda_settings().argon2_profile == "owasp-minimum"

    monkeypatch.setenv("DYNAGUARD_ACCESS_TTL", "5")
    with pytest.raises(ValueError, match="DYNAGUARD_ACCESS_TTL"):
        lambda_settings()


def test_every_call_of_a_user_journey_is_allowed_by_the_template_role(
    lambda_harness: LambdaHarness,
) -> None:
    """The DynamoDB actions a running container really uses are all granted to it."""
    invoke = lambda_harness.invoke
    assert invoke("GET", "/.well-known/jwks.json").status == 200  # the container starts
    used: set[str] = set()

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == "TransactWriteItems":
            used.update(f"dynamodb:{TRANSACTION_PART_ACTIONS[kind]}"
                        for item in params["TransactItems"] for kind in item)
        else:
            used.add(f"dynamodb:{model.name}")

    lambda_harness.service.services.db.client.meta.events.register(
        "provide-client-params.dynamodb", record)
    email = "journey@example.com"
    invoke("POST", "/auth/register", {"email": email, "password": TEST_PASSWORD})
    outbox = lambda_harness.settings.outbox_dir
    assert outbox is not None
    invoke("POST", "/auth/verify-email", {"token": _mail_token(outbox, email)})
    pair = invoke("POST", "/auth/login", {"email": email, "password": TEST_PASSWORD}).json()
    assert invoke("GET", "/auth/sessions", token=pair["access_token"]).status == 200
    pair = invoke("POST", "/auth/refresh", {"refresh_token": pair["refresh_token"]}).json()
    assert invoke("POST", "/auth/logout-all", token=pair["access_token"]).status == 204

    (statement,) = function_statements()
    assert {"dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:Query"} <= used
    assert used <= set(statement["Action"]), used - set(statement["Action"])
