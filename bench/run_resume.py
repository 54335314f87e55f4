"""A million-code run from the admin whose worker is killed with SIGKILL part-way, at default settings.

A real Celery worker (a subprocess, the solo pool as in production) on a scratch database and the
Redis of REDIS_URL generates 1,000,000 codes with the default batch size; at 300,000 codes it is
killed, a second worker is started, and the sweeper (beat's ``runs_sweep``, played here at beat's
interval) hands the run over once its heartbeat is older than ``RUN_STALE_SECONDS``.

Target (docs/access-codes.md): the run completes within 3 minutes of the kill, with all 1,000,000
codes and a CSV equal to the database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/films REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/run_resume.py
"""

import os
import sys
import tempfile
import time

from common import scratch_database, setup_django, verdict

COUNT, KILL_AT, LIMIT_SECONDS = 1_000_000, 300_000, 180


def main() -> int:
    broker = os.environ.get("REDIS_URL")
    if not broker:
        sys.exit("Set REDIS_URL (make bench starts a throwaway Redis when it is unset).")
    private = tempfile.mkdtemp(prefix="bench-resume-")
    with scratch_database("bench_resume") as database_url:
        setup_django(database_url, PRIVATE_ROOT=private, CELERY_BROKER_URL=broker)
        from django.conf import settings
        from django.db import transaction

        from backoffice.campaign.models import AccessCode, private_storage
        from backoffice.campaign.services.access_codes import access_code_batch_csv
        from backoffice.campaign.services.code_runs import code_run_request
        from backoffice.campaign.tasks import runs_sweep
        from backoffice.campaign.tests.servers import Worker

        worker = Worker(broker_url=broker, database_url=database_url, smtp_port=1, PRIVATE_ROOT=private).start()
        try:
            with transaction.atomic():
                batch = code_run_request(count=COUNT, film=None, max_usages=1, created_by=None)
            while batch.created_count < KILL_AT:
                time.sleep(0.2)
                batch.refresh_from_db()
            worker.kill()
            killed = time.monotonic()
            at_kill = AccessCode.objects.filter(batch=batch).count()
            worker.start()
            sweep_every = settings.CELERY_BEAT_SCHEDULE["runs-sweep"]["schedule"]
            while batch.status != "completed" and time.monotonic() - killed < LIMIT_SECONDS + 60:
                runs_sweep()
                deadline = time.monotonic() + sweep_every
                while batch.status != "completed" and time.monotonic() < deadline:
                    time.sleep(0.5)
                    batch.refresh_from_db()
            took = time.monotonic() - killed
        finally:
            worker.close()
        codes = AccessCode.objects.filter(batch=batch).count()
        with private_storage().open(batch.result_file.name, "rb") as file:
            csv_equal = file.read().decode() == "".join(access_code_batch_csv(batch=batch))
    ok = batch.status == "completed" and took <= LIMIT_SECONDS and codes == COUNT and csv_equal
    print(
        f"killed at {at_kill:,} codes; {batch.status} {took:.1f} s after the kill, try {batch.attempts}; "
        f"{codes:,} codes, CSV {'==' if csv_equal else '!='} database   "
        f"[{verdict(ok)} done within {LIMIT_SECONDS} s, all {COUNT:,}, CSV == DB]"
    )
    print(f"run_resume: {verdict(ok)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
