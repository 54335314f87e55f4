"""gunicorn's settings for this project, the one place they are written.

    gunicorn -c deploy/gunicorn.conf.py --bind 0.0.0.0:8000

docs/operations.md starts the server this way, and so do ``make bench`` (bench/api.py) and the
test that holds a table lock (backoffice/campaign/tests/test_gunicorn.py), so what is measured
is what runs. ``WEB_CONCURRENCY`` (processes) and ``WEB_THREADS`` (threads in each) size it.
"""

import os

wsgi_app = "backoffice.wsgi"

# Threads, not one request per process: a request waiting on a locked table then holds one thread,
# and the others go on answering from the API cache, which needs no database. Each thread holds
# a PostgreSQL connection of its own (docs/operations.md).
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
threads = int(os.environ.get("WEB_THREADS", "8"))
# Threads of each process no request that goes past the cache may take (backoffice/middleware.py,
# DatabaseSlotsMiddleware): however many requests wait on the database, these serve cached answers.
os.environ.setdefault("WEB_DATABASE_REQUESTS", str(max(1, threads - 2)))

# A process whose main loop stops answering for this long is restarted. A request thread waiting
# on the database is bounded by WEB_STATEMENT_TIMEOUT (5 s) instead; this is the backstop.
timeout = 30
graceful_timeout = 30
keepalive = 5

# The path without its query string, and no Referer: admin searches put customers' names and
# email addresses in query strings (?q=mary@example.com), and personal data must not be kept in
# access logs. %(M)s is the time taken, in milliseconds.
accesslog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'

# With PROMETHEUS_MULTIPROC_DIR set, a worker that exits takes its gauges out of the host's sums
# (docs/operations.md, "Metrics"); importing it reads no Django settings.
from backoffice.metrics import worker_exited as child_exit  # noqa: E402, F401
