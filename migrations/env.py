"""Alembic environment for Flask-Migrate: Flask-Migrate's template plus three additions.

1. A connection (or an Engine) handed in through ``config.attributes["connection"]`` is
   used instead of the app's engine, so tools such as pytest-alembic can migrate their
   own database.
2. Logging is configured without disabling the app's existing loggers.
3. On SQLite, foreign keys are off while migrating: batch mode rebuilds a table by
   dropping it, and with foreign keys on that drop would run ON DELETE actions (emptying
   category_id of every post). Violations are checked before the transaction commits.
"""

import logging
from contextlib import contextmanager
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy.engine import Connection

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging, leaving the app's loggers alone.
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")


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

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(url=url, target_metadata=get_metadata(), literal_binds=True)

    with context.begin_transaction():
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

    conf_args = current_app.extensions["migrate"].configure_args
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    def migrate(connection):
        with sqlite_foreign_keys_off(connection):
            context.configure(
                connection=connection,
                target_metadata=get_metadata(),
                # Inside each migration's transaction, so a violation rolls it back.
                on_version_apply=lambda **kw: check_foreign_keys(connection),
                **conf_args,
            )
            with context.begin_transaction():
                context.run_migrations()

    # pytest-alembic and other tools hand over a Connection, or an Engine (anything with
    # .connect()); otherwise the app's own engine is used.
    connectable = config.attributes.get("connection") or get_engine()
    if isinstance(connectable, Connection):
        migrate(connectable)
    else:
        with connectable.connect() as connection:
            migrate(connection)


@contextmanager
def sqlite_foreign_keys_off(connection):
    """On SQLite, switch foreign keys off for the duration (a no-op elsewhere)."""
    if connection.dialect.name != "sqlite":
        yield
        return
    # Straight to the driver: through SQLAlchemy the pragma would open a transaction that
    # Alembic then takes for the caller's and never commits.
    sqlite = connection.connection.driver_connection
    enabled = foreign_keys(sqlite)
    sqlite.execute("PRAGMA foreign_keys=OFF")
    if foreign_keys(sqlite):
        raise RuntimeError(
            "SQLite ignores PRAGMA foreign_keys inside a transaction: hand env.py a "
            "connection that has not written anything yet"
        )
    try:
        yield
    finally:
        if enabled:
            # Ignored if a caller's transaction is still open; the app's engine switches
            # foreign keys on again whenever a connection is checked out of its pool.
            sqlite.execute("PRAGMA foreign_keys=ON")


def foreign_keys(sqlite):
    return sqlite.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def check_foreign_keys(connection):
    """Fail the migration if it left a row pointing at nothing (SQLite only)."""
    if connection.dialect.name != "sqlite":
        return
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"migration left rows with broken foreign keys: {broken}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
