"""Django settings, read from the environment (see .env.example).

With no environment at all the product runs embedded: SQLite in var/, Celery
tasks executed in-process, a local-memory cache. DATABASE_URL and
CELERY_BROKER_URL switch to PostgreSQL and Redis with a real worker.
"""

from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=True)
DEVELOPMENT_KEY = "embedded-development-key-not-for-production-use-0123456789abcdef"
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=DEVELOPMENT_KEY)
if not DEBUG and SECRET_KEY == DEVELOPMENT_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("set DJANGO_SECRET_KEY when DJANGO_DEBUG is off")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "surveys",
    "scoring",
]

MIDDLEWARE = [
    "config.proxy.ForwardedForMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.VietnameseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "scoring.auth.StaffSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "scoring.context_processors.staff",
            ],
        },
    },
]

(BASE_DIR / "var").mkdir(exist_ok=True)
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several writers (web, in-process tasks) share one file: wait instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Where collectstatic puts the files WhiteNoise serves (it reads them once, at start-up).
STATIC_ROOT = Path(env.str("STATIC_ROOT", default="") or BASE_DIR / "var" / "static")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "scoring:review"
LOGOUT_REDIRECT_URL = "home"

# Celery: no broker configured means tasks run in-process (the embedded default).
BROKER_CONFIGURED = bool(env.str("CELERY_BROKER_URL", default=""))
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = not BROKER_CONFIGURED
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2.0
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# Fail fast when the broker is down at submit time; the sweep counts what was missed.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 1, "interval_start": 0, "interval_step": 0.2,
    # A task whose worker died unacknowledged is handed out again after this many seconds.
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=600),
    # How often workers look for such tasks: every interval × throttle seconds.
    "unacked_restore_interval": env.int("CELERY_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": env.int("CELERY_RESTORE_THROTTLE", default=6),
}
# Pause between chunks of provinces in a full recompute, to leave CPU to intake (seconds).
RECOMPUTE_THROTTLE_SECONDS = env.float("RECOMPUTE_THROTTLE_SECONDS", default=0.0)
CELERY_BEAT_SCHEDULE = {
    "sweep-uncounted-submissions": {
        "task": "scoring.sweep_uncounted",
        "schedule": env.float("SWEEP_INTERVAL_SECONDS", default=60.0),
    },
    # Django keeps expired sessions until told to delete them (what `clearsessions` does).
    "clear-expired-sessions": {
        "task": "surveys.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=0),
    },
}

# Tests fail, rather than skip, when a configured service cannot be reached.
REQUIRE_SERVICES = env.bool("REQUIRE_SERVICES", default=False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_traceback_for_403": {"()": "config.logging.NoTracebackFor403"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    # A refused page is routine (a bookmark, a wrong role): one line, not a traceback.
    "loggers": {"django.request": {"filters": ["no_traceback_for_403"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

CSRF_FAILURE_VIEW = "config.views.csrf_failure"

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Database sessions written in one statement each (config/sessions.py).
SESSION_ENGINE = "config.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# No inline script anywhere; inline style attributes are allowed (progress bars, charts).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# Staff log-in, on every log-in form (scoring.auth; docs/security.md): after this many
# failures of one account from one client, that client waits LOGIN_LOCKOUT_SECONDS; after
# LOGIN_CLIENT_FAILURE_LIMIT failures from one client on any accounts, so does the client;
# after LOGIN_ACCOUNT_CEILING failures of one account from anywhere, browsers never signed in
# to it may try it once per LOGIN_SLOW_SECONDS between them.
AUTHENTICATION_BACKENDS = ["scoring.auth.ThrottledModelBackend"]
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_LOCKOUT_SECONDS = env.int("LOGIN_LOCKOUT_SECONDS", default=900)
LOGIN_CLIENT_FAILURE_LIMIT = env.int("LOGIN_CLIENT_FAILURE_LIMIT", default=20)
LOGIN_ACCOUNT_CEILING = env.int("LOGIN_ACCOUNT_CEILING", default=20)
LOGIN_SLOW_SECONDS = env.int("LOGIN_SLOW_SECONDS", default=30)
# A signed-in session ends after this long without a request (a working day); sessions of
# people who can enter the admin also end when the browser closes.
STAFF_SESSION_IDLE_SECONDS = env.int("STAFF_SESSION_IDLE_SECONDS", default=8 * 3600)

if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    STORAGES["staticfiles"]["BACKEND"] = "whitenoise.storage.CompressedManifestStaticFilesStorage"

# Reverse proxies in front of gunicorn that append the client's address to X-Forwarded-For
# (1 for the nginx of docs/deployment.md); 0 trusts the header from no one.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Per client per minute: page views of the survey and invitation pages, API requests, and
# wrong one-time codes / unknown invitation tokens (counted together for the web and the API);
# 0 turns a limit off (e.g. for a load test from one address).
RATE_LIMITS = {
    "survey": env.int("RATE_LIMIT_SURVEY", default=120),
    "code": env.int("RATE_LIMIT_CODE", default=10),
    "token": env.int("RATE_LIMIT_TOKEN", default=60),
    "api": env.int("RATE_LIMIT_API", default=600),
}
# Largest JSON body the intake API reads.
# The offline collection app's version (names its caches; a new one installs a new service
# worker); empty: a digest of the app's files (scoring.collect.app_version).
COLLECT_APP_VERSION = env.str("COLLECT_APP_VERSION", default="")
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=256 * 1024)
# The address citizens and officials reach the site at, for links in distributed files.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")
