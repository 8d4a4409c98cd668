"""`flask db backup`, and `flask db downgrade` backing SQLite up first."""

import sqlite3
from pathlib import Path

import pytest

from tests.databases import dispose
from tests.databases import make_app
from tests.history import BELOW_HEAD
from tests.history import HEAD
from tests.history import MARKDOWN
from tests.history import TOKENS
from tests.history import insert_post
from tests.history import run_sql
from tests.history import version

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def instance(app, tmp_path) -> Path:
    """Backups go to the app's instance folder: a temporary one here."""
    app.instance_path = str(tmp_path / "instance")
    return Path(app.instance_path)


@pytest.mark.engines("sqlite")
def test_db_backup_copies_the_database_named_with_its_revision(app, runner, instance):
    insert_post(app, "kept", slug="kept")
    result = runner.invoke(args=["db", "backup"])
    assert result.exit_code == 0, result.output
    [backup] = (instance / "backups").glob(f"*-{HEAD}-*Z.db")
    assert f"Backed up the database to {backup}" in result.output
    with sqlite3.connect(backup) as copy:
        assert copy.execute("SELECT title FROM posts").fetchall() == [("kept",)]
        assert copy.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]


@pytest.mark.engines("sqlite")
def test_two_backups_in_the_same_second_both_stay(runner, instance):
    for _ in range(2):
        assert runner.invoke(args=["db", "backup"]).exit_code == 0
    assert len(list((instance / "backups").glob("*.db"))) == 2


@pytest.mark.engines("sqlite")
def test_downgrade_backs_up_first_and_the_backup_restores(app, runner, instance):
    run_sql(
        app,
        "INSERT INTO users (id, name, password_hash, created_at) VALUES (1, 'ada', 'x', :at)",
        at="2026-01-01 00:00:00",
    )
    run_sql(
        app,
        "INSERT INTO api_tokens (user_id, token_hash, created_at, expires_at)"
        " VALUES (1, 'kept', :at, :at)",
        at="2026-01-01 00:00:00",
    )
    result = runner.invoke(args=["db", "downgrade", MARKDOWN])
    assert result.exit_code == 0, result.output
    [backup] = (instance / "backups").glob(f"*-{HEAD}-*.db")
    assert f"Backed up the database to {backup} before going back." in result.output
    assert version(app) == [MARKDOWN]
    # Restoring is copying the file back: the tokens the downgrade dropped return.
    restored = make_app(f"sqlite:///{backup}")
    assert run_sql(restored, "SELECT token_hash FROM api_tokens") == [("kept",)]
    dispose(restored)


@pytest.mark.engines("sqlite")
def test_downgrade_with_sql_prints_sql_and_backs_nothing_up(runner, instance):
    result = runner.invoke(args=["db", "downgrade", "--sql", f"{TOKENS}:{MARKDOWN}"])
    assert result.exit_code == 0
    assert "DROP TABLE api_tokens" in result.output
    assert not (instance / "backups").exists()


@pytest.mark.engines("postgresql", "mariadb")
def test_on_a_server_backup_points_to_its_own_tool_and_downgrade_goes_ahead(app, runner):
    result = runner.invoke(args=["db", "backup"])
    assert result.exit_code == 1
    assert "pg_dump for PostgreSQL, mariadb-dump for MariaDB" in result.output
    downgrade = runner.invoke(args=["db", "downgrade"])
    assert downgrade.exit_code == 0
    assert "No backup made" in downgrade.output
    assert version(app) == [BELOW_HEAD]


def test_flask_db_keeps_flask_migrates_commands(runner):
    result = runner.invoke(args=["db", "--help"])
    for command in ("upgrade", "downgrade", "current", "history", "check", "migrate", "backup"):
        assert f"  {command}" in result.output
