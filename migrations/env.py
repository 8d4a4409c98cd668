"""Alembic environment for Flask-Migrate: Flask-Migrate's template, plus what makes a run
safe on every engine we support.

- A connection (or an Engine) handed in through ``config.attributes["connection"]`` is used
  instead of the app's engine, so tools such as pytest-alembic can migrate their own database.
- Logging is configured without disabling the app's existing loggers.
- One run at a time: a lock is held for the whole run (a PostgreSQL advisory lock, MariaDB's
  GET_LOCK, SQLite's BEGIN IMMEDIATE), so two deploys migrating at once take turns and every
  migration runs exactly once.
- Atomic where the engine allows it: on PostgreSQL and SQLite the whole run is one
  transaction, so a failing migration leaves the database at the revision it started from.
  Python's sqlite3 driver would commit around DDL; here it is told not to. MariaDB commits
  DDL implicitly, so there each migration has its own transaction and the version table is
  never ahead of the schema.
- On PostgreSQL, lock_timeout and statement_timeout keep a migration from queueing behind
  live traffic (and live traffic behind it) for long; offline ``--sql`` scripts set them too.
- On SQLite, foreign keys are off while migrating: batch mode rebuilds a table by dropping it,
  and with foreign keys on that drop would run ON DELETE actions (emptying category_id of
  every post). Violations are checked before the run commits.
"""

import logging
from contextlib import contextmanager
from logging.config import fileConfig

import click
from alembic import context
from flask import current_app
from sqlalchemy import event
from sqlalchemy.engine import Connection

from blog.models import UTCDateTime
from blog.rename_guard import as_comment
from blog.rename_guard import rename_warnings

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging, leaving the app's loggers alone.
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

# How long a second `flask db upgrade` waits for the first one to finish.
RUN_LOCK_WAIT_SECONDS = 600
# PostgreSQL: give up on a table lock that live traffic holds, rather than queue behind it
# while every new query queues behind the migration; and stop a runaway statement.
LOCK_TIMEOUT = "5s"
STATEMENT_TIMEOUT = "15min"
# Any fixed number will do, as long as every run of this project uses the same one.
# (PostgreSQL's advisory locks belong to one database; MariaDB's named locks to the
# whole server, hence the database's name in MYSQL_LOCK_NAME.)
POSTGRESQL_LOCK_KEY = 7_126_410_275
MYSQL_LOCK_NAME = "CONCAT('blog-migrations-', MD5(COALESCE(DATABASE(), '')))"
MYSQL = ("mysql", "mariadb")


def get_engine():
    # Flask-SQLAlchemy 3 (the template's get_engine() fallback is deprecated there).
    return current_app.extensions["migrate"].db.engine


def get_engine_url():
    return get_engine().url.render_as_string(hide_password=False).replace("%", "%%")


# add your model's MetaData object here
# for 'autogenerate' support
config.set_main_option("sqlalchemy.url", get_engine_url())
target_db = current_app.extensions["migrate"].db


def get_metadata():
    if hasattr(target_db, "metadatas"):
        return target_db.metadatas[None]
    return target_db.metadata


