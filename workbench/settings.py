"""Settings for Workbench, read from the environment (README, "Configuration").

Defaults suit one person on one machine: SQLite, the in-memory channel layer,
DEBUG off unless asked for. With DEBUG off a real SECRET_KEY is required.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from workbench.limits import MAX_FORM_BYTES

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str) -> list[str]:
    """A comma-separated environment variable as a list, blanks left out."""
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "Set SECRET_KEY in the environment (or DEBUG=1 for development)."
        )
    SECRET_KEY = "insecure-development-key-only-used-with-debug-on"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if DEBUG and not ALLOWED_HOSTS:
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "django_htmx",
    "channels",
    "workbench.catalog",
    "workbench.snippets",
    "workbench.chat",
    "workbench.library",
    "workbench.sharing",
    "workbench.relay",
    "workbench.localmodel",
    "workbench.accounts",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "workbench.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "workbench.chat.current.BrowserMiddleware",
    "workbench.accounts.middleware.LoginRequiredMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as axes asks: turns a lockout into its page
]

DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_FORM_BYTES
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"  # field templates in templates/
ROOT_URLCONF = "workbench.urls"
ASGI_APPLICATION = "workbench.asgi.application"

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
                "workbench.accounts.context.accounts",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Runs and page edits write from several threads: take the write lock at
    # the start of each transaction and wait for it, instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # redis-py 8 times out every read after 5 s, the time channels_redis's
            # blocking wait for messages (BZPOPMIN) takes when none come: every idle
            # socket would end in a TimeoutError. Reads may take longer here;
            # connecting still times out after 5 s.
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 15}]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 90  # a draft outlives a browser restart

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / ".staticfiles"
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

# HTTPS hardening follows DEBUG, but a plain-HTTP deployment on a trusted
# host (or a test server) can turn it off explicitly with WORKBENCH_HTTPS=0.
HTTPS = env_bool("WORKBENCH_HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# A load balancer probes each worker over plain HTTP, past the TLS proxy: its
# health check answers there rather than redirecting (workbench/health.py).
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Origins besides the site's own (scheme://host:port of the request) that may
# post forms and open the relay's websocket (workbench/relay/origin.py), e.g.
# the public origin when a proxy does not pass the original Host on. The older
# CSRF_TRUSTED_ORIGINS variable still counts, for both.
WORKBENCH_TRUSTED_ORIGINS = list(
    dict.fromkeys(env_list("WORKBENCH_TRUSTED_ORIGINS") + env_list("CSRF_TRUSTED_ORIGINS"))
)
CSRF_TRUSTED_ORIGINS = WORKBENCH_TRUSTED_ORIGINS

# Content-Security-Policy on every response: pages run only their own script
# files (no inline script, no eval: htmx runs with allowEval off, see
# templates/base.html), use only their own style sheets (no style attributes),
# talk only to their own origin (CSP 3's 'self' covers ws:/wss: to it) and
# cannot be framed. Behind the sanitiser of answers (workbench/chat/markdown.py),
# it keeps model output from running code or sending anything elsewhere.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
# Browser features no page here uses, off for the page and all in it
# (workbench/middleware.py). clipboard-write stays: Copy in the API tab uses it.
PERMISSIONS_POLICY_DENIED = [
    "accelerometer",
    "autoplay",
    "browsing-topics",
    "camera",
    "display-capture",
    "encrypted-media",
    "fullscreen",
    "geolocation",
    "gyroscope",
    "hid",
    "idle-detection",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "picture-in-picture",
    "publickey-credentials-get",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
]

# Operator configuration (README, "Configuration") and the embedded llama.cpp server.
WORKBENCH_CONFIG = os.environ.get("WORKBENCH_CONFIG", "")
WORKBENCH_LOCAL_PORT = int(os.environ.get("WORKBENCH_LOCAL_PORT", "8080"))
# A run outlives its page for WORKBENCH_RUN_GRACE seconds (a reload re-attaches);
# a process renews the lease of each run it streams, so a run whose lease ran
# out belongs to a process that died.
WORKBENCH_RUN_GRACE = float(os.environ.get("WORKBENCH_RUN_GRACE", "15"))
WORKBENCH_RUN_LEASE = float(os.environ.get("WORKBENCH_RUN_LEASE", "10"))
# What one page, browser or client address may hold (0 = no limit; see relay/quotas.py).
WORKBENCH_SOCKET_BACKLOG = int(os.environ.get("WORKBENCH_SOCKET_BACKLOG", str(8 * 1024 * 1024)))
WORKBENCH_MAX_SOCKETS_PER_BROWSER = int(os.environ.get("WORKBENCH_MAX_SOCKETS_PER_BROWSER", "8"))
WORKBENCH_MAX_SOCKETS_PER_ADDRESS = int(os.environ.get("WORKBENCH_MAX_SOCKETS_PER_ADDRESS", "64"))
WORKBENCH_MAX_RUNS_PER_ADDRESS = int(os.environ.get("WORKBENCH_MAX_RUNS_PER_ADDRESS", "16"))
WORKBENCH_TRUSTED_PROXIES = env_list("WORKBENCH_TRUSTED_PROXIES")
# Saved sessions and share links (README, "Saving and sharing"): drafts of
# anonymous browsers with nothing saved are deleted after WORKBENCH_DRAFT_DAYS
# by `manage.py purgedrafts`; WORKBENCH_PUBLIC_LINKS=0 forbids links for anyone.
WORKBENCH_DRAFT_DAYS = int(os.environ.get("WORKBENCH_DRAFT_DAYS", "30"))
WORKBENCH_PUBLIC_LINKS = env_bool("WORKBENCH_PUBLIC_LINKS", True)
WORKBENCH_CACHE_DIR = Path(
    os.environ.get("WORKBENCH_CACHE_DIR", Path.home() / ".cache" / "workbench")
)

# Accounts (README, "Accounts"): Django's own users. Sign-up is open or closed;
# with WORKBENCH_REQUIRE_LOGIN nothing but the account pages, /healthz and static
# files answers an anonymous visitor (workbench/accounts/middleware.py).
WORKBENCH_SIGNUP = os.environ.get("WORKBENCH_SIGNUP", "open").strip().lower() or "open"
if WORKBENCH_SIGNUP not in {"open", "closed"}:
    raise ImproperlyConfigured(
        f"WORKBENCH_SIGNUP must be 'open' or 'closed', not {os.environ['WORKBENCH_SIGNUP']!r}."
    )
WORKBENCH_REQUIRE_LOGIN = env_bool("WORKBENCH_REQUIRE_LOGIN", False)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "workbench"
LOGOUT_REDIRECT_URL = "workbench"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]
# Login rate-limiting (django-axes): 5 failed log-ins for one username from one
# client address lock that pair out for 15 minutes (each further try restarts
# the wait); a successful log-in clears the count. The address is the one the
# relay's quotas use, so X-Forwarded-For counts only from WORKBENCH_TRUSTED_PROXIES.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out pair
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "workbench.accounts.lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "workbench.accounts.lockout.locked_out"
AXES_VERBOSE = False  # no banner on every start-up; lockouts are still logged

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
