"""Render the figures of a bench run as docs/benchmarks.md (and the same text on stdout).

Everything above the marked blocks comes from this run. The marked blocks at the end are
kept as found: the corpus section, which ``bench/corpus.py --write`` replaces on its own
(``write_section``), and the figures of scripts run separately (e.g.
``bench/lambda_import.py``).
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.run import Figures
    from bench.scanner import ScanFigures

__all__ = ["CORPUS_BEGIN", "CORPUS_END", "write_report", "write_section"]

CORPUS_BEGIN = "<!-- corpus:begin -->"
CORPUS_END = "<!-- corpus:end -->"
SEPARATE_BEGIN = "<!-- separate:begin -->"
SEPARATE_END = "<!-- separate:end -->"
# Earlier reports kept a hand-filled scanner block; its separately measured part survives.
_OLD_BEGIN, _OLD_END = "<!-- scan:begin -->", "<!-- scan:end -->"
_SEPARATE_HEADING = "## Measured by separate scripts"


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "n/a"


def _cpu_rows(fig: Figures) -> list[str]:
    """CPU time per authenticated request, read from /proc over the same loops."""
    d, p = fig.cpu_ms.get("dynaguard"), fig.cpu_ms.get("peer")
    if not d or not p:
        return []
    return [f"| CPU per authenticated request, {part} (from /proc, same loops) "
            f"| {d[part]:.2f} ms | {p[part]:.2f} ms | {_ratio(d[part], p[part])} |"
            for part in ("service", "engine")]


def _mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


def _ops(counter: dict[str, int]) -> str:
    return ", ".join(f"{op} {n}" for op, n in sorted(counter.items())) or "none"


def _load(values: tuple[float, float, float]) -> str:
    return " / ".join(f"{v:.1f}" for v in values)


def _units(figures: dict[str, float]) -> str:
    return f"{figures.get('rules', 0):.2f} ({figures.get('engine', 0):.2f})"


def render_remote(fig: Figures) -> list[str]:
    """Latency behind a proxy that holds every engine call, and the read units."""
    dg, peer = "dynaguard", "peer"
    a, p = fig.remote_auth[dg], fig.remote_auth[peer]
    ld, lp = fig.remote_login[dg], fig.remote_login[peer]
    ud, up = fig.read_units[dg], fig.read_units[peer]
    delay = f"{fig.remote_delay_ms:g} ms"
    return [
        f"## Behind a remote engine ({delay} per call)",
        "",
        "DynamoDB is a network hop away and its CPU is not ours. The same two processes as "
        f"in the round-trip count, behind the same loopback proxy, which now holds every "
        f"engine call {delay} before forwarding it (its own forwarding adds a little more, "
        "alike for both); 16 concurrent clients for authenticated requests, logins one at a "
        "time:",
        "",
        "| measure | dynaguard | fastapi-users | dynaguard / peer |",
        "|---|---|---|---|",
        f"| authenticated request latency p50 | {a.p50:.1f} ms | {p.p50:.1f} ms "
        f"| {_ratio(a.p50, p.p50)} |",
        f"| authenticated request latency p99 | {a.p99:.1f} ms | {p.p99:.1f} ms "
        f"| {_ratio(a.p99, p.p99)} |",
        f"| authenticated request throughput | {a.rps:.0f} req/s | {p.rps:.0f} req/s "
        f"| {_ratio(a.rps, p.rps)} |",
        f"| login latency p50 (one at a time) | {ld.p50:.0f} ms | {lp.p50:.0f} ms "
        f"| {_ratio(ld.p50, lp.p50)} |",
        f"| login latency p99 (one at a time) | {ld.p99:.0f} ms | {lp.p99:.0f} ms "
        f"| {_ratio(ld.p99, lp.p99)} |",
        "",
        f"Errors: authenticated {a.errors} / {p.errors}, logins {ld.errors} / {lp.errors}. "
        f"Requests measured: authenticated {a.requests} / {p.requests}, logins {ld.requests} "
        f"/ {lp.requests}.",
        "",
        "## Read capacity units",
        "",
        "Read units per request, counted at the proxy over the same 20 authenticated "
        "requests and 5 logins as the round trips: by DynamoDB's sizing rules "
        "(`bench/read_units.py`: 4 KB per unit, half for an eventually consistent read, the "
        "whole item's size even when a projection trims the answer), and in brackets as "
        "the engine reports them in `ConsumedCapacity` (moto's figures are fixed per "
        "operation and ignore size and consistency):",
        "",
        "| service | per authenticated request | per login |",
        "|---|---|---|",
        f"| dynaguard | {_units(ud['authenticated request'])} | {_units(ud['login'])} |",
        f"| fastapi-users | {_units(up['authenticated request'])} | {_units(up['login'])} |",
        "",
        "dynaguard reads strongly consistently wherever it decides on a session or an "
        "account (a revocation acknowledged anywhere holds on the next request), which "
        "DynamoDB bills at twice an eventually consistent read; the peer reads its user "
        "eventually consistently.",
        "",
    ]


def render_scanner(scan: ScanFigures | None) -> list[str]:
    """The scanner's section: two scans and the timing detector, as measured by this run."""
    lines = ["## Scanner: wall time, requests, timing detector", ""]
    if scan is None:
        return [*lines, "Not measured in this run (`--no-scanner`).", ""]
    lines += [
        "Each target is a process of its own on a loopback port, scanned once by the "
        "scanner's command line run as a process (`bench/scanner.py`). Wall time is measured "
        "around the command (it includes starting the interpreter); the scanner's own "
        "duration and request count are read from its JSON report. `dynaguard serve` runs "
        "with its defaults: the `rfc9106-low-memory` Argon2 profile and the embedded engine; "
        "the scanner reads its file outbox to verify the accounts it registers.",
        "",
        "| target | command | wall time | scan duration | requests | score, grade "
        "| checks failed |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in scan.rows:
        lines.append(f"| {row.target} | `{row.command}` | {row.wall_s:.1f} s "
                     f"| {row.duration_s:.1f} s | {row.requests} | {row.score}, {row.grade} "
                     f"| {row.failed_checks} of {row.checks} |")
    d = scan.detector
    power = 100 * d.leaks_found / d.leak_runs if d.leak_runs else float("nan")
    fpr = 100 * d.false_positives / d.constant_runs if d.constant_runs else float("nan")
    lines += [
        "",
        "Timing detector (`bench/timing_detector.py`, the detector the login-timing check "
        "uses, against two loopback servers of its own: one spends 1 ms more on a known "
        "account, one spends the same time on every request; at most 300 pairs per run): "
        f"**power {d.leaks_found} of {d.leak_runs} runs ({power:.0f}%)**, median "
        f"{d.leak_pairs_median:.0f} pairs per leak run (at most {d.leak_pairs_max}); "
        f"**false positives {d.false_positives} of {d.constant_runs} runs ({fpr:.0f}%)**; "
        f"{d.wall_s:.0f} s. A 1 ms difference drowns in scheduling noise when the machine "
        "is loaded (see the load averages): the power figure is this run's, on this "
        "machine, not a property of the detector alone.",
        "",
    ]
    return lines


def render(fig: Figures, machine: dict[str, str], elapsed_s: float) -> str:
    dg, peer = "dynaguard", "peer"
    a, p = fig.auth[dg], fig.auth[peer]
    ls, lp = fig.login_seq[dg], fig.login_seq[peer]
    td, tp = fig.login_tput[dg], fig.login_tput[peer]
    md, mp = fig.memory[dg], fig.memory[peer]
    rd, rp = fig.per_request[dg], fig.per_request[peer]
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmarks: dynaguard vs fastapi-users",
        "",
        f"Produced by `./dev bench` on {when} in {elapsed_s:.0f} s"
        f"{' (quick run: shorter loops)' if fig.quick else ''}. Peer: fastapi-users with "
        "fastapi-users-db-dynamodb and its JWT strategy (`bench/peer_app.py`), in a virtual "
        "environment of its own made by the bench script: fastapi-users-db-dynamodb 1.0.5 "
        "(through as-aiopynamodb 1.0.4) needs aiobotocore 3.7, older than ours, while FastAPI, "
        "Pydantic, uvicorn and argon2-cffi are pinned to the versions dynaguard runs with.",
        "",
        "Both services run as one uvicorn process each (same settings: one worker, asyncio "
        "loop, h11, access log off) on the same DynamoDB engine (`python -m "
        "dynaguard.store.engine`, moto with serialized request handling), on 127.0.0.1, with "
        "the load generator in a third process on the same machine. Passwords: Argon2id "
        "t=3, m=64 MiB, p=4 (dynaguard's `rfc9106-low-memory` default) on both sides; the peer's "
        "pwdlib `Argon2Hasher` is configured with those parameters. dynaguard's DynamoDB "
        "client waits for this engine as the peer's does (four attempts of 5 s instead of "
        "its fail-fast defaults, see `PATIENT_CLIENT` in `bench/run.py`): moto serves one "
        "request at a time, and a burst queues calls behind it as DynamoDB would not.",
        "",
        "## Figures",
        "",
        "| measure | dynaguard | fastapi-users | dynaguard / peer |",
        "|---|---|---|---|",
        f"| authenticated request throughput (16 concurrent, `GET /auth/me` vs `GET /users/me`) "
        f"| {a.rps:.0f} req/s | {p.rps:.0f} req/s | {_ratio(a.rps, p.rps)} |",
        f"| authenticated request latency p50 | {a.p50:.1f} ms | {p.p50:.1f} ms "
        f"| {_ratio(a.p50, p.p50)} |",
        f"| authenticated request latency p99 | {a.p99:.1f} ms | {p.p99:.1f} ms "
        f"| {_ratio(a.p99, p.p99)} |",
        *_cpu_rows(fig),
        f"| login latency p50 (one at a time) | {ls.p50:.0f} ms | {lp.p50:.0f} ms "
        f"| {_ratio(ls.p50, lp.p50)} |",
        f"| login latency p99 (one at a time) | {ls.p99:.0f} ms | {lp.p99:.0f} ms "
        f"| {_ratio(ls.p99, lp.p99)} |",
        f"| login throughput (8 concurrent clients) | {td.rps:.1f} /s | {tp.rps:.1f} /s "
        f"| {_ratio(td.rps, tp.rps)} |",
        f"| login p99 under 8 concurrent | {td.p99:.0f} ms | {tp.p99:.0f} ms "
        f"| {_ratio(td.p99, tp.p99)} |",
        f"| server RSS before 50 concurrent logins | {_mib(md['before'])} | {_mib(mp['before'])} "
        "| |",
        f"| peak server RSS during 50 concurrent logins (sampled every 10 ms) "
        f"| {_mib(md['peak_sampled'])} | {_mib(mp['peak_sampled'])} | |",
        f"| peak RSS of the process (VmHWM) | {_mib(md['hwm'])} | {_mib(mp['hwm'])} | |",
        f"| DynamoDB round trips per authenticated request | {rd['authenticated request']:.1f} "
        f"| {rp['authenticated request']:.1f} | |",
        f"| DynamoDB round trips per login | {rd['login']:.1f} | {rp['login']:.1f} | |",
        "",
        f"Errors (answers other than 200): authenticated {a.errors} / {p.errors}, logins "
        f"{ls.errors + td.errors} / {lp.errors + tp.errors}, 50-login burst {md['errors']} / "
        f"{mp['errors']} (burst took {md['burst_s']} s / {mp['burst_s']} s). Requests measured: "
        f"authenticated {a.requests} / {p.requests}, logins one at a time {ls.requests} / "
        f"{lp.requests}, concurrent logins {td.requests} / {tp.requests}.",
        "",
        "## Login against the Argon2 ceiling",
        "",
        f"Raw Argon2id verification on this machine with the same parameters, "
        f"{fig.hash_workers} threads (the guard's default `hash_concurrency`) busy at once, "
        "best of the rounds run alternately with the login rounds: "
        f"**{fig.ceiling_per_s:.2f} verifications/s**; one verification alone takes "
        f"{fig.verify_ms:.0f} ms. dynaguard's login throughput is {td.rps:.1f}/s, "
        f"**{_ratio(td.rps, fig.ceiling_per_s)} of the ceiling** (the rest is DynamoDB round "
        "trips, throttling counters, session writes and the audit record).",
        "",
        "## DynamoDB round trips, counted",
        "",
        "Counted at a loopback proxy in front of the engine (`bench/dynamo_proxy.py`), per "
        "operation, over 20 authenticated requests and 5 logins of each service:",
        "",
        "| service | per authenticated request | per login |",
        "|---|---|---|",
    ]
    for name, label in ((dg, "dynaguard"), (peer, "fastapi-users")):
        counts = fig.round_trips[name]
        auth = {k: v / 20 for k, v in counts["authenticated request"].items()}
        login = {k: v / 5 for k, v in counts["login"].items()}
        lines.append(f"| {label} | {_ops({k: round(v, 2) for k, v in auth.items()})} "  # type: ignore[dict-item]
                     f"| {_ops({k: round(v, 2) for k, v in login.items()})} |")  # type: ignore[dict-item]
    lines += [
        "",
        "What the extra round trips buy: the peer's JWT is trusted alone apart from one user "
        "read (logout does nothing, a stolen token lives until it expires), and its login "
        "neither throttles nor records anything. dynaguard checks the session on every "
        "request: one consistent `GetItem` of the session item, projected to its gate (one "
        "string attribute: the session's state and a copy of its account's state, which "
        "every change of the account revokes or corrects before it is answered, "
        "`src/dynaguard/store/account_sync.py`), sent directly rather than through "
        "botocore (`src/dynaguard/store/gate_reader.py`). A login reads the throttling "
        "counters (`BatchGetItem`) while it reads the email claim and then the account "
        "(`GetItem` twice), verifies the password, and writes the session, its first refresh "
        "token and the audit record in one `TransactWriteItems` (with a `ConditionCheck` "
        "that the account is still as read); the counters are cleared "
        "(`DeleteItem`) only when earlier failures were counted. Three round trips are on "
        "the login's path one after the other (counters and claim at once, the account, "
        "the transaction), beside one Argon2 verification. A `Query` in the login column "
        "is the key ring's periodic reload (every `key_refresh_interval`) falling inside the "
        "counting window, not part of a login.",
        "",
        "Reading the latency figures: the peer verifies passwords on the event loop, so "
        "while one login hashes, every other request of that process waits; dynaguard "
        "hashes in a bounded worker pool off the loop.",
        "",
        *render_remote(fig),
        *render_scanner(fig.scanner),
        "## Machine",
        "",
        f"- CPU: {machine['cpu']}; `nproc`: {machine['nproc']} (shared with other work "
        "while this ran: treat small differences as noise)",
        "- load average (1 / 5 / 15 min): "
        + "; ".join(f"{when} {_load(v)}" for when, v in fig.load.items()),
        f"- Python {machine['python']}, Linux {machine['kernel']}",
        f"- dynaguard's environment: {machine['packages']}",
        f"- the peer's environment (`.venv-peer`, see `bench/peer_env.py`): "
        f"{machine['peer_packages']}",
        "",
        "```",
        "$ free -m",
        machine["free"],
        "```",
        "",
        "## How to reproduce",
        "",
        "```",
        "./dev bench               # full run, ~10 minutes; writes this file",
        "./dev bench --quick       # shorter loops",
        "./dev bench --no-scanner  # the comparison with the peer only, ~3 minutes",
        ".venv/bin/python -m bench.corpus --write  # the corpus section, ~2 minutes",
        "```",
        "",
    ]
    return "\n".join(lines)


