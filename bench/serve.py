"""Serve dynaguard for the benchmarks, under the uvicorn settings the peer also gets.

    python -m bench.serve --port P --endpoint URL --table NAME --profile NAME
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from bench.uvicorn_options import UVICORN
from dynaguard.guard.app import create_app
from dynaguard.logs import configure_logging
from dynaguard.settings import Settings


def build(endpoint: str, table: str, profile: str) -> FastAPI:
    data = Path(tempfile.mkdtemp(prefix="dynaguard-bench-"))
    settings = Settings(dynamodb_endpoint=endpoint, table=table, argon2_profile=profile,
                        data_dir=data, mail_url=f"file://{data / 'outbox'}",
                        _env_file=None)  # type: ignore[call-arg]
    return create_app(settings, demo=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--table", required=True)
    parser.add_argument("--profile", default="rfc9106-low-memory")
    args = parser.parse_args()
    configure_logging()  # as `dynaguard serve` does: one JSON line per request, on stderr
    uvicorn.run(build(args.endpoint, args.table, args.profile), port=args.port,
                **UVICORN)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
