"""Settings: embedded defaults that need nothing installed; the environment scales them up.

Default: SQLite in WAL mode, a local media folder, the in-memory channel layer and the database task queue
with one worker. At a studio: DATABASE_URL (PostgreSQL), REDIS_URL (channel layer), MEDIA_ROOT, SECRET_KEY,
DEBUG, ALLOWED_HOSTS. Everything local (database, media, the generated secret) lives under FACEREPLACE_HOME,
by default ./var.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
FACEREPLACE_HOME = Path(os.environ.get("FACEREPLACE_HOME", BASE_DIR / "var")).resolve()


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def _private_file(path: Path) -> None:
    """Create `path` readable by its owner only (0600), or make it so: it holds the production's secrets."""
    os.close(os.open(path, os.O_RDONLY | os.O_CREAT, 0o600))
    os.chmod(path, 0o600)


def _local_secret_key() -> str:
    """A secret generated on first run and kept (mode 0600) under FACEREPLACE_HOME: nothing secret is committed."""
    path = FACEREPLACE_HOME / "secret_key"
    if not path.exists():
        FACEREPLACE_HOME.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".secret_key.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(50))
        os.replace(tmp, path)
    return path.read_text().strip()


SECRET_KEY = os.environ.get("SECRET_KEY") or _local_secret_key()
DEBUG = _env_bool("DEBUG", False)
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks_db",
    "review",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "review.middleware.Unavailable",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "facereplace_site.urls"
ASGI_APPLICATION = "facereplace_site.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

# SQLite by default, in WAL mode so the web process and the worker read while the other writes;
# IMMEDIATE transactions so concurrent writers queue on the lock instead of failing mid-transaction.
_SQLITE_PATH = FACEREPLACE_HOME / "db.sqlite3"
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60, conn_health_checks=True)}
else:
    FACEREPLACE_HOME.mkdir(parents=True, exist_ok=True)
    _private_file(_SQLITE_PATH)  # SQLite gives its -wal and -shm files the same mode
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": _SQLITE_PATH,
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                # how long a write waits for another's lock before the request answers 503 (a job: is retried)
                "timeout": float(os.environ.get("FACEREPLACE_SQLITE_TIMEOUT", 20)),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if os.environ.get("REDIS_URL"):
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [os.environ["REDIS_URL"]]}}
    }
    # shared by every ASGI process: the sign-in throttle counts failures across them
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": os.environ["REDIS_URL"]}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Set by `manage.py serve` for its task workers when the channel layer is in-memory (see review/live_relay.py).
FACEREPLACE_EVENT_RELAY_URL = os.environ.get("FACEREPLACE_EVENT_RELAY_URL", "")

# Heavy work never runs in a request: tasks go to the database queue, split by the hardware they need.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "gpu", "cpu"],
    }
}

# Jobs: a running job beats its heartbeat every few seconds; one silent for FACEREPLACE_JOB_STALE_SECONDS is
# re-queued by the reaper in every worker (at most FACEREPLACE_JOB_MAX_ATTEMPTS attempts, then failed).
# Renders run in chunks of FACEREPLACE_RENDER_CHUNK_FRAMES frames; WORK_ROOT must be shared by all workers.
FACEREPLACE_JOB_HEARTBEAT_SECONDS = float(os.environ.get("FACEREPLACE_JOB_HEARTBEAT_SECONDS", 5))
FACEREPLACE_JOB_STALE_SECONDS = float(os.environ.get("FACEREPLACE_JOB_STALE_SECONDS", 60))
FACEREPLACE_JOB_MAX_ATTEMPTS = int(os.environ.get("FACEREPLACE_JOB_MAX_ATTEMPTS", 3))
FACEREPLACE_RENDER_CHUNK_FRAMES = int(os.environ.get("FACEREPLACE_RENDER_CHUNK_FRAMES", 48))
# A conversion job (one variant over the engine shot) runs in chunks of FACEREPLACE_CONVERT_CHUNK_FRAMES frames.
FACEREPLACE_CONVERT_CHUNK_FRAMES = int(os.environ.get("FACEREPLACE_CONVERT_CHUNK_FRAMES", 48))
FACEREPLACE_WORK_ROOT = Path(os.environ.get("FACEREPLACE_WORK_ROOT", FACEREPLACE_HOME / "work")).resolve()
FACEREPLACE_ENGINE_ROOT = Path(os.environ.get("FACEREPLACE_ENGINE_ROOT", FACEREPLACE_HOME / "engine")).resolve()

