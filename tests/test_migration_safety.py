"""What migrations/env.py guarantees, on every engine: a failing migration leaves no half
state behind (as far as the engine allows), two upgrades at once take turns, offline SQL
is safe for a live PostgreSQL, and SQLite's batch mode cannot lose data."""

import itertools
import logging
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine
from sqlalchemy import event

import blog.migrating.retries
from blog.commands.migrate_extension import migrate
from blog.extensions import db
from tests.databases import make_app
from tests.history import BELOW_HEAD
from tests.history import HEAD
from tests.history import INITIAL
from tests.history import SLUG_COLUMN
from tests.history import SLUG_INDEX
from tests.history import SLUG_REQUIRED
from tests.history import TOKENS
from tests.history import add_revision
from tests.history import dialect
from tests.history import holding_run_lock
from tests.history import insert_post
from tests.history import revisions_oldest_first
from tests.history import run_lock_is_free
from tests.history import run_sql
from tests.history import schema
from tests.history import version

pytestmark = pytest.mark.migrations

ROOT = Path(__file__).resolve().parent.parent

# DDL, then a data change, then an error: how far each engine undoes it is the point.
FAILS_PART_WAY = """
op.create_table("scratch", sa.Column("id", sa.Integer(), primary_key=True))
op.add_column("posts", sa.Column("note", sa.String(20)))
op.execute("UPDATE posts SET title = 'changed'")
op.execute("SELECT * FROM no_such_table")
"""


def upgrade(app, directory: Path, revision: str = "heads") -> None:
    with app.app_context():
        command.upgrade(migrate.get_config(directory), revision)


def at_head_with_a_categorized_post(app, directory: Path) -> None:
    """Migrate to head, then write category 1 and post 1 ("kept") in it."""
    upgrade(app, directory)
    run_sql(app, "INSERT INTO categories (id, name, created_at) VALUES (1, 'P', '2026-01-01')")
    insert_post(app, "kept", category_id=1, slug="kept")


def posts(app) -> list:
    return run_sql(app, "SELECT id, title, category_id FROM posts ORDER BY id")


def test_a_failing_migration_leaves_the_previous_revision(empty_app, history):
    at_head_with_a_categorized_post(empty_app, history)
    schema_before, posts_before = schema(empty_app), posts(empty_app)
    add_revision(history, "fails", FAILS_PART_WAY)

    with pytest.raises(Exception, match="no_such_table"):
        upgrade(empty_app, history)

    assert version(empty_app) == [HEAD]
    assert posts(empty_app) == posts_before
    if dialect(empty_app) == "mysql":
        # MariaDB commits each DDL statement as it runs: that part stays, but the version
        # table and the data change were rolled back with the revision's transaction.
        after = schema(empty_app)
        assert "scratch" in after
        assert "note" in [column[0] for column in after["posts"]["columns"]]
    else:
        assert schema(empty_app) == schema_before


def test_a_failing_run_from_empty_leaves_an_empty_database(empty_app, history):
    # The revisions up to the API tokens all run inside the run's transaction.
    add_revision(history, "fails", FAILS_PART_WAY, down_revision=TOKENS)
    with pytest.raises(Exception, match="no_such_table"):
        upgrade(empty_app, history, "fails")
    if dialect(empty_app) == "mysql":
        # One transaction per revision: the good ones stay, recorded; the version table is
        # never ahead of the schema.
        assert version(empty_app) == [TOKENS]
    else:
        # One transaction for the whole run: nothing at all, not even alembic_version.
        assert schema(empty_app) == {}


def test_a_failing_run_keeps_what_a_revision_outside_the_transaction_committed(
    app, empty_app, history
):
    """A revision that steps out of the run's transaction commits the revisions before
    it; what it does itself must be able to run again, and does."""
    add_revision(history, "fails", FAILS_PART_WAY)
    with pytest.raises(Exception, match="no_such_table"):
        upgrade(empty_app, history)
    # What the run did since it last stepped out of its transaction was rolled back with
    # the failing revision: on PostgreSQL, 1306b26445e4's version row (it stepped out to
    # build its indexes CONCURRENTLY); on SQLite, which builds them in the transaction,
    # everything after the slug backfill (the post-deploy revision's NOT NULL included).
    assert version(empty_app) == [
        {"mysql": HEAD, "postgresql": BELOW_HEAD, "sqlite": SLUG_INDEX}[dialect(empty_app)]
    ]
    (history / "versions" / "2099_01_01_000000-fails_scratch.py").unlink()
    if dialect(empty_app) == "mysql":  # its DDL, which MariaDB committed as it ran
        run_sql(empty_app, "DROP TABLE scratch")
        run_sql(empty_app, "ALTER TABLE posts DROP COLUMN note")
    upgrade(empty_app, history)
    assert version(empty_app) == [HEAD]
    assert schema(empty_app) == schema(app)  # as a run that never failed left it


