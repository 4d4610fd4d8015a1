"""The weak-secret check cracks a secret nobody chose for it: an ordinary dictionary word
drawn at random when the test runs, checked to appear in none of our test files."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from dynaguard.lab.server import running_lab
from dynaguard.scan.config import ScanConfig
from dynaguard.scan.engine import run_scan
from dynaguard.scan.findings import CheckStatus
from dynaguard.settings import Settings

TESTS = Path(__file__).parents[1]
# Lists of ordinary words (not the password list, whose head the cracker tries first).
SOURCES = ("english_wikipedia", "us_tv_and_film")

pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")


def _words_in_tests() -> set[str]:
    words: set[str] = set()
    for path in TESTS.rglob("*.py"):
        words.update(re.findall(r"[a-z]+", path.read_text(encoding="utf-8").lower()))
    return words


def _mailbox(settings: Settings) -> Path:
    assert settings.outbox_dir is not None
    settings.outbox_dir.mkdir(parents=True, exist_ok=True)
    return settings.outbox_dir


def _unseen_word() -> str:
    """A random alphabetic word of 5+ letters from the sources that no test file holds."""
    used = _words_in_tests()
    pool = [w for name in SOURCES for w in FREQUENCY_LISTS[name]
            if len(w) >= 5 and w.isalpha() and w.isascii() and w not in used]
    assert len(pool) > 10_000  # the sources are large; a tiny pool would make this a fixture
    return secrets.choice(pool)


async def test_weak_secret_check_cracks_a_lab_keyed_with_a_random_word(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The lab's weak secret replaced by the drawn word: the scan finds it and forges."""
    word = _unseen_word()
    monkeypatch.setattr("dynaguard.lab.tokens.WEAK_SECRET", word)
    with running_lab(settings, flaws=["jwt_weak_secret"]) as url:
        result = await run_scan(ScanConfig(url, checks=("jwt.weak_secret",), seed=7,
                                           mailbox=_mailbox(settings)))
    (outcome,) = result.checks
    assert outcome.status is CheckStatus.FAILED, (word, outcome.detail)
    (finding,) = outcome.findings
    assert finding.evidence["forged_token_accepted"] is True
    masked = f"{word[0]}{'*' * (len(word) - 1)} ({len(word)} characters)"
    assert finding.evidence["secret"] == masked
