"""Configuration for each environment: development, testing and production.

Values are read from the environment when the app is created, not at import, so a
variable that only production needs can never break development or the tests. Each
environment reads its database from its own variable: running the tests cannot touch
the development or the production database.
"""

import os
from collections.abc import Mapping
from ipaddress import IPv4Network
from ipaddress import IPv6Network
from ipaddress import ip_network
from typing import Any

import click


class ConfigError(click.ClickException):
    """A configuration that cannot run: the `flask` command prints it as one line."""


class Config:
    """Settings shared by every environment."""

    name = ""
    DATABASE_URL_VARIABLE = ""
    DEFAULT_DATABASE_URL: str | None = None
    DEFAULT_SECRET_KEY: str | None = None
    REQUIRED_VARIABLES: tuple[str, ...] = ()

    TESTING = False
    # Seconds to wait for a database server to accept a connection (/readyz included).
    DATABASE_CONNECT_TIMEOUT = 5
    WTF_CSRF_ENABLED = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # How long a visitor without a session may be served a cached post list (0: never).
    PAGE_CACHE_SECONDS = 1.0
    # Bigger bodies get a 413 before any form code runs.
    MAX_CONTENT_LENGTH = 1024 * 1024
    # Werkzeug's default: scrypt, slow on purpose.
    PASSWORD_HASH_METHOD = "scrypt"
    # Rate limits, per client address unless said otherwise (blog/web/rate_limits.py), in
    # Flask-Limiter's notation. Signing in (the page's form and POST /api/tokens together):
    SIGN_IN_RATE_LIMIT = "10 per minute"
    # Failed sign-ins: for one name from one address (a flood locks only its sender out), from
    # one address whatever the names (unknown names included: each costs a decoy hash), and
    # for one name from every address, in tiers that slow a guess spread over many addresses
    # more the longer it goes on.
    SIGN_IN_FAILURES_PER_NAME_AND_ADDRESS = "5 per 15 minutes"
    SIGN_IN_FAILURES_PER_ADDRESS = "20 per hour"
    SIGN_IN_FAILURES_PER_NAME = "10 per 15 minutes; 100 per day"
    # Writes (POST, PUT, PATCH, DELETE) to posts and categories, on the pages and the API.
    WRITE_RATE_LIMIT = "60 per minute"
    # Flask-Limiter's own settings. The counts live in RATELIMIT_STORAGE_URI (from the
    # environment; redis://... in production, so every worker of every server counts
    # together), else in each process's memory. While that store is out of reach, each
    # worker counts in its own memory (logged once, when it starts and when it ends).
    RATELIMIT_ENABLED = True  # said here, as Flask-Limiter keeps a False from an earlier app
    RATELIMIT_STRATEGY = "moving-window"
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    # Every limit a request is over is found, so its Retry-After waits for the last of them.
    RATELIMIT_FAIL_ON_FIRST_BREACH = False
    # A store that fails half-way through a request costs that request its count, never a 500.
    RATELIMIT_SWALLOW_ERRORS = True
    # A store that does not answer holds a sign-in for at most this long (redis-py's options).
    RATELIMIT_STORAGE_OPTIONS: dict[str, Any] = {  # noqa: RUF012
        "socket_connect_timeout": 0.5,
        "socket_timeout": 0.5,
    }
    # How often each process writes the reads it counted (blog/posts/reads.py); 0: at once.
    READ_COUNT_FLUSH_SECONDS = 1.0
    # How long an API token from POST /api/tokens lives.
    API_TOKEN_SECONDS = 60 * 60
    # A migration that fills a column does it this many rows per statement, with this
    # pause between statements (blog/migrating/backfill.py): BACKFILL_BATCH_SIZE and
    # BACKFILL_PAUSE_SECONDS in the environment. A pause lets replicas and vacuum keep up.
    MAX_BACKFILL_BATCH_SIZE = 1000
    BACKFILL_PAUSE_SECONDS = 0.0
    # How long a worker trusts what it read of the database's revision before reading it
    # again: a release uses what only it understands once its deploy is complete
    # (blog.health.release_complete).
    SCHEMA_CHECK_SECONDS = 5.0

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.check(environ)
        self.BLOG_CONFIG = self.name  # which configuration this app runs, for the app to ask
        self.SECRET_KEY = environ.get("SECRET_KEY") or self.DEFAULT_SECRET_KEY
        self.SQLALCHEMY_DATABASE_URI = with_driver(
            environ.get(self.DATABASE_URL_VARIABLE) or self.DEFAULT_DATABASE_URL
        )
        self.RATELIMIT_STORAGE_URI = environ.get("RATELIMIT_STORAGE_URI") or "memory://"
        self.TRUSTED_PROXIES = trusted_proxies(environ.get("TRUSTED_PROXIES", ""))
        self.TRUSTED_PROXY_HOPS = _positive_int(environ, "TRUSTED_PROXY_HOPS", default=1, most=5)
        self.POSTS_PER_PAGE = _positive_int(environ, "POSTS_PER_PAGE", default=10)
        self.PAGE_CACHE_SECONDS = _seconds(environ, "PAGE_CACHE_SECONDS", self.PAGE_CACHE_SECONDS)
        self.READ_COUNT_FLUSH_SECONDS = _seconds(
            environ, "READ_COUNT_FLUSH_SECONDS", self.READ_COUNT_FLUSH_SECONDS
        )
        self.BACKFILL_BATCH_SIZE = _positive_int(
            environ,
            "BACKFILL_BATCH_SIZE",
            self.MAX_BACKFILL_BATCH_SIZE,
            self.MAX_BACKFILL_BATCH_SIZE,
        )
        self.BACKFILL_PAUSE_SECONDS = _seconds(
            environ, "BACKFILL_PAUSE_SECONDS", self.BACKFILL_PAUSE_SECONDS
        )

    def check(self, environ: Mapping[str, str]) -> None:
        """Refuse to build a configuration that lacks a required variable."""
        for name in self.REQUIRED_VARIABLES:
            if not environ.get(name):
                raise ConfigError(
                    f"{name} is not set: the {self.name} configuration needs it in the environment"
                )


