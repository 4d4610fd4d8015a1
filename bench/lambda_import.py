"""Cold-start import time of the Lambda entry point, against FastAPI alone as the peer.

Each figure is the median of several fresh interpreters importing one module (what a
Lambda container pays at init before its first request). The entry point's import also
reads and checks the settings and builds the app, but opens no connection.

    .venv/bin/python bench/lambda_import.py [--runs 7]
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import statistics
import subprocess
import sys
import tempfile

PROBE = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def import_seconds(module: str, env: dict[str, str], cwd: str) -> float:
    done = subprocess.run(  # noqa: S603 -- our own interpreter, fixed probe
        [sys.executable, "-c", PROBE.format(module=module)], env=env, cwd=cwd,
        capture_output=True, text=True, timeout=60, check=True,
    )
    return float(done.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = max(1, min(parser.parse_args().runs, 50))
    with tempfile.TemporaryDirectory() as home:
        env = {
            "PATH": os.environ.get("PATH", ""), "HOME": home,
            "DYNAGUARD_DYNAMODB_ENDPOINT": "aws",
            "DYNAGUARD_KEK": base64.b64encode(secrets.token_bytes(32)).decode(),
            "DYNAGUARD_MAIL_URL": "smtps://mail.example.com:465",
        }
        results = {}
        for module in ("fastapi", "dynaguard.deploy.lambda_handler"):
            samples = [import_seconds(module, env, home) for _ in range(runs)]
            results[module] = statistics.median(samples)
            print(f"{module:34} median {results[module] * 1000:7.1f} ms "
                  f"(min {min(samples) * 1000:.1f}, max {max(samples) * 1000:.1f}, {runs} runs)")
    ratio = results["dynaguard.deploy.lambda_handler"] / results["fastapi"]
    print(f"entry point / fastapi alone: {ratio:.2f}x")


if __name__ == "__main__":
    main()