def test_two_upgrades_at_once_both_succeed_and_each_migration_runs_once(
    empty_database, history, tmp_path
):
    # A slow last revision keeps the first run busy while the second one asks for the lock.
    add_revision(history, "slow", "time.sleep(1)")
    env = {
        **os.environ,
        "FLASK_APP": "blog",
        "BLOG_CONFIG": "testing",
        "TEST_DATABASE_URL": empty_database.render_as_string(hide_password=False),
    }
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    processes = [
        subprocess.Popen(
            [sys.executable, ROOT / "tests" / "upgrade_after_barrier.py", barrier, name, history],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("first", "second")
    ]
    try:
        deadline = time.monotonic() + 60
        while len(list(barrier.glob("*.ready"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        (barrier / "go").touch()
        outputs = [process.communicate(timeout=120) for process in processes]
    finally:
        for process in processes:
            process.kill()
            process.wait()

    for process, (_, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr
    logs = "".join(stderr for _, stderr in outputs)
    ran = re.findall(r"Running upgrade .*-> (\w+)", logs)
    assert sorted(ran) == sorted([*revisions_oldest_first(), "slow"])
    app = make_app(empty_database)
    assert version(app) == ["slow"]
    with app.app_context():
        db.engine.dispose()


def test_offline_sql_renders_every_revision_for_postgresql_with_timeouts():
    # Offline: the URL only picks the dialect, nothing connects to it.
    runner = make_app("postgresql://offline.invalid/blog").test_cli_runner()
    revisions = ["base", *revisions_oldest_first()]
    for start, end in itertools.pairwise(revisions):
        result = runner.invoke(args=["db", "upgrade", f"{start}:{end}", "--sql"])
        assert result.exit_code == 0, result.output
        sql = result.stdout
        in_order = [
            "SELECT pg_advisory_lock(7126410275)",
            "SET lock_timeout = '500ms'",
            "SET statement_timeout = '15min'",
            "BEGIN;",
            "-- Running upgrade",
            "COMMIT;",
            "SELECT pg_advisory_unlock(7126410275)",
            "RESET lock_timeout",
        ]
        positions = [sql.index(statement) for statement in in_order]
        assert positions == sorted(positions), sql


def finishes_within(seconds: float, work) -> tuple[bool, list[BaseException]]:
    """Run `work` in a thread: did it finish in time, and what did it raise? A thread, so
    that a regression fails this test in seconds instead of hanging it on a lock."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as error:  # reported to the test, not lost in the thread
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(seconds)
    return not thread.is_alive(), errors


def test_commands_that_only_read_do_not_wait_for_the_run_lock(app):
    """`flask db current` and `flask db check` answer while a deploy is migrating."""
    with app.app_context():
        config = migrate.get_config()

    def read() -> None:
        with app.app_context():
            command.current(config)
            command.check(config)

    with holding_run_lock(app):
        finished, errors = finishes_within(5, read)
    assert finished
    assert errors == []


@contextmanager
def holding_posts(app, seconds: float | None = None) -> Iterator[None]:
    """Another connection holds a lock on posts that a migration's DDL must wait for, as
    a long reader (or, on SQLite, a writer) of live traffic would: until the block ends,
    or for `seconds`."""
    with app.app_context():
        holder = db.engine.raw_connection()  # the driver's own: no pool reset in between
    if dialect(app) == "sqlite":
        holder.cursor().execute("BEGIN IMMEDIATE")  # the write lock
    else:
        holder.cursor().execute("SELECT 1 FROM posts LIMIT 0")  # ACCESS SHARE, or MDL
    timer = threading.Timer(seconds or 0, holder.rollback)
    if seconds is not None:
        timer.start()
    try:
        yield
    finally:
        timer.cancel()
        holder.rollback()
        holder.close()


class Retries(logging.Filter):
    """Counts the run's "lock not granted, retrying" warnings (blog/migrating/retries.py). A
    filter on the logger, not a handler: env.py's logging setup empties its handlers."""

    count = 0

    def filter(self, record: logging.LogRecord) -> bool:
        self.count += "retrying" in record.getMessage()
        return True


@pytest.fixture
def retries() -> Iterator[Retries]:
    counter = Retries()
    logger = logging.getLogger("alembic.env")
    logger.addFilter(counter)
    yield counter
    logger.removeFilter(counter)


@pytest.mark.engines("postgresql", "mariadb")
def test_a_migration_gives_up_on_a_table_that_live_traffic_holds_for_good(
    app, monkeypatch, retries
):
    """A lock wait is short, retried a few times, then the run fails and says why,
    instead of queueing (and making every later query of the table queue behind it)."""
    monkeypatch.setattr(blog.migrating.retries, "LOCK_RETRY_DELAYS", (0.1, 0.1))
    with app.app_context():
        config = migrate.get_config()

    def downgrade() -> None:
        with app.app_context():
            command.downgrade(config, "-1")

    downgrade()  # to the slug revision that holds posts' lock, require post slugs
    with holding_posts(app):
        finished, errors = finishes_within(20, downgrade)
    assert finished
    assert len(errors) == 1
    assert re.search(r"lock timeout|Lock wait timeout exceeded", str(errors[0]))
    assert retries.count == 2  # the first try, and two retries
    assert version(app) == [SLUG_REQUIRED]


def test_a_lock_held_for_two_seconds_is_waited_out_without_holding_others_up(
    app, history, retries
):
    """The migration needs a lock that another connection holds for 2 s: it waits (on
    PostgreSQL and MariaDB by short waits, retried) and succeeds, while readers of the
    table go on being answered at once, or after one short wait."""
    add_revision(history, "addnote", 'op.add_column("posts", sa.Column("note", sa.String(20)))')
    longest_read = 0.0
    with app.app_context():
        engine = db.engine

    def read_posts_meanwhile() -> None:
        nonlocal longest_read
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            started = time.monotonic()
            with engine.connect() as connection:
                connection.exec_driver_sql("SELECT count(*) FROM posts").scalar()
            longest_read = max(longest_read, time.monotonic() - started)
            time.sleep(0.02)

    reader = threading.Thread(target=read_posts_meanwhile)
    started = time.monotonic()
    with holding_posts(app, seconds=2):
        reader.start()
        finished, errors = finishes_within(30, lambda: upgrade(app, history))
        reader.join()
    assert finished and errors == []
    assert version(app) == ["addnote"]
    assert time.monotonic() - started >= 2  # it did wait for the holder
    # The reader waits behind the migration's lock request, at most one lock wait: none on
    # SQLite (WAL), 500 ms on PostgreSQL, 1 s on MariaDB (its least).
    limit = {"sqlite": 0.5, "postgresql": 1.0, "mysql": 1.6}[dialect(app)]
    assert longest_read < limit, longest_read
    if dialect(app) != "sqlite":  # SQLite's busy handler waits inside the one statement
        assert retries.count >= 1


def test_a_revision_outside_the_transaction_keeps_the_run_lock(empty_app, history, tmp_path):
    """Stepping out of the run's transaction commits what came before, and a second run
    still cannot start: the run lock outlives the commit."""
    add_revision(history, "committed", 'op.create_table("scratch", sa.Column("id", sa.Integer()))')
    inside, go = tmp_path / "inside", tmp_path / "go"
    add_revision(
        history,
        "outside",
        f"""
from pathlib import Path
from blog.migrating.run import outside_transaction
with outside_transaction():
    Path({str(inside)!r}).touch()
    deadline = time.monotonic() + 30
    while not Path({str(go)!r}).exists() and time.monotonic() < deadline:
        time.sleep(0.01)
""",
        down_revision="committed",
    )
    upgrading = threading.Thread(target=upgrade, args=(empty_app, history))
    upgrading.start()
    try:
        deadline = time.monotonic() + 60
        while not inside.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert inside.exists()
        assert "scratch" in schema(empty_app)  # committed: another connection sees it
        assert not run_lock_is_free(empty_app)
    finally:
        go.touch()
        upgrading.join(60)
    assert version(empty_app) == ["outside"]
    assert run_lock_is_free(empty_app)


# SQLite only: the driver, batch mode and foreign keys.


@pytest.mark.engines("sqlite")
def test_a_run_leaves_its_pooled_connection_as_it_found_it(empty_app):
    with empty_app.app_context():
        engine = db.engine
        with engine.connect() as connection:
            sqlite = connection.connection.driver_connection
            before = (sqlite.isolation_level, sqlite.execute("PRAGMA busy_timeout").fetchone())
        command.upgrade(migrate.get_config(), "head")
        command.downgrade(migrate.get_config(), INITIAL)
        with engine.connect() as connection:
            assert connection.connection.driver_connection is sqlite
            after = (sqlite.isolation_level, sqlite.execute("PRAGMA busy_timeout").fetchone())
    assert after == before


@pytest.mark.engines("sqlite")
def test_a_callers_transaction_takes_the_ddl_with_it_when_rolled_back(empty_app):
    """Handed a connection in a transaction, env.py leaves commit or rollback to the
    caller; on SQLite the DDL must be part of that transaction, not committed as it ran."""
    with empty_app.app_context():
        config = migrate.get_config()
        with db.engine.connect() as connection:
            connection.begin()
            config.attributes["connection"] = connection
            command.upgrade(config, SLUG_COLUMN)
            connection.rollback()
    assert schema(empty_app) == {}


def test_a_revision_outside_the_transaction_refuses_a_callers_transaction(empty_app):
    """It would commit the caller's transaction behind its back: a one-line error."""
    with empty_app.app_context():
        config = migrate.get_config()
        with db.engine.connect() as connection:
            connection.begin()
            config.attributes["connection"] = connection
            with pytest.raises(RuntimeError, match="runs outside a transaction"):
                command.upgrade(config, "head")
            connection.rollback()


@pytest.mark.engines("sqlite")
def test_foreign_keys_come_back_on_for_an_engine_without_the_apps_hook(empty_database):
    """env.py itself switches foreign keys back on (here no checkout hook would)."""
    engine = create_engine(empty_database)
    event.listen(engine, "connect", lambda dbapi, record: dbapi.execute("PRAGMA foreign_keys=ON"))
    with make_app(empty_database).app_context():
        config = migrate.get_config()
        config.attributes["connection"] = engine
        command.upgrade(config, "head")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


@pytest.mark.engines("sqlite")
def test_a_batch_rebuild_of_categories_keeps_every_posts_category(empty_app, history):
    # Batch mode drops and recreates `categories`; with foreign keys on, that drop would
    # run ON DELETE SET NULL on every post.
    at_head_with_a_categorized_post(empty_app, history)
    add_revision(
        history,
        "rebuildcats",
        """
with op.batch_alter_table("categories", recreate="always") as batch_op:
    batch_op.add_column(sa.Column("note", sa.String(20)))
""",
    )
    upgrade(empty_app, history)
    assert posts(empty_app) == [(1, "kept", 1)]
    assert version(empty_app) == ["rebuildcats"]


@pytest.mark.engines("sqlite")
def test_a_migration_that_breaks_a_foreign_key_is_rolled_back(empty_app, history):
    # Foreign keys are off while migrating, so SQLite itself would let this row in.
    upgrade(empty_app, history)
    add_revision(
        history,
        "dangling",
        """
op.execute(
    "INSERT INTO posts (title, body, created_at, updated_at, category_id, slug)"
    " VALUES ('orphan', 'b', '2026-01-01', '2026-01-01', 999, 'orphan')"
)
""",
    )
    with pytest.raises(RuntimeError, match="broken foreign keys"):
        upgrade(empty_app, history)
    assert version(empty_app) == [HEAD]
    assert posts(empty_app) == []


@pytest.mark.engines("sqlite")
def test_dropping_a_table_that_rows_still_point_at_is_rolled_back(empty_app, history):
    # No row changes and no new key: only the table the key points at is gone.
    at_head_with_a_categorized_post(empty_app, history)
    add_revision(history, "dropparent", 'op.drop_table("categories")')
    with pytest.raises(RuntimeError, match="broken foreign keys"):
        upgrade(empty_app, history)
    assert version(empty_app) == [HEAD]
    assert "categories" in schema(empty_app)


@pytest.mark.engines("sqlite")
def test_a_new_foreign_key_that_existing_rows_break_is_rolled_back(empty_app, history):
    # No row changes here: the new column's default is what points at nothing.
    upgrade(empty_app, history)
    insert_post(empty_app, "existing", slug="existing")
    add_revision(
        history,
        "badkey",
        """
op.execute("ALTER TABLE posts ADD COLUMN other_id INTEGER REFERENCES categories (id) DEFAULT 999")
""",
    )
    with pytest.raises(RuntimeError, match="broken foreign keys"):
        upgrade(empty_app, history)
    assert version(empty_app) == [HEAD]
    assert "other_id" not in [column[0] for column in schema(empty_app)["posts"]["columns"]]


@pytest.mark.engines("sqlite")
def test_foreign_keys_come_back_on_after_migrating_in_a_callers_transaction(empty_app):
    with empty_app.app_context():
        engine = db.engine
        config = migrate.get_config()
        with engine.begin() as connection:
            migrated = connection.connection.driver_connection
            config.attributes["connection"] = connection
            command.upgrade(config, SLUG_COLUMN)
        with engine.connect() as connection:
            assert connection.connection.driver_connection is migrated
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