class DevelopmentConfig(Config):
    """Your laptop: a SQLite file in the instance folder unless DEV_DATABASE_URL says otherwise."""

    name = "development"
    DATABASE_URL_VARIABLE = "DEV_DATABASE_URL"
    # Flask-SQLAlchemy puts a relative SQLite path in the app's instance folder.
    DEFAULT_DATABASE_URL = "sqlite:///blog-dev.db"
    DEFAULT_SECRET_KEY = "dev-only-insecure-key"


class TestingConfig(Config):
    """The test suite and CI: its own database, TEST_DATABASE_URL or instance/blog-test.db."""

    name = "testing"
    DATABASE_URL_VARIABLE = "TEST_DATABASE_URL"
    DEFAULT_DATABASE_URL = "sqlite:///blog-test.db"
    DEFAULT_SECRET_KEY = "test-only-insecure-key"
    TESTING = True
    # Most tests post forms without a token; tests/test_csrf.py turns it back on.
    WTF_CSRF_ENABLED = False
    # Tests check what the database holds: tests/test_page_cache.py turns it back on,
    # tests/test_reads.py the batches of read counts.
    PAGE_CACHE_SECONDS = 0.0
    READ_COUNT_FLUSH_SECONDS = 0.0
    # Tests migrate a database and ask its pages at once.
    SCHEMA_CHECK_SECONDS = 0.0
    # Fast hashes: the tests create many users, and test no password's strength.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"


class ProductionConfig(Config):
    """The real site: everything comes from the environment, nothing has a default."""

    name = "production"
    DATABASE_URL_VARIABLE = "DATABASE_URL"
    REQUIRED_VARIABLES = ("SECRET_KEY", "DATABASE_URL")
    DEBUG = False
    SESSION_COOKIE_SECURE = True  # the site is served over HTTPS, behind its proxy

    def check(self, environ: Mapping[str, str]) -> None:
        """Also refuse debug mode: its debugger runs any code a visitor sends it."""
        super().check(environ)
        if environ.get("FLASK_DEBUG", "").lower() in ("1", "true", "yes", "on"):
            raise ConfigError("FLASK_DEBUG is set: debug mode is never allowed in production")


