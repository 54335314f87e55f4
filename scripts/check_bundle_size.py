"""Fail when the public site's initial JavaScript exceeds its budget (gzipped).

Reads the built frontend/dist/index.html and adds up every script and module preload it loads
before the first render, each gzipped at level 9 as a server would send it.
"""

import gzip
import re
import sys
from pathlib import Path

DIST = Path(__file__).resolve().parent.parent / "frontend" / "dist"
# React 19 and React Router's data router (loaders, error elements) are about 98 KB of it; the
# pages load on first use, so the rest is the layout, the routes and the API client.
BUDGET_KB = 105.0
INITIAL_JS = re.compile(r'<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="/([^"]+\.js)"')


def main() -> int:
    index = DIST / "index.html"
    if not index.is_file():
        print(f"no build at {DIST}: run `npm run build` in frontend/", file=sys.stderr)
        return 2
    scripts = INITIAL_JS.findall(index.read_text(encoding="utf-8"))
    if not scripts:
        print("index.html loads no script: the build looks broken", file=sys.stderr)
        return 2
    total = sum(len(gzip.compress((DIST / name).read_bytes(), compresslevel=9)) for name in scripts) / 1024
    verdict = "PASS" if total <= BUDGET_KB else "FAIL"
    print(f"initial JS: {total:.1f} KB gzipped in {len(scripts)} file(s), budget {BUDGET_KB:.0f} KB: {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
