"""`flask db status` and `flask db sql`, Django's showmigrations and sqlmigrate for Alembic;
`flask db repair`, Flyway's repair: the ledger of applied files told of a reviewed edit; and
`flask db lint`: the unsafe operations of pre-deploy revisions (blog.migrating.lint)."""

import inspect
import io
import sys

import click
from alembic import command
from alembic.config import Config
from alembic.script import Script
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from blog.commands.migrate_extension import migrate
from blog.extensions import db
from blog.health import database_revisions
from blog.migrating import ledger
from blog.migrating import lint as revision_lint
from blog.migrating.phases import POST_DEPLOY
from blog.migrating.phases import PhaseError
from blog.migrating.phases import phase

directory_option = click.option(
    "-d", "--directory", default=None, help='Migration script directory (default is "migrations")'
)


def alembic_config(directory: str | None) -> Config:
    config: Config = migrate.get_config(directory)  # Flask-Migrate has no type hints
    return config


def current_revisions() -> tuple[str, ...]:
    """The database's revisions; a one-line error (exit 1) if it cannot be reached."""
    try:
        return database_revisions()
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise click.ClickException(f"cannot read the database's revision: {reason}") from None


@click.command("status")
@directory_option
@with_appcontext
def status(directory: str | None) -> None:
    """Every revision, oldest first, applied or pending on this environment's database,
    with its deploy phase.

    Exits 1 unless the database is at the one head, so scripts can ask "up to date?".
    """
    scripts = ScriptDirectory.from_config(alembic_config(directory))
    heads = scripts.get_heads()
    current = current_revisions()
    known = {script.revision for script in scripts.walk_revisions()}
    applied = set(ledger.applied_scripts(scripts, current))

    with db.engine.connect() as connection:
        changed = ledger.changed(connection, scripts, current)
    edited = {change.revision for change in changed}

    click.echo(f"Database: {db.engine.url.render_as_string(hide_password=True)}")
    try:
        phases = {script.revision: phase(script) for script in scripts.walk_revisions()}
    except PhaseError as error:
        raise click.ClickException(str(error)) from None
    for script in reversed(list(scripts.walk_revisions())):
        mark = (
            "[!]" if script.revision in edited else "[x]" if script.revision in applied else "[ ]"
        )
        click.echo(f"  {mark} {script.revision}  {phases[script.revision]:<11}  {script.doc}")
    click.echo(f"Current: {', '.join(current) or '(none: no migration has run here)'}")
    click.echo(f"Head:    {', '.join(heads)}")

    if changed:
        verdict = f"Changed since applied [!]: {changed[0].message()}."
    elif len(heads) > 1:
        verdict = f"The history has {len(heads)} heads: merge them (flask db merge heads)."
    elif unknown := [revision for revision in current if revision not in known]:
        verdict = (
            f"Ahead of head: the database is at {', '.join(unknown)}, which this release does"
            " not know (a newer release migrated it)."
        )
    elif list(current) == heads:
        click.echo("Up to date.")
        return
    else:
        pending = known - applied
        verdict = f"Behind head: {len(pending)} pending (flask db upgrade)."
        if post := sum(phases[revision] == POST_DEPLOY for revision in pending):
            verdict += (
                f" {post} of them post-deploy: in a deploy, `flask deploy` stops before"
                " them, and `flask deploy --post` runs them once the new release serves"
                " everywhere."
            )
    click.echo(verdict)
    sys.exit(1)


