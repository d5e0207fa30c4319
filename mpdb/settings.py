"""Settings for MPDB Directory.

One file, driven by environment variables. With nothing set it runs in development mode on a
SQLite file beside ``manage.py``; production sets ``DJANGO_DEBUG=0``, a real
``DJANGO_SECRET_KEY``, ``DJANGO_ALLOWED_HOSTS`` and ``DATABASE_URL`` (PostgreSQL).
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)

_DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG=0 (production mode). "
            'Generate one with: python -c "import secrets; print(secrets.token_urlsafe(50))"'
        )
    SECRET_KEY = _DEV_SECRET_KEY
elif not DEBUG and (SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 40):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY is too short or is the development key.")

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver" if DEBUG else ""
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "modeltranslation",  # before the admin, so translated fields get language tabs
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "corsheaders",
    "csp",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "simple_history",
    "allauth",
    "allauth.account",
    "django_tasks",
    "django_tasks_db",
    "goals",
    "roles",
    "directory",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Database unreachable: a friendly 503 with Retry-After instead of a traceback (mpdb/faults.py).
    "mpdb.faults.DatabaseUnavailableMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "mpdb.middleware.QueryLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Anonymous public reads: ETag/Last-Modified from the data version, early 304s,
    # Cache-Control for browsers and CDNs, and the page store (mpdb/http_cache.py,
    # docs/deploy.md). Inside CsrfViewMiddleware: it sets the cookie of a stored page's token.
    "mpdb.http_cache.PublicCacheMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "mpdb.routers.ReplicaReadsMiddleware",  # a no-op unless DATABASE_REPLICA_URL is set
]

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

# Accounts (django-allauth): log in by e-mail, which must be verified by a link.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[MPDB Directory] "
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_ADAPTER = "directory.adapters.AccountAdapter"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "directory:dashboard"

# Background work (e-mail alerts): a real queue in the database; `manage.py db_worker` runs it.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# Behind N proxies, the client is the N-th address from the right of X-Forwarded-For; every
# rate limit (ours, DRF's, allauth's) must agree, or all clients would share the proxy's bucket.
NUM_PROXIES = int(os.environ.get("DJANGO_NUM_PROXIES") or 0)
ALLAUTH_TRUSTED_PROXY_COUNT = NUM_PROXIES
RATELIMIT_IP_META_KEY = "mpdb.client_ip.client_ip" if NUM_PROXIES else None

# Public writes (submissions, claims, reports): per user (or IP) limits, counted atomically in
# the shared cache. Exceeding one answers 429 (see directory.views.public.rate_limited).
RATELIMIT_VIEW = "directory.views.limits.rate_limited"
# If the cache holding the counters cannot be read (Redis down), let the request through: a
# cache outage must not close every form and the API. See README, "Operations: faults".
RATELIMIT_FAIL_OPEN = True
WRITE_RATE = os.environ.get("WRITE_RATE", "30/h")
MAX_PENDING_PER_ACCOUNT = int(os.environ.get("MAX_PENDING_PER_ACCOUNT", "10"))
# Forms that e-mail an address someone typed (invitations, alert confirmations): per user (or
# IP), and per recipient address whoever sends, so the site cannot be used to flood a mailbox.
MAIL_RATE_PER_SENDER = os.environ.get("MAIL_RATE_PER_SENDER", "10/h")
MAIL_RATE_PER_RECIPIENT = os.environ.get("MAIL_RATE_PER_RECIPIENT", "3/d")

ROOT_URLCONF = "mpdb.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mpdb.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "mpdb.wsgi.application"

# SQLite file in the project folder unless DATABASE_URL says otherwise (PostgreSQL in production).
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite does not pool; keep connections per request so tests and runserver behave.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Writers take the lock when their transaction starts and wait for each other (up to 20 s)
    # instead of failing with "database is locked" half-way through.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
    # Tests use a file too (not shared-cache memory, whose table locks ignore the timeout), so
    # concurrency tests see SQLite as it runs in the demo.
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("DJANGO_TEST_SQLITE", f"/tmp/mpdb-test-{os.getpid()}.sqlite3")
    }

# Optional PostgreSQL read replica (docs/deploy.md): anonymous GET/HEAD requests read from it.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
DATABASE_ROUTERS: list[str] = []
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL,
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}  # tests: the replica is the primary
    DATABASE_ROUTERS = ["mpdb.routers.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# English and Spanish. The language comes from ?lang= (one request, handy for the API and
# shared links), else the switcher's cookie, else the browser's Accept-Language, else English.
# URLs have no language prefix, so every existing address keeps working.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_SAMESITE = "Lax"
# Taxonomy (goals, groups, roles, role-finder answers) and language names are stored in both
# languages (django-modeltranslation: name_en / name_es); a missing Spanish text falls back to
# English rather than showing nothing.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

FIXTURE_DIRS = [BASE_DIR / "fixtures"]
# dumpdata/loaddata keep times to the microsecond (Django's JSON format rounds to milliseconds).
# "backup": the same JSON with primary keys where a restore keeps them (export_data).
SERIALIZATION_MODULES = {"json": "directory.exact_json", "backup": "directory.backup_json"}

# A history row's reason ("Approved by curator …: <the curator's reason>") is as long as the
# reason; django-simple-history's default column holds 100 characters (PostgreSQL refuses more).
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Cache: Redis when REDIS_URL is set (shared by every app server), local memory otherwise.
# While Redis is unreachable the site runs without a cache instead of failing (mpdb/cache.py).
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "mpdb.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "socket_connect_timeout": 1,  # seconds: a Redis that hangs must not hang pages
                "socket_timeout": 2,
                "RETRY_INTERVAL": 5,  # after a failure, skip Redis this long (seconds)
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# How long a browser, proxy or CDN may reuse an anonymous public read before asking again
# (seconds; it then revalidates with the ETag: mpdb/http_cache.py, docs/deploy.md).
HTTP_CACHE_MAX_AGE = int(os.environ.get("HTTP_CACHE_MAX_AGE", "60"))

# E-mail: console in development; SMTP from EMAIL_* variables in production.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "MPDB Directory <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# A message the mail server refuses is sent again by the task queue (directory.services.mail, run by
# `manage.py db_worker`): after 5 min, then twice as long each time, and given up (kept as a
# failed task, shown to curators in the admin) after MAIL_MAX_ATTEMPTS attempts.
MAIL_MAX_ATTEMPTS = int(os.environ.get("MAIL_MAX_ATTEMPTS", "10"))  # ≈ 42 hours
MAIL_RETRY_BASE = int(os.environ.get("MAIL_RETRY_BASE", "300"))  # seconds

# The site's public address, for absolute links in what the task queue sends (webhooks).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Webhooks (directory/webhooks, docs/api.md): sent by the db_worker; a failed attempt is retried
# after WEBHOOK_RETRY_BASE seconds, then twice as long each time (at most WEBHOOK_RETRY_CAP
# apart), up to WEBHOOK_MAX_ATTEMPTS; an endpoint failing for WEBHOOK_PAUSE_AFTER seconds is
# paused and its contact told. Loopback and private addresses are refused unless
# WEBHOOK_ALLOW_PRIVATE_ADDRESSES (tests and local development only).
WEBHOOK_RETRY_BASE = int(os.environ.get("WEBHOOK_RETRY_BASE", "60"))
WEBHOOK_RETRY_CAP = int(os.environ.get("WEBHOOK_RETRY_CAP", "3600"))
WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("WEBHOOK_MAX_ATTEMPTS", "30"))  # a little over a day
WEBHOOK_PAUSE_AFTER = int(os.environ.get("WEBHOOK_PAUSE_AFTER", str(24 * 60 * 60)))
WEBHOOK_TIMEOUT = float(os.environ.get("WEBHOOK_TIMEOUT", "10"))  # seconds per attempt
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", False)

# Database unreachable: pages and the API answer 503 with this Retry-After (mpdb/faults.py).
DATABASE_RETRY_AFTER = 30

# Security. Production behind a TLS-terminating proxy sets DJANGO_SECURE_PROXY_SSL_HEADER=1.
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = int(
    os.environ.get("DJANGO_SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000")
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG and SECURE_HSTS_SECONDS and not SECURE_HSTS_PRELOAD:
    # Preload is an explicit, hard-to-undo decision for the operator; not asking is fine.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Content-Security-Policy: no inline script anywhere, nothing from other sites except map tiles.
# Pages may not be framed, except the embeddable lists (see directory.views.public, csp_replace).
_TILE_ORIGIN = "/".join(
    os.environ.get("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png").split("/")[:3]
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", _TILE_ORIGIN],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "camera": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "payment": [],
    "usb": [],
}

REST_FRAMEWORK = {
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_CLASSES": ["directory.api.throttles.ReadThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # DRF's parsers, with JSON that answers 400 for lone surrogates and deep nesting, and
    # multipart that answers 400 for a body holding no field.
    "DEFAULT_PARSER_CLASSES": [
        "directory.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "directory.api.parsers.MultiPartParser",
    ],
    # Trust X-Forwarded-For only as far as the configured number of proxies.
    "NUM_PROXIES": NUM_PROXIES,
    # Database unreachable: {"detail": …} with 503 and Retry-After (mpdb/faults.py).
    "EXCEPTION_HANDLER": "mpdb.faults.api_exception_handler",
}
# Requests per client: anonymous by IP, partners by API key; submissions per key.
API_RATES = {
    "anon": os.environ.get("API_RATE_ANON", "120/minute"),
    "partner": os.environ.get("API_RATE_PARTNER", "1200/minute"),
    "submissions": os.environ.get("API_RATE_SUBMISSIONS", "60/hour"),
}
API_KEY_CUSTOM_HEADER = None  # keys come as "Authorization: Api-Key <key>"

SPECTACULAR_SETTINGS = {
    "TITLE": "MPDB Directory API",
    "DESCRIPTION": (
        "Published civic and democracy-building organizations and initiatives in the U.S., "
        "classified by the MPDB paper's 7 goals and 53 roles. See docs/api.md for examples, "
        "the sync recipe and limits."
    ),
    "VERSION": "1.5.1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "mpdb.schema.add_constraints",
    ],
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "ApiKeyAuth": {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": 'Send "Api-Key <your key>".',
            }
        }
    },
}

# CORS: anyone may read the API from a browser.
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]

# Map tiles for the initiatives map view. Any XYZ tile server; the attribution is shown on the map.
MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "&copy; OpenStreetMap contributors")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}
