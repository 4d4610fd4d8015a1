"""The embedded DynamoDB engine: moto's server on a loopback port, data in memory."""

from __future__ import annotations

import socket
import time

import httpx
from moto.server import ThreadedMotoServer

__all__ = ["LocalEngine", "free_port"]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalEngine:
    """A DynamoDB-API engine in this process, listening on loopback only."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        """Start serving and wait until the engine answers."""
        self._server.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                httpx.get(self.endpoint + "/moto-api/", timeout=1.0)
            except httpx.TransportError:
                time.sleep(0.05)
            else:
                return
        raise RuntimeError(f"local DynamoDB engine did not start on {self.endpoint}")

    def stop(self) -> None:
        self._server.stop()
