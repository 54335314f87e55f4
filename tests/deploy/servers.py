"""The production stack as real processes: gunicorn as deploy/ runs it, and nginx on deploy/'s site file.

Used by the deploy tests and by the API benchmark's round through nginx, so both run the servers
the way docs/operations.md tells a host to.
"""

import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from backoffice.campaign.tests.servers import GUNICORN_CONFIG, ROOT, process_stop, wait_for_http

SITE_TEMPLATE = ROOT / "deploy" / "nginx" / "xmas-films.conf"
# The lines of the site file a test swaps for loopback ports (production listens on 80 and 443).
LISTEN_HTTP, LISTEN_HTTPS = "listen 80;", "listen 443 ssl http2;"


def gunicorn_command(*, bind: str) -> list[str]:
    """gunicorn as deploy/systemd/xmas-films-web.service starts it, on ``bind``: the server settings
    of deploy/gunicorn.conf.py, sized by ``WEB_CONCURRENCY`` and ``WEB_THREADS`` in its environment."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    return [str(gunicorn), "-c", str(GUNICORN_CONFIG), f"--bind={bind}", "backoffice.wsgi"]


def production_env(**env: str) -> dict[str, str]:
    """This process's environment with production settings (DEBUG off) and ``env`` on top."""
    return {
        **os.environ,
        "DEBUG": "0",
        "OTP_REQUIRED": "1",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "LOG_LEVEL": "WARNING",
        "WEB_CONCURRENCY": "2",  # the conf's threads in each; two processes are enough on loopback
        **env,
    }


class Gunicorn:
    """One web host: ``gunicorn_command`` in a subprocess on ``host:port`` with ``env``."""

    def __init__(self, *, host: str, port: int, env: dict[str, str]) -> None:
        self.host, self.port, self.env = host, port, env
        handle, name = tempfile.mkstemp(prefix="gunicorn-", suffix=".log")
        os.close(handle)
        self.log = Path(name)
        self.process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self, timeout: float = 60) -> "Gunicorn":
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                gunicorn_command(bind=self.address), cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        wait_for_http(self.host, self.port, timeout=timeout, process=self.process, log=self.log)
        return self

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def close(self) -> None:
        process_stop(self.process, signal.SIGTERM, timeout=30)  # TERM: requests in hand finish
        self.process = None
        self.log.unlink(missing_ok=True)


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A throwaway certificate and key for 127.0.0.1 (openssl), for nginx's TLS placeholders."""
    certificate, key = folder / "site.crt", folder / "site.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(certificate),
        ],
        check=True,
        capture_output=True,
    )
    return certificate, key


def site_config(
    *,
    server_name: str,
    certificate: Path,
    key: Path,
    upstreams: list[str],
    static_root: Path,
    media_root: Path,
    http_port: int,
    https_port: int,
) -> str:
    """deploy/'s site file with its placeholders filled in, listening on loopback ports instead of 80 and 443."""
    text = SITE_TEMPLATE.read_text()
    values = {
        "__SERVER_NAME__": server_name,
        "__TLS_CERTIFICATE__": str(certificate),
        "__TLS_CERTIFICATE_KEY__": str(key),
        "__UPSTREAM_SERVERS__": " ".join(f"server {address};" for address in upstreams),
        "__STATIC_ROOT__": str(static_root),
        "__MEDIA_ROOT__": str(media_root),
        LISTEN_HTTP: f"listen 127.0.0.1:{http_port};",
        LISTEN_HTTPS: f"listen 127.0.0.1:{https_port} ssl http2;",
    }
    for placeholder, value in values.items():
        assert placeholder in text, f"{SITE_TEMPLATE.name} no longer has {placeholder!r}"
        text = text.replace(placeholder, value)
    # This machine may have no IPv6 loopback; the test listens on 127.0.0.1 only.
    return "\n".join(line for line in text.splitlines() if "listen [::]:" not in line)


class Nginx:
    """Debian's nginx as a child process on a rendered site file, with its own pid, logs and temp
    folders: the system's service is never touched."""

    def __init__(self, site: str) -> None:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(binary).exists():
            raise RuntimeError("nginx is not installed: `make nginx` (or apt-get install nginx) installs it.")
        self.binary = binary
        self.folder = Path(tempfile.mkdtemp(prefix="xmas-films-nginx-"))
        (self.folder / "site.conf").write_text(site)
        temp = "\n".join(
            f"    {kind}_temp_path {self.folder / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        # Started as root, nginx's workers would drop to nobody, who cannot read the test's own
        # folders: they stay the user the test runs as (a host gives www-data its folders instead).
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
        (self.folder / "nginx.conf").write_text(
            f"""daemon off;
{user}
worker_processes 2;
pid {self.folder / "nginx.pid"};
error_log {self.folder / "error.log"} warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    access_log {self.folder / "access.log"};
{temp}
    include {self.folder / "site.conf"};
}}
"""
        )
        self.process: subprocess.Popen | None = None

    def command(self, *extra: str) -> list[str]:
        conf = str(self.folder / "nginx.conf")
        return [self.binary, "-p", str(self.folder), "-e", str(self.folder / "error.log"), "-c", conf, *extra]

    def check(self) -> subprocess.CompletedProcess:
        """``nginx -t`` on the configuration: its exit status and what it said."""
        return subprocess.run(self.command("-t"), capture_output=True, text=True, check=False)

    def start(self, *ports: int, timeout: float = 15) -> "Nginx":
        """Start nginx and wait until it accepts connections on each of ``ports`` (its listen ports)."""
        self.process = subprocess.Popen(self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        # Not its pid file: ``nginx -t`` leaves one behind before the server listens.
        deadline = time.monotonic() + timeout
        for port in ports:
            while True:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"nginx did not start listening on {port}:\n{self.error_log()}")
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.05)
        return self

    def error_log(self) -> str:
        log = self.folder / "error.log"
        return log.read_text(errors="replace") if log.exists() else ""

    def close(self) -> None:
        process_stop(self.process, signal.SIGQUIT, timeout=15)  # QUIT: requests in hand finish
        self.process = None
        shutil.rmtree(self.folder, ignore_errors=True)


class Beat:
    """``celery beat`` in a subprocess with its own schedule file, on ``tests.deploy.beat_app``."""

    def __init__(self, *, env: dict[str, str]) -> None:
        self.env = env
        self.folder = Path(tempfile.mkdtemp(prefix="xmas-films-beat-"))
        self.log = self.folder / "beat.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> "Beat":
        celery = Path(sys.executable).with_name("celery")
        schedule = str(self.folder / "celerybeat-schedule")
        command = [str(celery), "-A", "tests.deploy.beat_app", "beat", "--loglevel", "INFO", "--schedule", schedule]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while "beat: Starting..." not in self.output():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"beat did not start:\n{self.output()}")
            time.sleep(0.1)
        return self

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def sent(self, task: str) -> int:
        """How many times this beat has published ``task`` (a schedule entry's name)."""
        return self.output().count(f"Sending due task {task} ")

    def close(self) -> None:
        process_stop(self.process, signal.SIGTERM, timeout=15)
        self.process = None
        shutil.rmtree(self.folder, ignore_errors=True)
