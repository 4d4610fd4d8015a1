"""The scan engine: discovery, then the selected checks, as a stream of events.

Checks run in their registry order, several side by side (at most ``MAX_CHECKS_AT_ONCE``,
never more than the scan's request concurrency): against a target with a costly password
hash most of a check's time is spent waiting for the target, and waiting overlaps well.
A check registered ``alone`` waits for every check before it and runs by itself. With
accounts lent by the user (``--user``), checks run one at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import random
import time
from collections.abc import AsyncGenerator, Callable, Sequence
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
from dynaguard.scan.form_login import complete_with_session
from dynaguard.scan.http import ScanHTTP
from dynaguard.scan.mailbox import FileMailbox, Mailbox
from dynaguard.scan.scoring import score
from dynaguard.scan.smtp_sink import parse_smtp_address, smtp_mailbox

__all__ = ["MAX_CHECKS_AT_ONCE", "run_scan", "run_wave", "scan_events", "waves"]

MAX_CHECKS_AT_ONCE = 4

Numbered = tuple[int, CheckSpec]


async def _run_check(ctx: CheckContext) -> CheckResult:
    spec = ctx.spec
    start = time.perf_counter()
    needs = None
    with ctx.http.tally() as tally:
        try:
            outcome = await spec.run(ctx)
            status, detail, findings = outcome.status, outcome.detail, outcome.findings
        except Skip as skip:
            status, detail, findings, needs = CheckStatus.SKIPPED, skip.reason, (), skip.needs
        except ScanError as error:
            status, detail, findings = CheckStatus.ERROR, str(error), ()
        except httpx.HTTPError as error:
            status, detail, findings = CheckStatus.ERROR, f"{type(error).__name__}: {error}", ()
    return CheckResult(spec.id, spec.title, status, detail, tuple(findings),
                       tally.requests, round(time.perf_counter() - start, 3), needs)


def waves(selected: Sequence[CheckSpec]) -> list[list[Numbered]]:
    """The checks cut into runs that may share the target, in order: an ``alone`` check
    is a run of its own."""
    runs: list[list[Numbered]] = []
    for index, spec in enumerate(selected):
        if spec.alone or not runs or runs[-1][0][1].alone:
            runs.append([(index, spec)])
        else:
            runs[-1].append((index, spec))
    return runs


async def run_wave(wave: list[Numbered], *, context: Callable[[CheckSpec], CheckContext],
                    at_once: int, results: dict[int, CheckResult], total: int,
                    http: ScanHTTP) -> AsyncGenerator[Event, None]:
    """Run ``wave``'s checks, ``at_once`` at a time, starting them in order; yield their
    start and end as they happen and put each result in ``results``."""
    marks: asyncio.Queue[tuple[int, bool]] = asyncio.Queue()
    gate = asyncio.Semaphore(at_once)

    async def run(index: int, spec: CheckSpec) -> CheckResult:
        async with gate:
            marks.put_nowait((index, False))
            try:
                return await _run_check(context(spec))
            finally:
                marks.put_nowait((index, True))

    specs = dict(wave)
    tasks = {index: asyncio.create_task(run(index, spec)) for index, spec in wave}
    try:
        for _ in range(2 * len(tasks)):
            index, finished = await marks.get()
            if not finished:
                yield CheckStarted(specs[index].id, specs[index].title, index, total)
                continue
            # Raises what the check raised beyond its own errors: a defect, not an outcome.
            results[index] = await tasks[index]
            yield CheckFinished(results[index], index, total, http.requests, len(results))
    finally:
        for task in tasks.values():
            task.cancel()
        await asyncio.gather(*tasks.values(), return_exceptions=True)


async def _reach(http: ScanHTTP) -> None:
    try:
        await http.request("GET", "/")
    except httpx.TransportError as error:
        raise TargetUnreachable(f"{http.target} did not answer ({type(error).__name__})") from None


async def scan_events(config: ScanConfig) -> AsyncGenerator[Event, None]:
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
        pool = AccountPool(http, surface.profile, list(config.accounts),
                           register=config.may_register, mailbox=mailbox,
                           operations=surface.operations)
        # A sign-in page hides its sign-out until signed in: one look with a session.
        pool.profile = await complete_with_session(http, surface.profile, pool)
        surface = dataclasses.replace(surface, profile=pool.profile)
        yield SurfaceDiscovered(surface.spec_url, len(surface.operations), {
            role: endpoint.label for role, endpoint in surface.profile.endpoints.items()})
        rng = random.Random(config.seed)  # noqa: S311 -- sampling order, not secrecy
        results: dict[int, CheckResult] = {}

        def context(spec: CheckSpec) -> CheckContext:
            return CheckContext(spec, http, surface, pool, rng, config.timing_max_pairs)

        # Accounts lent by the user see the requests of one check at a time, as in the
        # order the checks are written for (no streak of failed logins on a real account).
        at_once = 1 if config.accounts else min(MAX_CHECKS_AT_ONCE, config.concurrency)
        for wave in waves(selected):
            async with contextlib.aclosing(run_wave(
                    wave, context=context, at_once=at_once, results=results,
                    total=len(selected), http=http)) as events:
                async for event in events:
                    yield event
    ordered = [results[index] for index in sorted(results)]
    value, grade = score(ordered)
    yield ScanFinished(ScanResult(
        target=config.target, started_at=started_at,
        duration_s=round(time.perf_counter() - clock, 2), requests=http.requests,
        score=value, grade=grade, checks=tuple(ordered)))


async def run_scan(config: ScanConfig,
                   on_event: Callable[[Event], None] | None = None) -> ScanResult:
    """Run a whole scan, passing each event to ``on_event``; returns the result."""
    result = None
    # Closed at once if ``on_event`` raises: no check goes on sending requests.
    async with contextlib.aclosing(scan_events(config)) as events:
        async for event in events:
            if on_event is not None:
                on_event(event)
            if isinstance(event, ScanFinished):
                result = event.result
    assert result is not None  # noqa: S101 -- scan_events always ends with ScanFinished
    return result