AUTH_PASSWORD_VALIDATORS = [  # every password set (sign-up forms, admin, `review_user --password`) passes these
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sign-in throttling (review/login_throttle.py): after this many failed sign-ins for one user name from one address
# (four times as many from one address), that sign-in is refused for the lockout period.
FACEREPLACE_LOGIN_FAILURES = int(os.environ.get("FACEREPLACE_LOGIN_FAILURES", 5))
FACEREPLACE_LOGIN_LOCKOUT_SECONDS = int(os.environ.get("FACEREPLACE_LOGIN_LOCKOUT_SECONDS", 15 * 60))
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = FACEREPLACE_HOME / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise scans it at start-up; collectstatic fills it at scale
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", FACEREPLACE_HOME / "media")).resolve()
STORAGES = {
    "default": {"BACKEND": "review.storage.MediaStorage"},  # a read-only or full MEDIA_ROOT answers with its reason
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Whitenoise serves app static files straight from the apps in the embedded default (no collectstatic needed).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Uploads: streamed to disk above 2.5 MB; the clip size limit for publishing.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FACEREPLACE_MAX_UPLOAD_BYTES = int(os.environ.get("FACEREPLACE_MAX_UPLOAD_BYTES", 2 * 1024**3))
# Images (frame fixes, thumbnails, attachments) declaring more pixels than this are refused before decoding.
FACEREPLACE_MAX_IMAGE_PIXELS = int(os.environ.get("FACEREPLACE_MAX_IMAGE_PIXELS", 50_000_000))

REST_FRAMEWORK = {
    # Token first: an API client with a missing or bad token gets 401 (WWW-Authenticate: Token), not 403.
    # Tokens are stored as digests (review.models.ApiToken): the database holds no usable token.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "review.api.auth.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["review.api.parsers.JSONParser", "rest_framework.parsers.FormParser",
                               "rest_framework.parsers.MultiPartParser"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "facereplace review API",
    "DESCRIPTION": "Shots, variants, edits, decisions, notes, fixes and renders of the facereplace review site.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],  # the schema is for signed-in people
    # Request bodies get their own components: required text says minLength 1, uploads say format binary.
    "COMPONENT_SPLIT_REQUEST": True,
    # the API's ids in paths (review/api/urls.py IdConverter)
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 1, "maximum": 10**18 - 1}},
    # Swagger UI and Redoc from the installed sidecar package: the docs page needs no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"RenderStateEnum": "review.choices.RenderState",
                            "FrameFixStateEnum": "review.choices.FrameFixState",
                            "JobKindEnum": "review.choices.JobKind", "JobStateEnum": "review.choices.JobState",
                            "VariantKindEnum": "review.choices.VariantKind"},
}

# Content-Security-Policy (Django's own): scripts, styles, media and connections (websockets included) from the
# site itself only, nothing may frame it. Inline style attributes stay allowed (the status colours are
# `style="--c: ..."`); they cannot run script. Media answers carry a stricter policy of their own
# (review/media_serve.py); the API docs pages a looser style-src (review/api/urls.py).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "style-src-attr": [CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF],
    "media-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Behind HTTPS (a TLS-terminating proxy that sets X-Forwarded-Proto), FACEREPLACE_HTTPS=1 switches on what a
# deployment needs: HTTP redirected to HTTPS (but /health/, for load balancers), HSTS, cookies sent over HTTPS
# only, and the proxy's header trusted. Never set it without such a proxy in front: the header would be a lie.
FACEREPLACE_HTTPS = _env_bool("FACEREPLACE_HTTPS", False)
if FACEREPLACE_HTTPS:
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("FACEREPLACE_HSTS_SECONDS", 365 * 24 * 3600))
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Notification e-mail (for those who turned it on): printed to the server's console unless
# FACEREPLACE_EMAIL_BACKEND names another backend, e.g. django.core.mail.backends.smtp.EmailBackend with
# EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS (only those set are passed).
_MAIL_OPTIONS = {"host": os.environ.get("EMAIL_HOST"), "port": os.environ.get("EMAIL_PORT"),
                 "username": os.environ.get("EMAIL_HOST_USER"), "password": os.environ.get("EMAIL_HOST_PASSWORD"),
                 "use_tls": _env_bool("EMAIL_USE_TLS", False) if os.environ.get("EMAIL_USE_TLS") else None}
MAILERS = {"default": {"BACKEND": os.environ.get("FACEREPLACE_EMAIL_BACKEND",
                                                 "django.core.mail.backends.console.EmailBackend"),
                       "OPTIONS": {k: int(v) if k == "port" else v for k, v in _MAIL_OPTIONS.items() if v is not None}}}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "facereplace@localhost")