configs: dict[str, type[Config]] = {
    cls.name: cls for cls in (DevelopmentConfig, TestingConfig, ProductionConfig)
}


def get_config(name: str | None = None, environ: Mapping[str, str] = os.environ) -> Config:
    """Build the named configuration (default: BLOG_CONFIG, else development) from `environ`."""
    name = name or environ.get("BLOG_CONFIG") or "development"
    try:
        config_class = configs[name]
    except KeyError:
        valid = ", ".join(sorted(configs))
        raise ConfigError(f"unknown configuration {name!r}: choose one of {valid}") from None
    return config_class(environ)


# A plain URL gets the driver this project installs for it (the postgres and mysql extras).
DRIVERS = {
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
}


def with_driver(url: str | None) -> str | None:
    """`postgresql://…` → `postgresql+psycopg://…`, `mysql://…` → `mysql+pymysql://…`."""
    if url is None:
        return None
    scheme, separator, rest = url.partition("://")
    if separator and scheme in DRIVERS:
        return f"{DRIVERS[scheme]}://{rest}"
    return url


def engine_options(database_url: str, connect_timeout: int) -> dict[str, Any]:
    """SQLAlchemy engine options for `database_url`: for a server, give up connecting after
    `connect_timeout` seconds, instead of holding a worker until gunicorn kills it, and
    check each pooled connection before use (the server may have restarted since): by a
    ping on MariaDB, by looking at its socket on PostgreSQL (blog.postgresql)."""
    scheme = database_url.split(":", 1)[0]
    if scheme.startswith("postgres"):
        return {"connect_args": {"connect_timeout": connect_timeout}}
    if scheme.startswith(("mysql", "mariadb")):
        return {"pool_pre_ping": True, "connect_args": {"connect_timeout": connect_timeout}}
    return {}


# On PostgreSQL, the statements that stand alone have an engine of their own.
STANDALONE = "standalone"


def engine_binds(database_url: str, connect_timeout: int) -> dict[str, Any]:
    """Flask-SQLAlchemy's binds: on PostgreSQL, STANDALONE, for the busiest pages' single
    statements (a post, a page of posts). Its connections run each statement by itself, in
    autocommit mode, so a page costs no BEGIN and no COMMIT or ROLLBACK round trip. Every
    write goes through the app's engine (read counts too, in batches: blog/posts/reads.py)."""
    if not database_url.startswith("postgresql"):
        return {}
    return {
        STANDALONE: {
            **engine_options(database_url, connect_timeout),
            "url": database_url,
            "isolation_level": "AUTOCOMMIT",
        }
    }


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 3600:
        raise ConfigError(f"{name} must be a number of seconds from 0 to 3600, not {raw!r}")
    return seconds


def _positive_int(
    environ: Mapping[str, str], name: str, default: int, most: int | None = None
) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= (most or int(raw)):
        limit = f" up to {most}" if most else ""
        raise ConfigError(f"{name} must be a positive whole number{limit}, not {raw!r}")
    return int(raw)


def trusted_proxies(raw: str) -> tuple[IPv4Network | IPv6Network, ...]:
    """TRUSTED_PROXIES: the reverse proxies whose X-Forwarded-For names the client, as
    addresses or networks separated by commas ("127.0.0.1, 10.0.0.0/8"); none by default."""
    networks = []
    for item in raw.replace(",", " ").split():
        try:
            networks.append(ip_network(item, strict=False))
        except ValueError:
            raise ConfigError(
                f"TRUSTED_PROXIES must list addresses or networks (such as 10.0.0.0/8),"
                f" not {item!r}"
            ) from None
    return tuple(networks)
