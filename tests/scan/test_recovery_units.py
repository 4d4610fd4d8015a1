"""Reset-token judgement, stated lifetimes and the SMTP sink, without a target."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from pathlib import Path

import aiosmtplib
import pytest
from typer.testing import CliRunner

from dynaguard.cli import app
from dynaguard.guard.mail import build_message
from dynaguard.lab.server import running_lab
from dynaguard.scan.checks.recovery import stated_lifetime
from dynaguard.scan.config import ScanConfig
from dynaguard.scan.errors import UsageError
from dynaguard.scan.mailbox import FileMailbox, extract_token
from dynaguard.scan.smtp_sink import parse_smtp_address, smtp_mailbox
from dynaguard.scan.token_strength import MIN_BITS, assess_tokens
from dynaguard.settings import Settings

EMAIL = "dgscan-1@example.com"


def test_random_tokens_pass() -> None:
    now = time.time()
    for tokens in ([secrets.token_urlsafe(32) for _ in range(4)],
                   [secrets.token_hex(16) for _ in range(4)]):
        strength = assess_tokens(tokens, EMAIL, (now, now))
        assert strength.weaknesses == (), strength
        assert strength.estimated_bits >= 128


def test_hash_of_identifier_and_time_is_recognised() -> None:
    """A token cut from MD5(email:epoch second) is named as such, even when the samples
    all differ (requests a few seconds apart)."""
    now = int(time.time())
    tokens = [hashlib.md5(f"{EMAIL}:{now + i}".encode()).hexdigest()[:12] for i in range(3)]  # noqa: S324
    strength = assess_tokens(tokens, EMAIL, (now, now + 2))
    assert strength.derivation == "md5(identifier:epoch)"
    assert strength.predictable
    assert strength.estimated_bits == 48
    assert strength.estimated_bits < MIN_BITS


def test_short_repeated_and_sequential_tokens_are_weak() -> None:
    now = time.time()
    short = assess_tokens(["a81f03", "93bc1e", "0c4d7a"], EMAIL, (now, now))
    assert short.weaknesses == ("short: about 24 bits, under 64",)
    assert not short.predictable
    repeated = assess_tokens(["Zr8xTq0pLm3v"] * 2 + ["Qw9e8r7t6y5u"], EMAIL, (now, now))
    assert repeated.predictable
    counter = assess_tokens(["100000482917", "100000482918", "100000482920"], EMAIL, (now, now))
    assert counter.shared_prefix == 10
    assert any(w.startswith("sequential") for w in counter.weaknesses)


@pytest.mark.parametrize(("text", "seconds"), [
    ("The link works once and expires in 20 minutes.", 1200),
    ("This link is valid for 24 hours.", 86_400),
    ("The link expires in 7 days.", 604_800),
    ("Good news: this link never expires.", float("inf")),
    ("Token: abc\nLink: https://x.test/reset?token=abc\n", None),
])
def test_stated_lifetime(text: str, seconds: float | None) -> None:
    assert stated_lifetime(text) == seconds


@pytest.mark.parametrize("value", ["smtp://10.0.0.8:25", "smtp://mail.example.com:25",
                                   "smtp://0.0.0.0:2525", "smtp://127.0.0.1", "smtps://127.0.0.1:1",
                                   "http://127.0.0.1:25"])
def test_only_loopback_sinks_with_a_port(value: str) -> None:
    with pytest.raises(UsageError, match="--mailbox"):
        ScanConfig("http://127.0.0.1:8000", mailbox=value)


def test_loopback_names_are_accepted() -> None:
    assert parse_smtp_address("smtp://localhost:0") == ("127.0.0.1", 0)
    assert parse_smtp_address("smtp://127.0.0.1:2525/") == ("127.0.0.1", 2525)


async def test_sink_keeps_mail_per_recipient_and_time() -> None:
    """A real SMTP client delivers to the sink; mail is found by recipient and by time."""
    async with smtp_mailbox("127.0.0.1", 0) as sink:
        assert sink.port != 0
        before = time.time()
        for to, token in ((EMAIL, "tok-one"), ("other@example.com", "tok-two")):
            await aiosmtplib.send(build_message("t@example.com", to, "Reset", f"Token: {token}\n"),
                                  hostname="127.0.0.1", port=sink.port, timeout=5)
        text = await sink.wait_for(EMAIL, before, timeout_s=2)
        assert text is not None
        assert extract_token(text)[0] == "tok-one"
        assert await sink.wait_for(EMAIL, time.time() + 1, timeout_s=0.2) is None
        assert await sink.wait_for(EMAIL, before, timeout_s=0.2,
                                   accept=lambda t: "tok-two" in t) is None


def test_cli_starts_the_sink_and_prints_where(settings: Settings) -> None:
    """`--mailbox smtp://127.0.0.1:0` picks a free port and says which; a bad host is a
    usage error (exit 2) that names the rule."""
    runner = CliRunner()
    bad = runner.invoke(app, ["scan", "http://127.0.0.1:1", "--mailbox", "smtp://192.0.2.1:25"])
    assert bad.exit_code == 2
    assert "127.0.0.1 or localhost only" in " ".join(bad.output.split())
    with running_lab(settings, flaws="none") as url:
        result = runner.invoke(app, ["scan", url, "--quiet", "--no-history", "--no-register",
                                     "--check", "recovery.token_in_response",
                                     "--mailbox", "smtp://127.0.0.1:0"])
    assert result.exit_code == 0, result.output
    port = re.search(r"SMTP sink listening on smtp://127\.0\.0\.1:(\d+)", result.output)
    assert port is not None, result.output
    assert int(port.group(1)) > 0
    # Nothing was sent to the sink, and without --register there is no account to ask a
    # reset for: the check says so instead of passing.
    assert "skipped" in result.output


def test_cli_refuses_a_missing_outbox_directory(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["scan", "http://127.0.0.1:1", "--mailbox",
                                  str(tmp_path / "nowhere")])
    assert missing.exit_code == 2
    assert "is not a directory" in " ".join(missing.output.split())


async def test_file_outbox_reads_a_message_again_once_its_writing_ends(tmp_path: Path) -> None:
    """A message caught half-written is parsed again when the file changes: the outbox
    parses each version of a file once, not each file once."""
    path = tmp_path / "0001.eml"
    path.write_bytes(b"To: owner@example.com\n")
    outbox = FileMailbox(tmp_path)
    first = await outbox.wait_for("owner@example.com", 0, timeout_s=0)
    assert first is not None
    assert "Token" not in first
    path.write_bytes(b"To: owner@example.com\nSubject: Reset\n\nToken: abc123\n")
    text = await outbox.wait_for("owner@example.com", 0, timeout_s=1,
                                 accept=lambda t: "Token" in t)
    assert text is not None
    assert extract_token(text)[0] == "abc123"
