"""Settings for the Xmas Films back office, read from the environment.

The defaults are safe for production: with ``DEBUG`` unset the project refuses to start
without a real ``SECRET_KEY`` and ``ALLOWED_HOSTS``. ``make run`` and the test suite set
``DEBUG=1`` for local work. See docs/operations.md for every variable.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from whitenoise.compress import Compressor

from backoffice.env import env_bool, env_int, env_list

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / "data"

DEBUG = env_bool("DEBUG", default=False)

_DEV_SECRET_KEY = "django-insecure-local-development-only-never-use-in-production"  # noqa: S105 - DEBUG only
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not DEBUG:
    if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure") or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to a random value of at least 50 characters when DEBUG is off "
            "(python -c 'import secrets; print(secrets.token_urlsafe(64))'). "
            "For local use, run with DEBUG=1 instead: DEBUG=1 python manage.py <command>."
        )
elif not SECRET_KEY:
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS must list the host names this site is served on (comma-separated) when DEBUG is off. "
        "For local use, set DEBUG=1 instead."
    )
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # admin_interface and colorfield theme the admin and must come before django.contrib.admin.
    "admin_interface",
    "colorfield",
    "backoffice.admin_site.CampaignAdminConfig",  # django.contrib.admin with the campaign's site
    "django.contrib.auth",
    "axes",  # login throttling: docs/operations.md, "Staff login"
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",  # intcomma: figures with thousands separators
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "import_export",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "backoffice.campaign",
]

MIDDLEWARE = [
    # /healthz, /readyz and /metrics, answered before the host check and the HTTPS redirect:
    # probes and scrapers call them by address on the private network (docs/operations.md).
    "backoffice.middleware.OperationsEndpointsMiddleware",
    "backoffice.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "backoffice.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Early, so a cached API answer skips everything below (docs/api.md).
    "backoffice.campaign.api.cache.ApiCacheMiddleware",
    # Below the API cache, which then keeps the gzipped answer too and replays it as it is.
    "backoffice.middleware.ApiGZipMiddleware",
    # Keeps threads free for cached answers while the database blocks (docs/operations.md).
    "backoffice.middleware.DatabaseSlotsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Names the staff member on each history row (docs/personal-data.md).
    "simple_history.middleware.HistoryRequestMiddleware",
    # Its process_exception answers a view's database error with 503 (docs/operations.md).
    "backoffice.middleware.DatabaseUnavailableMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

ROOT_URLCONF = "backoffice.urls"
WSGI_APPLICATION = "backoffice.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "backoffice" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite is the zero-setup default; PostgreSQL is the production database.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock when a transaction starts, so concurrent writers queue
    # up instead of failing with "database is locked" half way through a reservation.
    # SQLite connections are cheap and not thread-safe to share, so no persistent ones.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # A server that does not answer, or a network that drops the connection silently, ends in
    # an error within seconds instead of leaving a request or a command waiting for ever.
    DATABASES["default"]["OPTIONS"] = {
        "connect_timeout": env_int("DATABASE_CONNECT_TIMEOUT", 5),
        "keepalives": 1,
        "keepalives_idle": 30,
        "keepalives_interval": 10,
        "keepalives_count": 3,
        # No JIT compilation: the admin's and the API's queries are short, and compiling one costs
        # 20 to 250 ms at ten times the campaign for nothing gained (docs/operations.md).
        # DATABASE_JIT=1 leaves the server's own setting.
        **({} if env_bool("DATABASE_JIT", False) else {"options": "-c jit=off"}),
        **DATABASES["default"].get("OPTIONS", {}),
    }

# generate_access_codes: no statement of a run may take longer (seconds), so a frozen database
# ends the run with an error, the batch marked failed, instead of hanging it.
ACCESS_CODES_STATEMENT_TIMEOUT = env_int("ACCESS_CODES_STATEMENT_TIMEOUT", 60)

# Web requests give up on a statement after this many seconds and answer 503 (0: no limit).
# Set by wsgi.py and asgi.py only (backoffice/db.py): commands and background jobs may need longer.
WEB_STATEMENT_TIMEOUT = env_int("WEB_STATEMENT_TIMEOUT", 5)
# Requests of one web process that may go past the API cache at once; one more answers 503 at
# once (backoffice/middleware.py). deploy/gunicorn.conf.py sets it to its threads less two,
# so a blocked database can never hold the threads that serve cached answers. 0: no limit.
WEB_DATABASE_REQUESTS = env_int("WEB_DATABASE_REQUESTS", 0)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Staff login: ten failures lock that username from that client address for 15 minutes, so an
# attacker cannot lock a named colleague out from elsewhere. The address comes from
# backoffice.login_security, which trusts X-Forwarded-For only behind TRUSTED_PROXY_COUNT proxies.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # a lock ends when it says it does
AXES_RESET_ON_SUCCESS = True
# Each failure is logged (WARNING) with the username and address tried; passwords never are.
AXES_SENSITIVE_PARAMETERS = []
AXES_CLIENT_IP_CALLABLE = "backoffice.login_security.client_ip"
AXES_LOCKOUT_CALLABLE = "backoffice.login_security.login_locked_out"
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# Staff who hold secrets need a TOTP token too (backoffice/second_factor.py). Off only for
# local demo runs (make run), never in production.
OTP_REQUIRED = env_bool("OTP_REQUIRED", default=True)
if not OTP_REQUIRED and not DEBUG:
    raise ImproperlyConfigured("OTP_REQUIRED can be turned off only with DEBUG=1 (local demo runs).")
OTP_TOTP_ISSUER = "Xmas Films back office"

LANGUAGE_CODE = "en-gb"
# English only: with a single language the themed admin's language chooser stays hidden and
# needs no LocaleMiddleware.
LANGUAGES = [("en-gb", "English")]
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where collectstatic gathers the admin's files; nginx serves them from there (deploy/nginx/).
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Files only permission-checked admin views hand out (generated code CSVs, spreadsheet runs):
    # no base URL; files 0600 in 0700 folders whatever the umask (docs/personal-data.md).
    "private": {
        "BACKEND": "backoffice.campaign.private_files.PrivateStorage",
        "OPTIONS": {"location": Path(os.environ.get("PRIVATE_ROOT", DATA_DIR / "private")), "base_url": None},
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# collectstatic compresses what browsers fetch. Source maps are fetched by developer tools only,
# and compressing them (the API docs' several MB) took most of collectstatic's time.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")

# The public site: the production build of frontend/ is served at the site root, with the
# .gz and .br files `make frontend` writes beside each file (whitenoise only serves ready-made ones).
# Vite names its bundles with a content hash, so they may be cached for a year.
FRONTEND_DIST = BASE_DIR / "frontend" / "dist"
WHITENOISE_ROOT = FRONTEND_DIST if FRONTEND_DIST.is_dir() else None
# The admin's own scripts built by frontend/ (the dashboard's charts), collected with the admin's static files.
FRONTEND_ADMIN_DIST = BASE_DIR / "frontend" / "dist-admin"
STATICFILES_DIRS = [FRONTEND_ADMIN_DIST] if FRONTEND_ADMIN_DIST.is_dir() else []
WHITENOISE_IMMUTABLE_FILE_TEST = r"^/?(static/.+\.[0-9a-f]{12}\.|assets/.+-[A-Za-z0-9_-]{8,}\.)"

# Per-process memory: nothing to run beside the site. The public API caches its responses here
# for API_CACHE_SECONDS; see docs/api.md for what that means with several server processes.
# Per-process memory by default. With several gunicorn workers set REDIS_URL: one shared cache
# means a booking invalidates the public API's cached answers in every worker at once.
# A Redis that is down or frozen costs a request at most a quarter of a second per call, never a hang.
REDIS_CACHE_OPTIONS = {"socket_connect_timeout": 0.25, "socket_timeout": 0.25}
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "OPTIONS": REDIS_CACHE_OPTIONS,
        }
        if os.environ.get("REDIS_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "xmas-films"}
    ),
    # The admin theme caches its colours here rather than in Redis, so the admin never needs Redis.
    "admin_interface": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "admin-theme"},
}
# Sessions (admin logins) live in the database, never in the cache: Redis is optional.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
API_CACHE_SECONDS = 60
# The admin dashboard's figures are computed at most this often and shared by all staff (docs/dashboard.md).
DASHBOARD_CACHE_SECONDS = env_int("DASHBOARD_CACHE_SECONDS", 60)

# Bookings close this many minutes before a screening starts: cinemas need the door list.
BOOKING_CUTOFF_MINUTES = env_int("BOOKING_CUTOFF_MINUTES", 60)

# Security headers. HTTPS-only settings apply when DEBUG is off; SECURE_SSL_REDIRECT can be
# turned off where a proxy in front already redirects.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# DENY, so the themed admin opens related objects in popup windows rather than in iframe modals.
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# A staff login, and the second factor verified with it (django-otp keeps that in the session),
# lasts this long; then the password and the code are asked again. It counts from the session's
# last save, and the admin saves a session at the login and not after, however busy it is.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 60 * 60)
# Every response (backoffice/middleware.py). Nothing runs inline scripts; film images may come
# from a media host, hence https: for images only.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' https: data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
CSP_INLINE_STYLE_PATHS = ["/admin/", "/api/docs/"]
# A refused ?next= on the admin login (another site, say) lands on the admin, not /accounts/profile/.
LOGIN_REDIRECT_URL = "admin:index"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Preloading binds every subdomain to HTTPS in browsers for months: a deliberate choice.
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]  # the check that asks for preload
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True


REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "backoffice.campaign.api.pagination.PublicPagination",
    "PAGE_SIZE": 100,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Xmas Films public API",
    "DESCRIPTION": "Read-only listings of live films, cinemas and upcoming screenings.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs page loads Swagger UI from our own static files: it must work without internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Spreadsheet import and export in the admin (docs/spreadsheets.md).
# Importing and exporting need their own permissions (import_<model>, export_<model>),
# separate from add and change: reservation exports carry customers' personal data.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "import"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "export"
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
# A file imports whole or not at all; the preview is a dry run inside a rolled-back transaction.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_IMPORT_IGNORE_BLANK_LINES = True
# Rows read per query when exporting (the library's default of 100 means many round trips).
IMPORT_EXPORT_CHUNK_SIZE = 2000
# An import runs inside the request; bigger files are refused before they are parsed.
IMPORT_MAX_UPLOAD_BYTES = env_int("IMPORT_MAX_UPLOAD_BYTES", 5 * 1024 * 1024)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 50_000)
IMPORT_MAX_XLSX_UNPACKED_BYTES = env_int("IMPORT_MAX_XLSX_UNPACKED_BYTES", 25 * 1024 * 1024)
# Files above IMPORT_MAX_ROWS (inline) are checked and imported by the workers, up to these limits.
IMPORT_JOB_MAX_ROWS = env_int("IMPORT_JOB_MAX_ROWS", 1_000_000)
IMPORT_JOB_MAX_UPLOAD_BYTES = env_int("IMPORT_JOB_MAX_UPLOAD_BYTES", 64 * 1024 * 1024)
# Exports of access codes, reservations and tickets above this many rows are made by the workers.
EXPORT_INLINE_MAX_ROWS = env_int("EXPORT_INLINE_MAX_ROWS", 50_000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"backoffice": {"level": os.environ.get("LOG_LEVEL", "INFO")}},
}

# Background work on Celery with Redis as broker (docs/operations.md). Without a broker
# (``make run``) tasks run in the request's own process once its transaction commits.
_IN_PROCESS = "memory://localhost/"
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL") or _IN_PROCESS
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL == _IN_PROCESS
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged after it ran, and one whose worker died is delivered again: with the
# outbox's claim (services/emails.py) a repeat costs at most one duplicate message per task in flight.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django support closes the database connection around every task unless told to reuse
# it: a new PostgreSQL connection per email cost more than the email. Reused for this many tasks.
CELERY_DB_REUSE_MAX = 1000
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing happens after a booking commits, its outbox row already safe in the database: a
# broker that is down or frozen may cost the request at most a quarter of a second. One try
# (kombu would otherwise sleep 2 s before a second, whatever the timeouts), short socket
# timeouts; beat's sweep publishes later what could not be published. Workers wait longer on
# the broker they consume from (WORKER_BROKER_SOCKET_TIMEOUT, backoffice/celery.py).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 0,
    "socket_connect_timeout": 0.25,
    "socket_timeout": 0.25,
    "visibility_timeout": 3600,
}
WORKER_BROKER_SOCKET_TIMEOUT = 2
CELERY_BEAT_SCHEDULE = {
    "emails-sweep": {"task": "backoffice.campaign.tasks.emails_sweep", "schedule": 30.0},
    "reminders-queue": {"task": "backoffice.campaign.tasks.reminders_queue", "schedule": 300.0},
    "door-lists-queue": {"task": "backoffice.campaign.tasks.door_lists_queue", "schedule": 60.0},
    "reservations-anonymise": {"task": "backoffice.campaign.tasks.reservations_anonymise", "schedule": 86400.0},
    # Often, so that a run whose worker died is resumed within RUN_STALE_SECONDS and this.
    "runs-sweep": {"task": "backoffice.campaign.tasks.runs_sweep", "schedule": 20.0},
    "data-run-files-expire": {"task": "backoffice.campaign.tasks.data_run_files_expire", "schedule": 3600.0},
}
# Beat writes its heartbeat as it ticks (backoffice/celery.py), for /readyz.
CELERY_BEAT_SCHEDULER = "backoffice.celery:BeatScheduler"
# Background runs (code generation, spreadsheets, runs on codes; docs/architecture.md): a running
# one without a heartbeat (a committed batch) for RUN_STALE_SECONDS has lost its worker, and the
# sweeper queues it again for another worker, RUN_MAX_ATTEMPTS tries in all before it ends failed.
# Queued runs no worker took for RUN_REPUBLISH_SECONDS are published again.
RUN_STALE_SECONDS = env_int("RUN_STALE_SECONDS", 60)
RUN_MAX_ATTEMPTS = env_int("RUN_MAX_ATTEMPTS", 3)
RUN_REPUBLISH_SECONDS = env_int("RUN_REPUBLISH_SECONDS", 120)
# Codes a background run commits (and writes, and checks for Cancel) at a time.
CODE_RUN_BATCH_SIZE = env_int("CODE_RUN_BATCH_SIZE", 10_000)
# Spreadsheet runs' files (uploads and exports, which may hold customers' names and emails) are
# deleted this many days after the run ended (docs/spreadsheets.md).
DATA_RUN_FILE_RETENTION_DAYS = env_int("DATA_RUN_FILE_RETENTION_DAYS", 7)
# Rows a spreadsheet run reads between heartbeats (and checks for Cancel).
DATA_RUN_BATCH_SIZE = env_int("DATA_RUN_BATCH_SIZE", 2000)
# Customers' names, emails and IP addresses are anonymised this many days after their screening
# ended (docs/personal-data.md).
PERSONAL_DATA_RETENTION_DAYS = env_int("PERSONAL_DATA_RETENTION_DAYS", 30)

# Email. With EMAIL_HOST set, messages go out over SMTP; otherwise they are written as files
# under data/emails, where the admin can show them.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Xmas Films <tickets@xmasfilms.example>")
EMAIL_FILE_PATH = DATA_DIR / "emails"
# The right-hand side of each Message-ID the outbox writes.
EMAIL_MESSAGE_ID_DOMAIN = DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(" >") or "localhost"
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "backoffice.campaign.private_files.PrivateFileEmailBackend"
)
# The outbox (docs/emails.md): tries before a message is marked failed, the first retry delay
# (doubling each time), how long a claimed send may take before another worker may try it, and
# how long an unclaimed queued message waits before the sweeper publishes it again.
EMAIL_MAX_ATTEMPTS = env_int("EMAIL_MAX_ATTEMPTS", 8)
EMAIL_RETRY_SECONDS = env_int("EMAIL_RETRY_SECONDS", 60)
EMAIL_SEND_LEASE_SECONDS = env_int("EMAIL_SEND_LEASE_SECONDS", 2 * EMAIL_TIMEOUT)
EMAIL_SWEEP_GRACE_SECONDS = env_int("EMAIL_SWEEP_GRACE_SECONDS", 60)
EMAIL_REMINDER_HOURS = env_int("EMAIL_REMINDER_HOURS", 24)

# /readyz (backoffice/health.py): the database's statement timeout for its check (ms), and how
# long since a worker's heartbeat and beat's last tick before the host is not ready (s; 0: not checked).
READY_DATABASE_TIMEOUT_MS = env_int("READY_DATABASE_TIMEOUT_MS", 300)
READY_WORKER_MAX_AGE = env_int("READY_WORKER_MAX_AGE", 60)
READY_BEAT_MAX_AGE = env_int("READY_BEAT_MAX_AGE", 120)
WORKER_HEARTBEAT_SECONDS = env_int("WORKER_HEARTBEAT_SECONDS", 15)

# /metrics answers only a client that sends this bearer token; unset, it does not exist.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
if METRICS_TOKEN and len(METRICS_TOKEN) < 32:
    raise ImproperlyConfigured(
        "METRICS_TOKEN must be at least 32 random characters "
        "(python -c 'import secrets; print(secrets.token_urlsafe(32))'), or unset to turn /metrics off."
    )
# address:port where a Celery worker serves its host's metrics (hosts without gunicorn).
METRICS_WORKER_BIND = os.environ.get("METRICS_WORKER_BIND", "")

# Unhandled errors go to Sentry when SENTRY_DSN is set, with no personal data (backoffice/error_reporting.py).
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    from backoffice.error_reporting import error_reporting_start

    error_reporting_start(dsn=SENTRY_DSN, environment=os.environ.get("SENTRY_ENVIRONMENT", "production"))
