"""Render the figures of a bench run as docs/benchmarks.md (and the same text on stdout).

The scanner's section lies between markers and is kept as found: it is filled by the
scanner's own benchmark, not by this run.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.run import Figures

__all__ = ["write_report"]

SCAN_BEGIN = "<!-- scan:begin -->"
SCAN_END = "<!-- scan:end -->"
SCAN_PLACEHOLDER = f"""{SCAN_BEGIN}
## Scanner: wall time, requests, timing detector

**Not measured yet.** The scanner is built on its own branch and is not on main at the
time of this run. After it merges, this section gets, from the scanner's own benchmark:

- scan wall time and request count of `dynaguard scan` against `dynaguard serve`, and
  against `dynaguard lab --flaws all`;
- the timing detector's power and false-positive rate, from `bench/timing_detector.py`.

This run does not produce those figures and does not overwrite this section.
{SCAN_END}"""


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "n/a"


def _mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


def _ops(counter: dict[str, int]) -> str:
    return ", ".join(f"{op} {n}" for op, n in sorted(counter.items())) or "none"


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
        "pwdlib `Argon2Hasher` is configured with those parameters.",
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
        "request (one `BatchGetItem` for session and user), and a login reads and resets "
        "the throttling counters, writes the session with its first refresh token in one "
        "transaction, and writes an audit record.",
        "",
        "Reading the latency figures: the peer verifies passwords on the event loop, so "
        "while one login hashes, every other request of that process waits; dynaguard "
        "hashes in a bounded worker pool off the loop.",
        "",
        "## Machine",
        "",
        f"- CPU: {machine['cpu']}; `nproc`: {machine['nproc']} (shared with other work "
        "while this ran: treat small differences as noise)",
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
        "./dev bench            # full run, ~3 minutes; writes this file",
        "./dev bench --quick    # shorter loops",
        "```",
        "",
    ]
    return "\n".join(lines)


def write_report(fig: Figures, machine: dict[str, str], out: Path, elapsed_s: float) -> str:
    """Write ``out``, keeping an existing scanner section; returns the text written."""
    scan = SCAN_PLACEHOLDER
    if out.exists():
        found = re.search(re.escape(SCAN_BEGIN) + ".*?" + re.escape(SCAN_END),
                          out.read_text(), flags=re.S)
        if found:
            scan = found.group(0)
    text = render(fig, machine, elapsed_s) + "\n" + scan + "\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    return text
