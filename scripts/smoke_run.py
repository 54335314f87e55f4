"""Check `make run` end to end: it migrates, seeds, serves, and the demo login opens the admin.

Runs `make run` on a free port with a scratch SQLite file, waits for the server, then checks the
admin login page (themed), the public site, the API, that the demo superuser's dashboard shows
bookings over many days, and that they can open every changelist. The server is stopped
afterwards whatever happens.
"""

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHANGELISTS = ["cinema", "film", "screening", "accesscode", "accesscodebatch", "reservation", "ticket", "datarun"]
LOGIN = ("demo", "xmas-films-demo")
DAYS_BOOKED = 12  # the demo's bookings are spread over the weeks before (demo/seed.py, booked_at)
STARTUP_SECONDS = 240


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> int:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="xmas-films-run-") as scratch:
        env = {**os.environ, "RUN_DATABASE_URL": f"sqlite:///{scratch}/db.sqlite3"}
        log = open(Path(scratch) / "make-run.log", "w+")  # noqa: SIM115 - read back on failure
        server = subprocess.Popen(
            ["make", "--no-print-directory", "run", f"PORT={port}"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            failures = check(base, server)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        log.seek(0)
        output = log.read()
    if "Demo login: demo / xmas-films-demo" not in output:
        failures.append("make run did not print the demo login")
    for failure in failures:
        print(f"FAIL {failure}")
    if failures:
        print(output[-4000:])
        return 1
    print(f"make run: admin, site, API and {len(CHANGELISTS)} changelists answered; 0 failed")
    return 0


def check(base: str, server: subprocess.Popen) -> list[str]:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        if server.poll() is not None:
            return [f"make run exited with {server.returncode} before serving"]
        try:
            login = opener.open(f"{base}/admin/login/", timeout=5).read().decode()
            break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                return [f"nothing served on {base} after {STARTUP_SECONDS} s"]
            time.sleep(1)

    failures = []
    if "admin-interface" not in login:
        failures.append("the admin login page is not themed")
    site = opener.open(f"{base}/films/elf", timeout=10).read().decode()
    if 'id="root"' not in site:
        failures.append("the public site's page is not served at a client route")
    if "<title>Elf · Xmas Films</title>" not in site:
        failures.append("the film page's head does not name the film")
    films = json.load(opener.open(f"{base}/api/films/", timeout=10))
    if films.get("count") != 6:
        failures.append(f"the API lists {films.get('count')} live films, expected the 6 demo films")

    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login).group(1)
    form = urllib.parse.urlencode(
        {"username": LOGIN[0], "password": LOGIN[1], "csrfmiddlewaretoken": token, "next": "/admin/"}
    ).encode()
    request = urllib.request.Request(f"{base}/admin/login/", data=form, headers={"Referer": f"{base}/admin/login/"})
    dashboard = opener.open(request, timeout=10).read().decode()
    if "Log out" not in dashboard:
        failures.append("the demo login was refused")
        return failures
    days = days_booked(dashboard)
    if days < DAYS_BOOKED:
        failures.append(f"the demo's dashboard shows bookings on {days} days, expected {DAYS_BOOKED} or more")
    for model in CHANGELISTS:
        try:
            opener.open(f"{base}/admin/campaign/{model}/", timeout=30).read()
        except urllib.error.HTTPError as error:
            failures.append(f"/admin/campaign/{model}/ answered {error.code}")
    return failures


def days_booked(dashboard: str) -> int:
    """Days with bookings in the dashboard's "Bookings per day" chart, read from the table the
    chart is drawn from (Chart.js drawing it is checked by tests/browser/test_admin_dashboard.py)."""
    table = re.search(r"<caption>Bookings per day</caption>(.*?)</table>", dashboard, re.DOTALL)
    counts = re.findall(r"<td>([\d,]+)</td>", table.group(1)) if table else []
    return sum(1 for count in counts if int(count.replace(",", "")))


if __name__ == "__main__":
    sys.exit(main())