def run_migrations_offline():
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    The script does what an online run does: one transaction (per revision on MariaDB),
    foreign keys off on SQLite, the run lock and the timeouts on PostgreSQL.
    """
    url = config.get_main_option("sqlalchemy.url")
    dialect = get_engine().dialect.name
    context.configure(
        url=url,
        target_metadata=get_metadata(),
        literal_binds=True,
        transactional_ddl=dialect not in MYSQL,
    )
    if dialect == "sqlite":
        context.execute("PRAGMA foreign_keys=OFF")
    with context.begin_transaction():
        if dialect == "postgresql":
            for statement in postgresql_run_lock_statements():
                context.execute(statement)
        context.run_migrations()


def run_migrations_online():
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")
                return
            # A rename looks like a drop and an add: say so, here and in the script
            # (script.py.mako writes the comment); the operations stay as generated.
            warnings = rename_warnings(script.upgrade_ops)
            for warning in warnings:
                click.secho(f"Warning: this looks like a rename: {warning}", fg="yellow", err=True)
            config.attributes["rename_warnings"] = as_comment(warnings)

    # A copy: the app's dict outlives this run, and a hook stored in it would be this run's
    # closure, seeing this run's config in every later command of the same app.
    conf_args = dict(current_app.extensions["migrate"].configure_args)
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    # pytest-alembic and other tools hand over a Connection, or an Engine (anything with
    # .connect()); otherwise the app's own engine is used.
    connectable = config.attributes.get("connection") or get_engine()
    if isinstance(connectable, Connection):
        migrate(connectable, conf_args)
    else:
        with connectable.connect() as connection:
            migrate(connection, conf_args)


def migrate(connection, conf_args):
    """Run the migrations on `connection`, holding the run lock, as atomically as it can."""
    dialect = connection.dialect.name
    # A caller that already opened a transaction keeps it: it commits or rolls back itself.
    owned = not connection.in_transaction()
    writing = names_a_revision()
    steps = []
    with sqlite_run(connection, owned, writing):
        context.configure(
            **{
                **conf_args,
                "connection": connection,
                "target_metadata": get_metadata(),
                "on_version_apply": lambda **kw: steps.append(kw["step"]),
                "render_item": render_item,
                # SQLite can roll back DDL; Alembic assumes it cannot.
                "transactional_ddl": dialect not in MYSQL,
                "transaction_per_migration": dialect in MYSQL,
            }
        )
        with mysql_run_lock(connection, owned, writing), context.begin_transaction():
            if writing and dialect == "postgresql":
                for statement in postgresql_run_lock_statements():
                    connection.exec_driver_sql(statement)
            with sqlite_foreign_keys_checked(connection, steps):
                context.run_migrations()


def render_item(type_, obj, autogen_context):
    """Write the app's UTCDateTime in a generated revision as the types it stores.

    Otherwise autogenerate writes `blog.models.UTCDateTime()`, which the revision does not
    import; and a revision must not import the models, which change after it is written.
    """
    if type_ == "type" and isinstance(obj, UTCDateTime):
        autogen_context.imports.add("from sqlalchemy.dialects import mysql")
        return 'sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")'
    return False


def names_a_revision():
    """True for upgrade, downgrade and stamp, which change the database; false for
    current, check and migrate, which only read it and so take no lock."""
    try:
        context.get_revision_argument()
    except KeyError:  # only the commands that move the database name a destination
        return False
    return True


def postgresql_run_lock_statements():
    """Wait for the run lock (held until the transaction ends), then set the timeouts."""
    return [
        f"SET LOCAL lock_timeout = '{RUN_LOCK_WAIT_SECONDS}s'",
        f"SELECT pg_advisory_xact_lock({POSTGRESQL_LOCK_KEY})",
        f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'",
        f"SET LOCAL statement_timeout = '{STATEMENT_TIMEOUT}'",
    ]


@contextmanager
def mysql_run_lock(connection, owned, writing):
    """On MariaDB/MySQL, hold a named lock for the run (a no-op elsewhere)."""
    if connection.dialect.name not in MYSQL or not writing:
        yield
        return
    got = connection.exec_driver_sql(
        f"SELECT GET_LOCK({MYSQL_LOCK_NAME}, {RUN_LOCK_WAIT_SECONDS})"
    ).scalar()
    if got != 1:
        raise RuntimeError("another migration run held the lock for too long")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"SELECT RELEASE_LOCK({MYSQL_LOCK_NAME})")
        if owned:
            connection.commit()


@contextmanager
def sqlite_run(connection, owned, writing):
    """On SQLite: foreign keys off, and a run that writes is one real transaction.

    Foreign keys: batch mode rebuilds a table by dropping it, and with foreign keys on,
    that drop would run ON DELETE actions (emptying category_id of every post). The
    pragma is set straight through the driver: through SQLAlchemy it would open a
    transaction that Alembic then takes for the caller's and never commits.

    The transaction: Python's sqlite3 driver only begins one before INSERT, UPDATE and
    DELETE, so DDL would run in autocommit. With the driver's own handling off,
    SQLAlchemy's begin emits BEGIN IMMEDIATE: the DDL is rolled back with everything else,
    and the write lock it takes at once makes a second run wait for this one (see
    SQLAlchemy's pysqlite notes on "Serializable isolation / Savepoints / Transactional
    DDL"). Everything is put back as it was afterwards: the connection returns to a pool.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    sqlite = connection.connection.driver_connection
    foreign_keys = pragma(sqlite, "foreign_keys")
    busy_timeout = pragma(sqlite, "busy_timeout")
    isolation_level = sqlite.isolation_level
    sqlite.execute("PRAGMA foreign_keys=OFF")
    if pragma(sqlite, "foreign_keys"):
        raise RuntimeError(
            "SQLite ignores PRAGMA foreign_keys inside a transaction: hand env.py a "
            "connection that has not written anything yet"
        )

    def begin_immediate(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    try:
        if writing:
            sqlite.execute(f"PRAGMA busy_timeout = {RUN_LOCK_WAIT_SECONDS * 1000}")
            if owned:
                sqlite.isolation_level = None
                event.listen(connection, "begin", begin_immediate)
            elif not sqlite.in_transaction:
                # The caller's transaction is SQLAlchemy's alone so far: make it SQLite's
                # too, or the DDL would be committed as it runs.
                sqlite.execute("BEGIN IMMEDIATE")
        yield
    finally:
        if event.contains(connection, "begin", begin_immediate):
            event.remove(connection, "begin", begin_immediate)
        sqlite.isolation_level = isolation_level
        sqlite.execute(f"PRAGMA busy_timeout = {busy_timeout}")
        if foreign_keys:
            # Ignored while a caller's transaction is still open; the app's engine switches
            # foreign keys on again whenever a connection is checked out of its pool.
            sqlite.execute("PRAGMA foreign_keys=ON")


def pragma(sqlite, name):
    return sqlite.execute(f"PRAGMA {name}").fetchone()[0]


@contextmanager
def sqlite_foreign_keys_checked(connection, steps):
    """On SQLite, fail the run (before it commits) if it left a row pointing at nothing.

    The check reads every row of every table with a foreign key, so it runs only when the
    run could have broken one: rows changed beyond one version-table write per step, a
    foreign key was defined anew, or a table that keys point at was dropped or rebuilt.
    A run of plain DDL, such as adding a column, stays O(1).
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    sqlite = connection.connection.driver_connection
    changes, keys = sqlite.total_changes, foreign_key_state(connection)
    yield
    changed_rows = sqlite.total_changes - changes > len(steps)
    if changed_rows or foreign_key_state(connection) != keys:
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"migration left rows with broken foreign keys: {broken}")


def foreign_key_state(connection):
    """Every foreign key, and where each table they point at keeps its rows."""
    keys = connection.exec_driver_sql(
        "SELECT m.name, f.* FROM sqlite_master AS m, pragma_foreign_key_list(m.name) AS f"
        " WHERE m.type = 'table' ORDER BY m.name, f.id, f.seq"
    ).fetchall()
    parents = connection.exec_driver_sql(
        "SELECT name, rootpage FROM sqlite_master WHERE type = 'table' AND name IN"
        ' (SELECT f."table" FROM sqlite_master AS m, pragma_foreign_key_list(m.name) AS f)'
        " ORDER BY name"
    ).fetchall()
    return keys, parents


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
