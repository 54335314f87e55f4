"""Real servers for the tests: a throwaway Redis, an in-process SMTP server, Celery workers, gunicorn.

Also used by scripts/ and the benchmarks, so tests, scripts and benchmarks start them the same way.
"""

import http.client
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A private redis-server on a free loopback port, with no persistence; stop() and start() again
    on the same port to play a broker outage."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError(
                "redis-server is not installed: `make redis-server` (or apt-get install redis-server) installs it."
            )
        self.binary = binary
        self.port = free_port()
        self.folder = tempfile.mkdtemp(prefix="xmas-films-redis-")
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(
            [*args, "--dir", self.folder], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def delete(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer().start()
    try:
        yield server
    finally:
        server.delete()


class Mailbox:
    """What an in-process SMTP server (aiosmtpd) received, in order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[bytes] = []
        self.arrived = threading.Condition(self._lock)

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's handler hook
        with self._lock:
            self._messages.append(envelope.original_content or envelope.content)
            self.arrived.notify_all()
        return "250 Message accepted for delivery"

    def messages(self) -> list[Message]:
        with self._lock:
            raw = list(self._messages)
        return [message_from_bytes(data) for data in raw]

    def count(self) -> int:
        with self._lock:
            return len(self._messages)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()

    def wait_for(self, count: int, timeout: float) -> int:
        """Wait until at least ``count`` messages arrived (or the timeout); return how many did."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self._messages) < count and time.monotonic() < deadline:
                self.arrived.wait(timeout=max(0.0, deadline - time.monotonic()))
            return len(self._messages)


@contextmanager
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


def process_stop(process: subprocess.Popen | None, stop_signal: int, *, timeout: float) -> None:
    """Ask a server to stop with ``stop_signal``; kill it if it is still running after ``timeout`` seconds."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(stop_signal)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for another process to reach the database these settings name."""
    user = quote(settings_dict.get("USER") or "postgres", safe="")
    password = settings_dict.get("PASSWORD")
    credentials = f"{user}:{quote(password, safe='')}" if password else user
    host = quote(settings_dict.get("HOST") or "localhost", safe="")
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{credentials}@{host}{port}/{quote(settings_dict['NAME'], safe='')}"


# Workers here need no cluster chatter: no gossip, start-up sync or heartbeats between workers.
QUIET = ["--without-gossip", "--without-mingle", "--without-heartbeat"]


class Worker:
    """``celery -A backoffice worker`` in a subprocess: one process (the solo pool), as in production
    with ``--concurrency 1``. ``kill()`` sends SIGKILL, as an out-of-memory killer or a power cut would."""

    def __init__(self, *, broker_url: str, database_url: str, smtp_port: int, **env: str) -> None:
        self.env = {
            **os.environ,
            "DEBUG": "1",
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url,
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "LOG_LEVEL": "WARNING",
            **env,
        }
        self.process: subprocess.Popen | None = None
        self.log = tempfile.NamedTemporaryFile(prefix="celery-worker-", suffix=".log", delete=False)  # noqa: SIM115

    def start(self, timeout: float = 60) -> "Worker":
        celery = Path(sys.executable).with_name("celery")
        self.process = subprocess.Popen(
            [str(celery), "-A", "backoffice", "worker", "--pool", "solo", "--loglevel", "INFO", *QUIET],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the worker exited with {self.process.returncode}:\n{self.output()}")
            if " ready." in self.output():
                return self
            time.sleep(0.1)
        raise RuntimeError(f"the worker did not start in {timeout} s:\n{self.output()}")

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def stop(self) -> None:
        # TERM is a warm shutdown: the task in hand finishes, the rest stay in the broker.
        process_stop(self.process, signal.SIGTERM, timeout=30)
        self.process = None

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.process = None

    def close(self) -> None:
        self.stop()
        self.log.close()
        os.unlink(self.log.name)


GUNICORN_CONFIG = ROOT / "deploy" / "gunicorn.conf.py"


def wait_for_http(host: str, port: int, *, timeout: float, process: subprocess.Popen, log: Path) -> None:
    """Wait until ``host:port`` answers an HTTP request (any status), failing early if ``process`` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        connection = http.client.HTTPConnection(host, port, timeout=2)
        try:
            connection.request("GET", "/api/")
            connection.getresponse().read()
            return
        except (OSError, http.client.HTTPException):
            time.sleep(0.1)
        finally:
            connection.close()
    raise RuntimeError(f"nothing answered on {host}:{port} within {timeout} s:\n{log.read_text(errors='replace')}")


class Gunicorn:
    """The documented server (``gunicorn -c deploy/gunicorn.conf.py``) with production settings
    (DEBUG off) on a free loopback port; its output, the access log included, goes to ``log``."""

    def __init__(self, *, database_url: str, quiet: bool = False, **env: str) -> None:
        self.port = free_port()
        self.env = {
            **os.environ,
            "DEBUG": "0",
            "OTP_REQUIRED": "1",  # production settings: a test's or a bench's demo switch does not carry over
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback; a proxy does TLS in production
            "DATABASE_URL": database_url,
            "PYTHONWARNINGS": "ignore:No directory at:UserWarning",  # no collectstatic: the API needs no files
            **env,
        }
        self.quiet = quiet
        self.process: subprocess.Popen | None = None
        self.log = tempfile.NamedTemporaryFile(prefix="gunicorn-", suffix=".log", delete=False)  # noqa: SIM115

    def start(self, timeout: float = 60) -> "Gunicorn":
        """Start it and wait for an answer: the port accepts connections before the workers have
        loaded Django, and a request sent then waits for them, seconds on a busy machine."""
        command = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONFIG), f"--bind=127.0.0.1:{self.port}"]
        if self.quiet:  # a benchmark: no line per request
            command += ["--access-logfile=/dev/null", "--log-level=warning"]
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        try:
            wait_for_http("127.0.0.1", self.port, timeout=timeout, process=self.process, log=Path(self.log.name))
        except RuntimeError:
            self.close()
            raise
        return self

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def close(self) -> None:
        process_stop(self.process, signal.SIGTERM, timeout=30)  # gunicorn finishes the requests in hand first
        self.process = None
        self.log.close()
        os.unlink(self.log.name)


@contextmanager
def gunicorn_server(*, database_url: str, quiet: bool = False, **env: str) -> Iterator[Gunicorn]:
    server = Gunicorn(database_url=database_url, quiet=quiet, **env)
    try:
        yield server.start()
    finally:
        server.close()


@contextmanager
def production_server(database_url: str, *, workers: int = 2) -> Iterator[str]:
    """The documented server with ``workers`` processes, as ``gunicorn_server``; yields its base URL.

    Serves what a deploy serves: the built site from frontend/dist as it is on disk (no
    collectstatic: the admin's collected files are not needed here).
    """
    with gunicorn_server(database_url=database_url, quiet=True, WEB_CONCURRENCY=str(workers)) as server:
        yield f"http://127.0.0.1:{server.port}"
