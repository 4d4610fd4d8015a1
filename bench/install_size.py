"""What each install profile costs: installed size and import time, from the wheel as built,
and the Lambda entry point's cold import against FastAPI alone in the Lambda profile.

Each profile is a fresh venv holding the wheel and its dependencies (an ordinary pip
install, bytecode compiled as pip does by default; no pip or setuptools in the venv).
Sizes are the sum of the files' sizes under site-packages (and the disk it takes, in
4 KiB blocks). Import times are medians over fresh interpreters, the profiles' modules
and the peer (``fastapi``) measured in turn, round after round, so a change of load
hits every figure alike.

    .venv/bin/python -m bench.install_size [--runs 7] [--markdown]
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import statistics
import subprocess
import tempfile
from pathlib import Path

from bench.profiles import PROFILES, Profile, build_dist, install_profiles

__all__ = ["main"]

MIB = 1024 * 1024
TARGETS_MIB = {"core": 120, "scan": 150}
LAMBDA_TARGET = 2.0
# The module each profile is installed for: what its user imports or runs first.
ENTRY = {
    "core": "dynaguard.guard",
    "scan": "dynaguard.scan.engine",
    "embedded": "dynaguard.store.engine",
    "lambda": "dynaguard.deploy.lambda_handler",
    "all": "dynaguard.mcp_server",
}
PROBE = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
LAMBDA_ENV = {
    "DYNAGUARD_DYNAMODB_ENDPOINT": "aws",
    "DYNAGUARD_KEK": base64.b64encode(secrets.token_bytes(32)).decode(),
    "DYNAGUARD_MAIL_URL": "smtps://mail.example.com:465",
}


def sizes(site: Path) -> tuple[float, float]:
    """(sum of file sizes, disk in 4 KiB blocks) under ``site``, in MiB."""
    files = [Path(root) / name for root, _, names in os.walk(site) for name in names]
    stats = [p.lstat() for p in files]
    apparent = sum(s.st_size for s in stats)
    disk = sum(-(-s.st_size // 4096) * 4096 for s in stats)
    return apparent / MIB, disk / MIB


def import_seconds(profile: Profile, module: str, home: str) -> float:
    done = subprocess.run(  # noqa: S603 -- the profile's interpreter, fixed probe
        [str(profile.python), "-c", PROBE.format(module=module)], cwd=home, check=True,
        env=profile.env({"HOME": home, **LAMBDA_ENV}), capture_output=True, text=True,
        timeout=120)
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--markdown", action="store_true", help="Print the docs table too.")
    args = parser.parse_args()
    runs = max(1, min(args.runs, 50))
    with tempfile.TemporaryDirectory() as scratch:
        where = Path(scratch)
        dist = build_dist(where / "dist")
        names = list(PROFILES)
        profiles = install_profiles(dist.wheel, where, names)
        samples: dict[tuple[str, str], list[float]] = {}
        probes = [(n, ENTRY[n]) for n in names] + [("lambda", "fastapi")]
        for _ in range(runs):
            for name, module in probes:
                seconds = import_seconds(profiles[name], module, scratch)
                samples.setdefault((name, module), []).append(seconds)
        with open("/proc/loadavg", encoding="ascii") as load:
            loadavg = " ".join(load.read().split()[:3])
        measured = {name: sizes(profiles[name].site_packages) for name in names}
    rows = []
    for name in names:
        apparent, disk = measured[name]
        median = statistics.median(samples[name, ENTRY[name]]) * 1000
        target = TARGETS_MIB.get(name)
        verdict = "" if target is None else (f"<= {target}: " +
                                             ("met" if apparent <= target else "missed"))
        rows.append((name, PROFILES[name] or "(none)", apparent, disk,
                     ENTRY[name], median, verdict))
    peer = statistics.median(samples["lambda", "fastapi"]) * 1000
    entry = statistics.median(samples["lambda", ENTRY["lambda"]]) * 1000
    ratio = entry / peer
    print(f"{'profile':9} {'extras':11} {'MiB':>6} {'disk':>6}  {'imports':32} {'ms':>7}  target")
    for name, extras, apparent, disk, module, median, verdict in rows:
        print(f"{name:9} {extras:11} {apparent:6.1f} {disk:6.1f}  {module:32} {median:7.1f}  "
              f"{verdict}")
    print(f"Lambda cold import: entry point {entry:.0f} ms, fastapi alone {peer:.0f} ms: "
          f"{ratio:.2f}x (target <= {LAMBDA_TARGET}x: "
          f"{'met' if ratio <= LAMBDA_TARGET else 'missed'}); {runs} runs each; "
          f"load average {loadavg}")
    if args.markdown:
        print("\n| profile | `pip install` | installed (MiB) | on disk (MiB) | imports | "
              "import (ms) | target |\n|---|---|---:|---:|---|---:|---|")
        for name, extras, apparent, disk, module, median, verdict in rows:
            spec = "dynaguard" + ("" if extras == "(none)" else extras)
            print(f"| {name} | `{spec}` | {apparent:.1f} | {disk:.1f} | `{module}` | "
                  f"{median:.0f} | {verdict} |")
        print(f"| Lambda cold import | `dynaguard[lambda]` | | | entry point vs `fastapi` | "
              f"{entry:.0f} vs {peer:.0f} | {ratio:.2f}x (<= {LAMBDA_TARGET}x: "
              f"{'met' if ratio <= LAMBDA_TARGET else 'missed'}) |")


if __name__ == "__main__":
    main()
