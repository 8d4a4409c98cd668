"""Alembic environment for Flask-Migrate: Flask-Migrate's template, with the run itself in
blog.migrating (the run lock, transactions, short lock waits, SQLite's foreign keys).

A connection (or an Engine) handed in through ``config.attributes["connection"]`` is used
instead of the app's engine, so tools such as pytest-alembic can migrate their own
database. Logging is configured without disabling the app's existing loggers.
"""

import logging
from collections.abc import Iterable
from logging.config import fileConfig

import click
from alembic import context
from alembic.operations.ops import MigrationScript
from alembic.runtime.migration import MigrationContext
from flask import current_app
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.engine import Engine

from blog.migrating.autogenerate import expression_indexes_unreflected
from blog.migrating.autogenerate import include_object
from blog.migrating.autogenerate import render_item
from blog.migrating.ledger import is_not_ledger
from blog.migrating.rename_guard import as_comment
from blog.migrating.rename_guard import rename_warnings
from blog.migrating.run import run_offline
from blog.migrating.run import run_online

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging, leaving the app's loggers alone.
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")


def get_engine() -> Engine:
    # Flask-SQLAlchemy 3 (the template's get_engine() fallback is deprecated there).
    db: SQLAlchemy = current_app.extensions["migrate"].db
    return db.engine


def get_engine_url() -> str:
    return get_engine().url.render_as_string(hide_password=False).replace("%", "%%")


# add your model's MetaData object here
# for 'autogenerate' support
config.set_main_option("sqlalchemy.url", get_engine_url())
target_db: SQLAlchemy = current_app.extensions["migrate"].db


def get_metadata() -> MetaData:
    if hasattr(target_db, "metadatas"):
        return target_db.metadatas[None]
    return target_db.metadata


def run_migrations_offline() -> None:
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    run_offline(context, get_engine().dialect.name, url=url, target_metadata=get_metadata())


def run_migrations_online() -> None:
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(
        context: MigrationContext,
        revision: str | Iterable[str | None],
        directives: list[MigrationScript],
    ) -> None:
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            upgrade_ops = script.upgrade_ops
            assert upgrade_ops is not None  # autogenerate writes one
            if upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")
                return
            # A rename looks like a drop and an add: say so, here and in the script
            # (script.py.mako writes the comment); the operations stay as generated.
            warnings = rename_warnings(upgrade_ops)
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
    dialect = connectable.dialect.name
    # SQLite cannot reflect the models' indexes on an expression; they are compared by
    # name instead (blog/migrating/autogenerate.py).
    with expression_indexes_unreflected(get_metadata(), dialect):
        run_online(
            context,
            connectable,
            **conf_args,
            target_metadata=get_metadata(),
            render_item=render_item,
            # The ledger of applied files is the runs' own, like alembic_version: no model
            # has it.
            include_name=is_not_ledger,
            # The indexes the models build on other engines only.
            include_object=include_object(dialect),
        )


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
