"""The missing-authentication check on APIs that answer 404 without credentials: it tells
hiding (auth enforced) from forgetting (auth missing) with the scanner's own objects, and
raises no alarm on the APIs of other frameworks."""

from __future__ import annotations

from typing import Any

import pytest

from dynaguard.scan.config import ScanConfig
from dynaguard.scan.engine import run_scan
from dynaguard.scan.findings import CheckResult, CheckStatus, Confidence
from tests.scan.conftest import Serve
from tests.scan.docsapp import create_docs_app
from tests.scan.otherapps import create_api_key_app, create_cookie_app, create_oauth_form_app

CHECK = "auth.missing_authentication"


async def _check(url: str) -> CheckResult:
    result = await run_scan(ScanConfig(url, checks=(CHECK,), seed=5))
    (outcome,) = result.checks
    return outcome


async def test_hiding_objects_behind_404_is_a_refusal(serve: Serve) -> None:
    """Reads and deletes answer 404 without credentials, the owner's session gets the
    object: both settled as refusals with the scanner's own document, no finding."""
    outcome = await _check(serve(create_docs_app()))
    assert outcome.status is CheckStatus.PASSED, outcome.detail
    assert "4 refused" in outcome.detail, outcome.detail


async def test_delete_without_auth_found_on_the_scanners_own_object(serve: Serve) -> None:
    """A 404 for the dummy id, then the scanner's own document deleted without any
    credentials: a certain finding on that operation only."""
    outcome = await _check(serve(create_docs_app(delete_forgets_auth=True)))
    assert outcome.status is CheckStatus.FAILED, outcome.detail
    (finding,) = outcome.findings
    assert (finding.endpoint, finding.cwe) == ("DELETE /docs/{doc_id}", (306,))
    assert finding.confidence is Confidence.CERTAIN
    assert finding.evidence["status"] == 204


async def test_without_an_object_of_its_own_a_404_stays_inconclusive(serve: Serve) -> None:
    """No way to create a document: the same 404 with and without credentials proves
    nothing either way, so no alarm (the operation is named as inconclusive)."""
    outcome = await _check(serve(create_docs_app(delete_forgets_auth=True, can_create=False)))
    assert outcome.status is CheckStatus.PASSED, outcome.detail
    assert "inconclusive" in outcome.detail
    assert "DELETE /docs/{doc_id}" in outcome.detail


@pytest.mark.parametrize("factory", [create_api_key_app, create_oauth_form_app,
                                     create_cookie_app], ids=["api-key", "oauth-form", "cookie"])
async def test_other_frameworks_raise_no_alarm(serve: Serve, factory: Any) -> None:
    """APIs of other shapes: refused where the spec says secured, skipped without a spec."""
    outcome = await _check(serve(factory()))
    assert outcome.status in (CheckStatus.PASSED, CheckStatus.SKIPPED), outcome.detail
    assert outcome.findings == ()
    if factory is not create_cookie_app:
        assert outcome.status is CheckStatus.PASSED
        assert "refused" in outcome.detail