def _separate_block(old: str) -> str:
    found = re.search(re.escape(SEPARATE_BEGIN) + ".*?" + re.escape(SEPARATE_END), old, re.S)
    if found:
        return found.group(0)
    legacy = re.search(re.escape(_OLD_BEGIN) + ".*?" + re.escape(_OLD_END), old, re.S)
    if legacy and _SEPARATE_HEADING in legacy.group(0):
        kept = legacy.group(0)[legacy.group(0).index(_SEPARATE_HEADING):-len(_OLD_END)]
        return f"{SEPARATE_BEGIN}\n{kept.rstrip()}\n{SEPARATE_END}"
    return ""


def _block(old: str, begin: str, end: str) -> str:
    found = re.search(re.escape(begin) + ".*?" + re.escape(end), old, re.S)
    return found.group(0) if found else ""


def write_section(out: Path, begin: str, end: str, body: str) -> str:
    """Replace the block between ``begin`` and ``end`` in ``out`` with ``body`` (or add it
    before the separately measured block); everything else is kept. Returns the text."""
    old = out.read_text() if out.exists() else ""
    block = f"{begin}\n{body.rstrip()}\n{end}"
    if _block(old, begin, end):
        text = old.replace(_block(old, begin, end), block)
    elif SEPARATE_BEGIN in old:
        text = old.replace(SEPARATE_BEGIN, block + "\n\n" + SEPARATE_BEGIN, 1)
    else:
        text = old.rstrip() + "\n\n" + block + "\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    return text


def write_report(fig: Figures, machine: dict[str, str], out: Path, elapsed_s: float) -> str:
    """Write ``out``, keeping its corpus section and its block of separately measured
    figures; returns the text."""
    old = out.read_text() if out.exists() else ""
    separate = _separate_block(old)
    corpus = _block(old, CORPUS_BEGIN, CORPUS_END)
    text = render(fig, machine, elapsed_s) + "".join(
        "\n" + block + "\n" for block in (corpus, separate) if block)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    return text
