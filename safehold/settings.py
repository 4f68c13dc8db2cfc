"""Django settings for Safehold, read from environment variables with safe defaults.

Every variable is documented in the README. Production must set SAFEHOLD_SECRET_KEY,
SAFEHOLD_ALLOWED_HOSTS and a postgres:// DATABASE_URL; the defaults suit one machine.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DATA_DIR = Path(os.environ.get("SAFEHOLD_DATA_DIR", Path.cwd() / "var")).resolve()
DEBUG = _flag("SAFEHOLD_DEBUG")
TESTING = _flag("SAFEHOLD_TESTING")

# The master key lives outside the database; see safehold/crypto/keys.py.
SAFEHOLD_KEY_FILE = Path(os.environ.get("SAFEHOLD_KEY_FILE", DATA_DIR / "safehold.key")).resolve()


def _secret_key() -> str:
    """Return SAFEHOLD_SECRET_KEY, or a per-installation key kept in the data directory."""
    configured = os.environ.get("SAFEHOLD_SECRET_KEY")
    if configured:
        return configured
    path = DATA_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    import secrets

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("SAFEHOLD_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "safehold.crypto",
    "safehold.audit",
    "safehold.accounts",
    "safehold.access",
    "safehold.cases",
    "safehold.shelters",
    "safehold.transports",
    "safehold.checkins",
    "safehold.alerts",
    "safehold.incidents",
    "safehold.inbound",
    "safehold.records",
    "safehold.front",
    "safehold.runtime",
]

MIDDLEWARE = [
    "safehold.front.middleware.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "safehold.front.middleware.IdleSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "safehold.front.middleware.LoginRequiredByDefaultMiddleware",
    "safehold.front.middleware.KeyUnavailableMiddleware",
]

ROOT_URLCONF = "safehold.urls"
WSGI_APPLICATION = "safehold.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "safehold.front.context.member",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'safehold.sqlite3'}"),
        conn_max_age=600,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web process and the worker write side by side;
    # IMMEDIATE transactions take the write lock up front, so the audit chain's
    # read-then-append never races (see safehold/audit/chain.py).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        # A 64 MB page cache per connection: a burst of alerts inserts into indexes of
        # random ids, and the default 2 MB made every insert a page miss.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;"
        ),
    }
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and sessions ------------------------------------------------------------
AUTH_USER_MODEL = "accounts.Member"
AUTHENTICATION_BACKENDS = ["safehold.accounts.backends.EmailBackend"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
if TESTING:
    PASSWORD_HASHERS = ["safehold.accounts.hashers.QuickArgon2Hasher"]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions end after 30 idle minutes: every request pushes the expiry forward.
SESSION_COOKIE_AGE = int(os.environ.get("SAFEHOLD_SESSION_IDLE_SECONDS", 30 * 60))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "safehold.front.errors.csrf_failure"

# --- Transport security: on unless running locally in DEBUG or tests ------------------
_LOCAL = DEBUG or TESTING or _flag("SAFEHOLD_INSECURE_LOCAL")
SESSION_COOKIE_SECURE = not _LOCAL
CSRF_COOKIE_SECURE = not _LOCAL
SECURE_SSL_REDIRECT = not _LOCAL
SECURE_HSTS_SECONDS = 0 if _LOCAL else 63072000
SECURE_HSTS_INCLUDE_SUBDOMAINS = not _LOCAL
SECURE_HSTS_PRELOAD = not _LOCAL
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many reverse proxies in front of Safehold append to X-Forwarded-For; login
# throttling per address uses the client address the outermost one saw.
# Where links in notifications point (acknowledgement links); the public address.
SAFEHOLD_BASE_URL = os.environ.get("SAFEHOLD_BASE_URL", "http://127.0.0.1:8000")
SAFEHOLD_TRUSTED_PROXIES = int(os.environ.get("SAFEHOLD_TRUSTED_PROXIES", "0"))
SECURE_CONTENT_TYPE_NOSNIFF = True
# "same-origin", not "no-referrer": under no-referrer browsers send `Origin: null` with
# form posts, which Django's CSRF check rightly refuses. Our URLs carry only ids, and
# no other site ever receives them.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True
LANGUAGE_COOKIE_SECURE = not _LOCAL
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if TESTING:
    # Tests render pages without running collectstatic first.
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    WHITENOISE_USE_FINDERS = True

# --- Logging: ids only, never names, phones, addresses, PINs or message text ----------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"redact_paths": {"()": "safehold.lib.logs.RedactRequestPaths"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            # On the handler too: logger filters miss records of child loggers such as
            # django.security.csrf.
            "filters": ["redact_paths"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("SAFEHOLD_LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's request loggers print the path and, on a crash, the traceback;
        # the filter keeps only paths of our own URLs (ids) and the exception type.
        "django.request": {"level": "WARNING", "filters": ["redact_paths"]},
        "django.security": {"level": "WARNING", "filters": ["redact_paths"]},
        "django.server": {"level": "INFO", "filters": ["redact_paths"]},
        # At INFO, fontTools lists every glyph it keeps when it subsets a dossier's font:
        # a fingerprint of the dossier's text.
        "fontTools": {"level": "WARNING"},
    },
}
ADMINS: list[tuple[str, str]] = []

# Demo data is only for `make run` / `safehold demo`.
SAFEHOLD_DEMO_PASSWORD_FILE = DATA_DIR / "demo-logins.txt"

# Evidence uploads stay in memory until encrypted: a temporary file would put a photo of
# a raided flat on disk in the clear. Larger uploads are refused.
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = 21 * 1024 * 1024
