"""Run a command against PostgreSQL: DATABASE_URL when it is set, else a throwaway server.

    python scripts/with_postgres.py pytest ...

Without DATABASE_URL a private PostgreSQL from the ``pgserver`` package is started in a
temporary folder for the length of the command, then stopped and deleted, whatever the
command's outcome (also on Ctrl-C).
"""

import os
import signal
import subprocess
import sys
import tempfile
import warnings
from urllib.parse import quote


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        print(f"PostgreSQL: using DATABASE_URL ({_redact(os.environ['DATABASE_URL'])})", flush=True)
        return subprocess.call(argv)

    # pgserver keeps its lock file in the runtime folder; without XDG_RUNTIME_DIR it uses /tmp,
    # which is fine for a throwaway server.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    import pgserver

    with tempfile.TemporaryDirectory(prefix="xmas-films-pg-", ignore_cleanup_errors=True) as pgdata:
        server = pgserver.get_server(pgdata, cleanup_mode="delete")
        socket_dir = server.get_postmaster_info().socket_dir
        url = f"postgres://postgres@{quote(str(socket_dir), safe='')}/postgres"
        print(f"PostgreSQL: started a throwaway server in {pgdata}", flush=True)
        child = subprocess.Popen(argv, env={**os.environ, "DATABASE_URL": url})
        try:
            return child.wait()
        except KeyboardInterrupt:
            child.send_signal(signal.SIGINT)
            return child.wait()
        finally:
            server.cleanup()
            print("PostgreSQL: throwaway server stopped", flush=True)


def _redact(url: str) -> str:
    scheme, _, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at:
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else url


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
