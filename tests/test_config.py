"""Choosing a configuration, one database per environment, and the production refusal."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from blog import create_app
from blog.extensions import db
from config import ConfigError
from config import get_config

ROOT = Path(__file__).resolve().parent.parent
DATABASE_VARIABLES = {
    "DEV_DATABASE_URL": "sqlite:///dev-only.db",
    "TEST_DATABASE_URL": "sqlite:///test-only.db",
    "DATABASE_URL": "postgresql://prod.example/blog",
}


def environment(**values: str) -> dict[str, str]:
    """This process's environment without any blog setting, plus `values`."""
    blog_settings = {
        "BLOG_CONFIG",
        "SECRET_KEY",
        "POSTS_PER_PAGE",
        "RATELIMIT_STORAGE_URI",
        "TRUSTED_PROXIES",
        "TRUSTED_PROXY_HOPS",
        *DATABASE_VARIABLES,
    }
    env = {key: value for key, value in os.environ.items() if key not in blog_settings}
    env["FLASK_SKIP_DOTENV"] = "1"  # a developer's own .env must not leak into these tests
    return {**env, **values}


@pytest.mark.parametrize("name", ["development", "testing", "production"])
def test_blog_config_selects_the_configuration(name):
    config = get_config(environ={"BLOG_CONFIG": name, "SECRET_KEY": "k", "DATABASE_URL": "x://"})
    assert config.name == name


def test_development_is_the_default():
    assert get_config(environ={}).name == "development"


def test_an_argument_wins_over_blog_config():
    assert get_config("testing", environ={"BLOG_CONFIG": "development"}).name == "testing"


def test_unknown_configuration_lists_the_valid_names():
    with pytest.raises(ConfigError) as error:
        get_config("staging", environ={})
    message = error.value.format_message()
    assert "'staging'" in message
    assert "development, production, testing" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("development", "sqlite:///dev-only.db"),
        ("testing", "sqlite:///test-only.db"),
        ("production", "postgresql+psycopg://prod.example/blog"),
    ],
)
def test_each_environment_reads_only_its_own_database_variable(name, expected):
    config = get_config(name, environ={**DATABASE_VARIABLES, "SECRET_KEY": "k"})
    assert expected == config.SQLALCHEMY_DATABASE_URI


@pytest.mark.parametrize(
    ("name", "filename"), [("development", "blog-dev.db"), ("testing", "blog-test.db")]
)
def test_default_databases_are_sqlite_files_in_the_instance_folder(monkeypatch, name, filename):
    for variable in DATABASE_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    app = create_app(name)
    with app.app_context():
        database = Path(db.engine.url.database)
    assert database == Path(app.instance_path) / filename


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgresql://u@db/blog", "postgresql+psycopg://u@db/blog"),
        ("postgres://u@db/blog", "postgresql+psycopg://u@db/blog"),
        ("mysql://u@db/blog?charset=utf8mb4", "mysql+pymysql://u@db/blog?charset=utf8mb4"),
        ("mariadb://u@db/blog", "mariadb+pymysql://u@db/blog"),
        ("postgresql+psycopg2://u@db/blog", "postgresql+psycopg2://u@db/blog"),
        ("sqlite:///blog.db", "sqlite:///blog.db"),
    ],
)
def test_plain_database_urls_get_the_projects_drivers(given, used):
    for name, variable in [
        ("development", "DEV_DATABASE_URL"),
        ("testing", "TEST_DATABASE_URL"),
        ("production", "DATABASE_URL"),
    ]:
        config = get_config(name, environ={variable: given, "SECRET_KEY": "k"})
        assert used == config.SQLALCHEMY_DATABASE_URI


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL"])
def test_production_refuses_to_start_without(missing):
    environ = {"SECRET_KEY": "k", "DATABASE_URL": "postgresql://db/blog", missing: ""}
    with pytest.raises(ConfigError, match=f"^{missing} is not set"):
        get_config("production", environ=environ)


def test_a_missing_production_variable_never_breaks_development():
    assert get_config("development", environ={}).SECRET_KEY


def test_posts_per_page_comes_from_the_environment():
    assert get_config("testing", environ={}).POSTS_PER_PAGE == 10
    assert get_config("testing", environ={"POSTS_PER_PAGE": "25"}).POSTS_PER_PAGE == 25
    for bad in ("0", "ten", "²", "-5"):
        with pytest.raises(ConfigError, match="POSTS_PER_PAGE must be a positive whole number"):
            get_config("testing", environ={"POSTS_PER_PAGE": bad})


