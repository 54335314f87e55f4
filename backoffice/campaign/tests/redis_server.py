"""A throwaway redis-server for fault tests: started on a free loopback port, stopped or frozen at will."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis
from django.conf import settings
from django.test import override_settings


class RedisServer:
    def __init__(self, process: subprocess.Popen, port: int) -> None:
        self.process = process
        self.port = port
        self.frozen = False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self, *args: str):
        """One command sent straight to the server, around Django's cache (counting keys, TTLs)."""
        return redis.Redis(port=self.port, socket_timeout=2).execute_command(*args)

    def freeze(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)
        self.frozen = True

    def thaw(self) -> None:
        if self.frozen:
            os.kill(self.process.pid, signal.SIGCONT)
            self.frozen = False

    def stop(self) -> None:
        self.thaw()
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def as_cache(self):
        """override_settings that make this server the default cache, as REDIS_URL does in production."""
        default = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": self.url,
            "OPTIONS": settings.REDIS_CACHE_OPTIONS,
        }
        return override_settings(CACHES={**settings.CACHES, "default": default})


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    """Run redis-server in a scratch directory with nothing persisted. `make test` installs it."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not os.path.exists(binary):
        raise RuntimeError("redis-server is not installed: run `make redis-server` (make test does).")
    with tempfile.TemporaryDirectory(prefix="redis-") as scratch:
        port = _free_port()
        process = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", scratch],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        server = RedisServer(process, port)
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    if server.command("PING"):
                        break
                except Exception:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"redis-server did not start on port {port}") from None
                    time.sleep(0.05)
            yield server
        finally:
            server.stop()
