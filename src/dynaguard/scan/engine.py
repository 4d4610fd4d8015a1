"""The scan engine: discovery, then each selected check in order, as a stream of events."""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx

from dynaguard.scan import checks as _checks
from dynaguard.scan.accounts import AccountPool
from dynaguard.scan.checks.registry import CheckSpec
from dynaguard.scan.config import ScanConfig
from dynaguard.scan.context import CheckContext
from dynaguard.scan.discovery import discover
from dynaguard.scan.errors import ScanError, Skip, TargetUnreachable, UsageError
from dynaguard.scan.events import (
    CheckFinished,
    CheckStarted,
    Event,
    MailSinkStarted,
    ScanFinished,
    ScanStarted,
    SurfaceDiscovered,
)
from dynaguard.scan.findings import CheckResult, CheckStatus, ScanResult
from dynaguard.scan.http import ScanHTTP
from dynaguard.scan.mailbox import FileMailbox, Mailbox
from dynaguard.scan.scoring import score
from dynaguard.scan.smtp_sink import parse_smtp_address, smtp_mailbox

__all__ = ["run_scan", "scan_events"]


async def _run_check(ctx: CheckContext) -> CheckResult:
    spec = ctx.spec
    spent = ctx.http.requests
    start = time.perf_counter()
    try:
        outcome = await spec.run(ctx)
        status, detail, findings = outcome.status, outcome.detail, outcome.findings
    except Skip as skip:
        status, detail, findings = CheckStatus.SKIPPED, skip.reason, ()
    except ScanError as error:
        status, detail, findings = CheckStatus.ERROR, str(error), ()
    except httpx.HTTPError as error:
        status, detail, findings = CheckStatus.ERROR, f"{type(error).__name__}: {error}", ()
    return CheckResult(spec.id, spec.title, status, detail, tuple(findings),
                       ctx.http.requests - spent, round(time.perf_counter() - start, 3))


async def _reach(http: ScanHTTP) -> None:
    try:
        await http.request("GET", "/")
    except httpx.TransportError as error:
        raise TargetUnreachable(f"{http.target} did not answer ({type(error).__name__})") from None


async def scan_events(config: ScanConfig) -> AsyncIterator[Event]:
    """Scan ``config.target``, yielding events; the last is :class:`ScanFinished`."""
    selected: list[CheckSpec] = _checks.registry.select(config.checks)
    if not selected:
        raise UsageError(f"no check id starts with {', '.join(config.checks)}")
    started_at = datetime.now(UTC)
    clock = time.perf_counter()
    yield ScanStarted(config.target, tuple(s.id for s in selected))
    http = ScanHTTP(config.target, budget=config.budget, concurrency=config.concurrency,
                    timeout=config.timeout_s)
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(http.aclose)
        mailbox: Mailbox | None = None
        if isinstance(config.mailbox, str) and "://" in config.mailbox:
            sink = await stack.enter_async_context(
                smtp_mailbox(*parse_smtp_address(config.mailbox)))
            mailbox = sink
            yield MailSinkStarted(f"smtp://{sink.host}:{sink.port}")
        elif config.mailbox is not None:
            mailbox = FileMailbox(Path(config.mailbox))
        await _reach(http)
        surface = await discover(http, config.profile)
        profile = surface.profile
        yield SurfaceDiscovered(surface.spec_url, len(surface.operations), {
            role: endpoint.label for role, endpoint in profile.endpoints.items()})
        pool = AccountPool(http, profile, list(config.accounts), register=config.may_register,
                           mailbox=mailbox)
        rng = random.Random(config.seed)  # noqa: S311 -- sampling order, not secrecy
        results = []
        for index, spec in enumerate(selected):
            yield CheckStarted(spec.id, spec.title, index, len(selected))
            ctx = CheckContext(spec, http, surface, pool, rng, config.timing_max_pairs)
            result = await _run_check(ctx)
            results.append(result)
            yield CheckFinished(result, index, len(selected), http.requests)
    value, grade = score(results)
    yield ScanFinished(ScanResult(
        target=config.target, started_at=started_at,
        duration_s=round(time.perf_counter() - clock, 2), requests=http.requests,
        score=value, grade=grade, checks=tuple(results)))


async def run_scan(config: ScanConfig,
                   on_event: Callable[[Event], None] | None = None) -> ScanResult:
    """Run a whole scan, passing each event to ``on_event``; returns the result."""
    result = None
    async for event in scan_events(config):
        if on_event is not None:
            on_event(event)
        if isinstance(event, ScanFinished):
            result = event.result
    assert result is not None  # noqa: S101 -- scan_events always ends with ScanFinished
    return result