def test_page_cache_seconds_comes_from_the_environment():
    assert (
        get_config(
            "production", environ={"SECRET_KEY": "k", "DATABASE_URL": "x://"}
        ).PAGE_CACHE_SECONDS
        == 1.0
    )
    assert get_config("testing", environ={}).PAGE_CACHE_SECONDS == 0.0
    assert get_config("development", environ={"PAGE_CACHE_SECONDS": "0"}).PAGE_CACHE_SECONDS == 0.0
    for bad in ("soon", "-1", "nan", "99999"):
        with pytest.raises(ConfigError, match="PAGE_CACHE_SECONDS must be a number of seconds"):
            get_config("development", environ={"PAGE_CACHE_SECONDS": bad})


def test_rate_limits_count_in_memory_unless_the_environment_names_a_store():
    assert get_config("testing", environ={}).RATELIMIT_STORAGE_URI == "memory://"
    redis = {"RATELIMIT_STORAGE_URI": "redis://cache.example:6379/0"}
    assert (
        redis["RATELIMIT_STORAGE_URI"]
        == get_config("development", environ=redis).RATELIMIT_STORAGE_URI
    )


def test_trusted_proxies_come_from_the_environment():
    assert get_config("testing", environ={}).TRUSTED_PROXIES == ()
    config = get_config("testing", environ={"TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8 ::1"})
    assert [str(network) for network in config.TRUSTED_PROXIES] == [
        "127.0.0.1/32",
        "10.0.0.0/8",
        "::1/128",
    ]
    assert config.TRUSTED_PROXY_HOPS == 1
    with pytest.raises(ConfigError, match=r"^TRUSTED_PROXIES must list addresses or networks"):
        get_config("testing", environ={"TRUSTED_PROXIES": "127.0.0.1,proxy.example"})
    with pytest.raises(ConfigError, match=r"^TRUSTED_PROXY_HOPS must be a positive whole number"):
        get_config("testing", environ={"TRUSTED_PROXY_HOPS": "0"})


def test_create_app_takes_overrides_for_one_test(tmp_path):
    app = create_app("testing", {"POSTS_PER_PAGE": 3, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["POSTS_PER_PAGE"] == 3
    assert app.config["TESTING"] is True


def test_creating_the_app_opens_no_database(tmp_path):
    database = tmp_path / "untouched.db"
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}"})
    assert "posts.index" in app.view_functions
    assert not database.exists()


def test_importing_blog_creates_no_app_and_opens_no_database():
    probe = (
        "import sqlite3, flask\n"
        "def refuse(*args, **kwargs): raise AssertionError('opened at import')\n"
        "sqlite3.connect = refuse\n"
        "flask.Flask.__init__ = refuse\n"
        "import blog, blog.models, blog.posts, blog.categories\n"
        "print('imported')\n"
    )
    result = run([sys.executable, "-c", probe], environment())
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "imported"


def test_no_create_all_in_the_package():
    sources = [*(ROOT / "blog").rglob("*.py"), ROOT / "config.py", ROOT / "wsgi.py"]
    assert not [path for path in sources if "create_all" in path.read_text()]


def test_flask_command_refuses_production_without_secret_key(tmp_path):
    env = environment(BLOG_CONFIG="production", DATABASE_URL=f"sqlite:///{tmp_path}/p.db")
    result = run([sys.executable, "-m", "flask", "--app", "blog", "db", "upgrade"], env, tmp_path)
    assert result.returncode != 0
    assert result.stderr.strip() == (
        "Error: SECRET_KEY is not set: the production configuration needs it in the environment"
    )
    assert not (tmp_path / "p.db").exists()


def test_flask_command_rejects_an_unknown_configuration(tmp_path):
    env = environment(BLOG_CONFIG="staging")
    result = run([sys.executable, "-m", "flask", "--app", "blog", "db", "current"], env, tmp_path)
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1
    assert "choose one of development, production, testing" in result.stderr


@pytest.mark.parametrize(
    "settings",
    [[], ["--config", "/dev/null", "--workers", "1"]],
    ids=["gunicorn.conf.py", "no config file"],
)
def test_gunicorn_refuses_production_without_database_url(settings):
    # DATABASE_URL set but empty also keeps a developer's .env from filling it in.
    env = environment(BLOG_CONFIG="production", SECRET_KEY="k", DATABASE_URL="")
    command = [sys.executable, "-m", "gunicorn", *settings, "--bind", "127.0.0.1:0", "wsgi:app"]
    result = run(command, env, ROOT)
    assert result.returncode != 0
    assert any(
        line.endswith(
            "DATABASE_URL is not set: the production configuration needs it in the environment"
        )
        for line in result.stderr.splitlines()
    )
    assert "Traceback" not in result.stderr


def run(command: list[str], env: dict[str, str], cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=60)
