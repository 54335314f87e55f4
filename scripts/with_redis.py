"""Run a command with a Redis server: REDIS_URL when it is set, else a throwaway one.

    python scripts/with_redis.py pytest ...

Without REDIS_URL a private redis-server (from PATH; `make redis-server` installs it) is started on a
free loopback port with no persistence for the length of the command, and REDIS_URL is set for it.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backoffice.campaign.tests.servers import redis_server


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    if os.environ.get("REDIS_URL"):
        print("Redis: using REDIS_URL", flush=True)
        return subprocess.call(argv)
    with redis_server() as server:
        print(f"Redis: started a throwaway server on port {server.port}", flush=True)
        child = subprocess.Popen(argv, env={**os.environ, "REDIS_URL": server.url})
        try:
            return child.wait()
        except KeyboardInterrupt:
            child.send_signal(signal.SIGINT)
            return child.wait()
        finally:
            print("Redis: throwaway server stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
