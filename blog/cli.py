"""The blog's own `flask` commands: `flask deploy`, `flask seed`, `flask users`, and
`flask db` with `backup`, `status`, `sql`, and a `downgrade` that backs a SQLite database
up first."""

import copy

import click
import flask_migrate
from flask import Flask
from flask.cli import with_appcontext
from flask_migrate import cli as migrate_cli
from sqlalchemy.exc import SQLAlchemyError

from blog.auth.cli import users
from blog.backups import BackupError
from blog.backups import backup_sqlite
from blog.health import database_revisions
from blog.health import migration_history
from blog.migration_cli import sql
from blog.migration_cli import status
from blog.seed import seed


def register_commands(app: Flask) -> None:
    """Add `flask deploy`, `flask seed` and `flask users`, and replace Flask-Migrate's
    `flask db` group with one that also backs up (same commands, same options)."""
    app.cli.add_command(deploy)
    app.cli.add_command(seed)
    app.cli.add_command(users)
    app.cli.add_command(db_group, "db")


@click.command("deploy")
@with_appcontext
def deploy() -> None:
    """Migrate the database to head, once per deploy, before the web server starts.

    The migration lock in migrations/env.py makes a second deploy wait for the first;
    any failure exits non-zero, so `flask deploy && gunicorn wsgi:app` never serves a
    database that is not at head.
    """
    try:
        flask_migrate.upgrade()  # exits 1 by itself on a failing migration
        current = database_revisions()
    except SQLAlchemyError as error:
        # The first line names the problem; the rest may repeat the SQL and parameters.
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise click.ClickException(f"deploy failed: {type(error).__name__}: {reason}") from None
    head, _ = migration_history()
    if list(current) != [head]:
        raise click.ClickException(f"deploy failed: the database is at {current}, not {head}")
    click.echo(f"Database at {head} (head): ready to serve.")


@click.command("backup")
@with_appcontext
def backup() -> None:
    """Copy the SQLite database to instance/backups/ (PostgreSQL: use pg_dump)."""
    try:
        path = backup_sqlite()
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backed up the database to {path}")


migrate_downgrade = migrate_cli.downgrade


@click.command(
    "downgrade",
    params=list(migrate_downgrade.params),
    help=f"{migrate_downgrade.help}. On SQLite, backs the database up first.",
)
@click.pass_context
@with_appcontext
def downgrade(ctx: click.Context, **options: object) -> None:
    if not options["sql"]:
        try:
            path = backup_sqlite()
            click.echo(f"Backed up the database to {path} before going back.")
        except BackupError as error:
            click.echo(f"No backup made: {error}.", err=True)
    ctx.invoke(migrate_downgrade, **options)


db_group = copy.copy(migrate_cli.db)
db_group.commands = {
    **migrate_cli.db.commands,
    "backup": backup,
    "downgrade": downgrade,
    "status": status,
    "sql": sql,
}
