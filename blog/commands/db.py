"""`flask db`: Flask-Migrate's group, plus `backup`, `lint`, `repair`, `status`, `sql`, and
a `downgrade` that backs a SQLite database up first."""

import copy

import click
from flask.cli import with_appcontext
from flask_migrate import cli as migrate_cli

from blog.commands.backups import BackupError
from blog.commands.backups import backup_sqlite
from blog.commands.migrations import lint
from blog.commands.migrations import repair
from blog.commands.migrations import sql
from blog.commands.migrations import status


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
def downgrade(ctx: click.Context, /, **options: object) -> None:
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
    "lint": lint,
    "repair": repair,
    "status": status,
    "sql": sql,
}
