"""Fail when the public site's first download is sent uncompressed or exceeds its budget.

Starts gunicorn with production settings on the built site, reads the entry page it serves, and
fetches every script and module preload it loads before the first render, and its stylesheets,
with ``Accept-Encoding: br, gzip`` as browsers send it. Each must come back compressed (whitenoise
serves only the .br/.gz files `make frontend` writes); the budget is on the bytes sent.
"""

import os
import re
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backoffice.campaign.tests.servers import production_server  # noqa: E402

DIST = ROOT / "frontend" / "dist"
# React 19 and React Router's data router (loaders, error elements) are about 98 KB of it gzipped;
# the rest is the layout, the pages and the API client (all in the entry script: no route waits
# for a chunk of its own).
BUDGET_KB = 105.0
INITIAL_JS = re.compile(r'<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="/([^"]+\.js)"')
STYLESHEETS = re.compile(r'<link[^>]*rel="stylesheet"[^>]*\shref="/([^"]+\.css)"')
ACCEPT_ENCODING = "br, gzip"


def fetch(url: str) -> tuple[bytes, dict[str, str]]:
    """The body as sent (still compressed) and the headers, lower-cased."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": ACCEPT_ENCODING})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read(), {name.lower(): value for name, value in response.headers.items()}


def check(base: str) -> list[str]:
    """Print what each first-render file costs on the wire; return the failures."""
    index, _ = fetch(f"{base}/")
    html = index.decode()
    scripts, styles = INITIAL_JS.findall(html), STYLESHEETS.findall(html)
    if not scripts:
        return ["the entry page loads no script: the build looks broken"]
    failures, js_bytes = [], 0
    for name in scripts + styles:
        body, headers = fetch(f"{base}/{name}")
        encoding = headers.get("content-encoding", "none")
        built = (DIST / name).stat().st_size
        print(f"  /{name}: {len(body) / 1024:.1f} KB sent ({encoding}), {built / 1024:.1f} KB built")
        if encoding not in {"br", "gzip"}:
            failures.append(f"/{name} was sent uncompressed: run `make frontend` (it compresses the build)")
        elif "accept-encoding" not in headers.get("vary", "").lower():
            failures.append(
                f"/{name} does not say Vary: Accept-Encoding, so a proxy could serve it compressed to anyone"
            )
        if name in scripts:
            js_bytes += len(body)
    total = js_bytes / 1024
    verdict = "PASS" if total <= BUDGET_KB else "FAIL"
    print(f"initial JS: {total:.1f} KB sent in {len(scripts)} file(s), budget {BUDGET_KB:.0f} KB: {verdict}")
    if verdict == "FAIL":
        failures.append(f"initial JS is {total:.1f} KB on the wire, over its {BUDGET_KB:.0f} KB budget")
    return failures


def main() -> int:
    if not (DIST / "index.html").is_file():
        print(f"no build at {DIST}: run `make frontend`", file=sys.stderr)
        return 2
    # The entry page and the files need no database; production settings need a URL all the same.
    with production_server(os.environ.get("DATABASE_URL", "sqlite://:memory:"), workers=1) as base:
        failures = check(base)
    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
