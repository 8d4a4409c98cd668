"""`flask db status` (Django's showmigrations) and `flask db sql` (sqlmigrate)."""

import flask_migrate
import pytest

from tests.helpers import flask_db
from tests.history import AUTHORS
from tests.history import HEAD
from tests.history import MARKDOWN
from tests.history import PRE_DEPLOY_HEAD
from tests.history import READ_COUNT
from tests.history import SLUG_INDEX
from tests.history import SLUG_REQUIRED
from tests.history import TOKENS
from tests.history import add_revision
from tests.history import copy_history
from tests.history import revisions_oldest_first
from tests.history import run_sql
from tests.history import schema
from tests.history import version

pytestmark = pytest.mark.migrations


def marks(output: str) -> list[str]:
    return [line.strip()[:3] for line in output.splitlines() if line.startswith("  [")]


def upgrade(app, revision: str = "head", **kwargs) -> None:
    with app.app_context():
        flask_migrate.upgrade(revision=revision, **kwargs)


def test_status_on_an_empty_database(empty_app):
    result = flask_db(empty_app, "status")
    assert result.exit_code == 1
    assert marks(result.output) == ["[ ]"] * len(revisions_oldest_first())
    assert "Current: (none: no migration has run here)" in result.output
    assert f"Head:    {HEAD}" in result.output
    assert (
        "Behind head: 9 pending (flask db upgrade). 1 of them post-deploy: in a deploy,"
        " `flask deploy` stops before them, and `flask deploy --post` runs them once the new"
        " release serves everywhere." in result.output
    )


def test_status_behind_head(empty_app):
    upgrade(empty_app, AUTHORS)
    result = flask_db(empty_app, "status")
    assert result.exit_code == 1
    assert marks(result.output) == ["[x]"] * 3 + ["[ ]"] * 6
    lines = result.output.splitlines()
    assert "  [x] 391d89251b4c  pre-deploy   initialize Post and Category models" in lines
    assert f"  [ ] {SLUG_INDEX}  pre-deploy   index and fill post slugs" in lines
    assert f"  [ ] {SLUG_REQUIRED}  post-deploy  require post slugs" in lines
    assert f"  [ ] {HEAD}  pre-deploy   make names unique ignoring case" in lines
    assert f"Current: {AUTHORS}" in result.output
    assert "Behind head: 6 pending" in result.output


def test_status_between_deploy_and_deploy_post(empty_app):
    upgrade(empty_app, PRE_DEPLOY_HEAD)
    result = flask_db(empty_app, "status")
    assert result.exit_code == 1
    assert "Behind head: 2 pending (flask db upgrade). 1 of them post-deploy" in result.output


def test_status_at_head(app):
    result = flask_db(app, "status")
    assert result.exit_code == 0
    assert marks(result.output) == ["[x]"] * len(revisions_oldest_first())
    assert result.output.rstrip().endswith("Up to date.")


def test_status_ahead_of_head(app):
    run_sql(app, "UPDATE alembic_version SET version_num = 'f00dfeedbeef'")
    result = flask_db(app, "status")
    assert result.exit_code == 1
    assert "Ahead of head: the database is at f00dfeedbeef" in result.output
    assert marks(result.output) == ["[ ]"] * len(revisions_oldest_first())


def test_status_with_two_heads(empty_app, tmp_path):
    history = copy_history(tmp_path / "migrations")
    add_revision(history, "branch", "pass", down_revision=AUTHORS)
    upgrade(empty_app, HEAD, directory=str(history))
    result = flask_db(empty_app, "status", "-d", str(history))
    assert result.exit_code == 1
    assert "The history has 2 heads: merge them" in result.output
    assert "[ ] branch" in result.output


def test_status_never_shows_a_password(empty_app):
    result = flask_db(empty_app, "status")
    with empty_app.app_context():
        from blog.extensions import db

        password = db.engine.url.password
    assert not password or password not in result.output


def test_sql_of_one_revision_runs_nothing(app):
    """On SQLite as on every engine: the SQL, and the database untouched."""
    before = schema(app)
    result = flask_db(app, "sql", MARKDOWN)
    assert result.exit_code == 0, result.output
    assert "ALTER TABLE posts ADD COLUMN body_html" in result.output
    assert f"UPDATE alembic_version SET version_num='{MARKDOWN}'" in result.output
    assert schema(app) == before
    assert version(app) == [HEAD]


def test_sql_down(app):
    result = flask_db(app, "sql", TOKENS, "--down")
    assert result.exit_code == 0
    assert "DROP TABLE api_tokens" in result.output
    assert "api_tokens" in schema(app)


@pytest.mark.engines("postgresql")
def test_sql_on_postgresql_speaks_its_dialect_with_the_runs_timeouts(app):
    result = flask_db(app, "sql", AUTHORS)
    assert result.exit_code == 0, result.output
    for expected in (
        "SET lock_timeout = '500ms'",
        "CREATE TABLE users (",
        "id SERIAL NOT NULL",
        "ALTER TABLE posts ADD CONSTRAINT fk_posts_author_id_users",
    ):
        assert expected in result.output, expected


@pytest.mark.engines("postgresql")
def test_sql_defaults_to_the_pending_revisions(empty_app):
    upgrade(empty_app, READ_COUNT)
    result = flask_db(empty_app, "sql")
    assert result.exit_code == 0
    assert "CREATE TABLE users" in result.output and "CREATE TABLE api_tokens" in result.output
    assert "read_count" not in result.output
    assert version(empty_app) == [READ_COUNT]
    upgrade(empty_app)
    assert "Nothing pending" in flask_db(empty_app, "sql").output


@pytest.mark.engines("sqlite")
def test_sql_of_a_batch_revision_on_sqlite_shows_its_operations(app):
    result = flask_db(app, "sql", AUTHORS)
    assert result.exit_code == 0
    assert "-- Cannot render this as SQL offline (This operation cannot proceed" in result.output
    assert f"# {AUTHORS}: add users and post authors" in result.output
    assert 'with op.batch_alter_table("posts") as batch_op:' in result.output


@pytest.mark.parametrize("args", [["nonexistent"], ["--down"]])
def test_sql_refuses_clearly(empty_app, args):
    result = flask_db(empty_app, "sql", *args)
    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
    assert result.output.count("\n") == 1
