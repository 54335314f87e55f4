"""Fail when the public site's API types no longer match the API's OpenAPI schema.

Generates the schema (drf-spectacular, what /api/schema/ serves) and its TypeScript types
(openapi-typescript), and compares them with the committed frontend/src/api/schema.d.ts, which
the site's fixtures and loaders are typed by (`npm run lint` checks them with tsc). So a change
to the API fails lint instead of the site. `--write` updates the committed file.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FRONTEND = ROOT / "frontend"
TYPES = FRONTEND / "src" / "api" / "schema.d.ts"
# The schema describes code, not data: any settings that start Django will do.
SCHEMA_ENV = {"DEBUG": "1", "DATABASE_URL": "sqlite://:memory:"}


def generated_types(workdir: Path) -> str:
    schema, types = workdir / "schema.yml", workdir / "schema.d.ts"
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "spectacular", "--validate", "--fail-on-warn", "--file", str(schema)],
        check=True,
        cwd=ROOT,
        env={**os.environ, **SCHEMA_ENV},
    )
    subprocess.run(
        ["npx", "--no-install", "openapi-typescript", str(schema), "--output", str(types)],
        check=True,
        cwd=FRONTEND,
        stdout=subprocess.DEVNULL,
    )
    return types.read_text(encoding="utf-8")


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory() as workdir:
        try:
            current = generated_types(Path(workdir))
        except subprocess.CalledProcessError as error:
            print(f"could not generate the API types: {error}", file=sys.stderr)
            return 2
    relative = TYPES.relative_to(ROOT)
    if "--write" in argv:
        TYPES.write_text(current, encoding="utf-8")
        print(f"{relative}: written from the API's schema")
        return 0
    if TYPES.is_file() and TYPES.read_text(encoding="utf-8") == current:
        print(f"{relative}: matches the API's schema")
        return 0
    print(
        f"{relative} no longer matches the API's schema: run `python scripts/check_api_types.py --write`, "
        "then fix what `npm run lint` reports in the site and its fixtures",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