@click.command("repair")
@click.argument("revision")
@directory_option
@with_appcontext
def repair(revision: str, directory: str | None) -> None:
    """Record REVISION's file as it is now, in the ledger of applied revisions.

    Only after review, for an edit that leaves what the revision does as it was (a comment,
    a docstring): a change to what it does needs a new revision instead.
    """
    scripts = ScriptDirectory.from_config(alembic_config(directory))
    try:
        script = scripts.get_revision(revision)
    except CommandError as error:
        raise click.ClickException(str(error)) from None
    if script is None:
        raise click.ClickException(f"no revision {revision!r}")
    with db.engine.begin() as connection:
        if not ledger.repair(connection, script):
            raise click.ClickException(
                f"revision {script.revision} is not applied to this database (or was applied"
                " before the ledger: run flask db upgrade first): nothing to repair"
            )
    click.echo(f"Recorded {ledger.relative_path(script)} as it is now for {script.revision}.")


@click.command("lint")
@directory_option
@with_appcontext
def lint(directory: str | None) -> None:
    """Check every pre-deploy revision for operations the previous release, still serving
    meanwhile, would feel: each with the safe way to do it. Exits 1 if there is one."""
    scripts = list(ScriptDirectory.from_config(alembic_config(directory)).walk_revisions())
    try:
        result = revision_lint.lint(scripts)
    except PhaseError as error:
        raise click.ClickException(str(error)) from None
    for finding in result.findings:
        click.echo(str(finding), err=True)
    reviewed = f", {result.reviewed} reviewed" if result.reviewed else ""
    if result.findings:
        count = len(result.findings)
        raise click.ClickException(
            f"{count} unsafe operation{'s' if count > 1 else ''} in {len(scripts)}"
            f" revisions{reviewed}"
        )
    click.echo(f"{len(scripts)} revisions: no unsafe operation in a pre-deploy one{reviewed}.")


@click.command("sql")
@click.argument("revision", required=False)
@click.option("--down", is_flag=True, help="The SQL of going back from REVISION instead.")
@directory_option
@with_appcontext
def sql(revision: str | None, down: bool, directory: str | None) -> None:
    """Print the SQL that REVISION (default: the pending ones) would run on this
    environment's database engine, without running it."""
    config = alembic_config(directory)
    scripts = ScriptDirectory.from_config(config)
    try:
        target = scripts.get_revision(revision) if revision else None
    except CommandError as error:
        raise click.ClickException(str(error)) from None
    if revision and target is None:
        raise click.ClickException(f"no revision {revision!r}")
    if target is None:  # the pending ones, or the current one's downgrade
        current = current_revisions()
        if down:
            if not current:
                raise click.ClickException("nothing to go back from: no migration has run here")
            target = scripts.get_revision(current[0])
        else:
            head = scripts.get_current_head()
            if list(current) == [head]:
                click.echo("-- Nothing pending: the database is at head.")
                return
            start = current[0] if current else "base"
            render(config, scripts, f"{start}:{head}", down=False)
            return
    below = target.down_revision or "base"
    if not isinstance(below, str):
        raise click.ClickException(f"{target.revision} merges several revisions: give a range")
    steps = f"{target.revision}:{below}" if down else f"{below}:{target.revision}"
    render(config, scripts, steps, down=down)


def render(config: Config, scripts: ScriptDirectory, steps: str, down: bool) -> None:
    """Alembic's offline (--sql) rendering of `steps`; on SQLite, batch operations cannot be
    rendered without reading the table, so the revisions' Python is shown instead."""
    config.output_buffer = io.StringIO()
    try:
        if down:
            command.downgrade(config, steps, sql=True)
        else:
            command.upgrade(config, steps, sql=True)
    except (CommandError, NotImplementedError) as error:
        click.echo(
            f"-- Cannot render this as SQL offline ({first_line(error)});"
            " these are the operations it runs:"
        )
        start, end = steps.split(":")
        lower, upper = (end, start) if down else (start, end)
        for script in reversed(list(scripts.iterate_revisions(upper, lower))):
            show_operations(script, down)
        return
    click.echo(config.output_buffer.getvalue(), nl=False)


def show_operations(script: Script, down: bool) -> None:
    function = script.module.downgrade if down else script.module.upgrade
    click.echo(f"\n# {script.revision}: {script.doc}")
    click.echo(inspect.getsource(function))


def first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
