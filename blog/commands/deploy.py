"""`flask deploy`: the database migrated for a new release, in the two phases of a deploy
that keeps the site up (blog.migrating.phases)."""

import click
import flask_migrate
from alembic.script import ScriptDirectory
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from blog.commands.migrate_extension import migrate
from blog.extensions import db
from blog.health import database_revisions
from blog.health import migration_history
from blog.migrating import ledger
from blog.migrating.phases import PhaseError
from blog.migrating.phases import deploy_plan
from blog.migrating.phases import pending


@click.command("deploy")
@click.option(
    "--post",
    "post_deploy",
    is_flag=True,
    help="Apply the post-deploy revisions as well, up to head: only once the new release"
    " serves everywhere.",
)
@with_appcontext
def deploy(post_deploy: bool) -> None:
    """Migrate the database for a new release.

    Before the new code serves: the pending pre-deploy revisions, which the previous
    release serves on, so it can keep serving meanwhile. With --post, once the new release
    serves everywhere: the post-deploy ones, up to head. The run lock makes a second
    deploy wait for the first; any failure exits non-zero, so `flask deploy && <start the
    new release>` never serves on a database that release cannot use.
    """
    scripts = ScriptDirectory.from_config(migrate.get_config())
    click.echo(f"Database: {db.engine.url.render_as_string(hide_password=True)}")
    try:
        current = database_revisions()
        known = migration_history().revisions
        if unknown := [revision for revision in current if revision not in known]:
            raise click.ClickException(
                f"deploy failed: the database is at {', '.join(unknown)}, which this release"
                " does not know: a newer release migrated it (deploy that one, or go back"
                " with its code first)"
            )
        with db.engine.connect() as connection:
            if changed := ledger.changed(connection, scripts, current):
                raise click.ClickException(f"deploy failed: {changed[0].message()}")
        if post_deploy:  # the new release serves everywhere: every revision may run now
            targets, waiting = pending(scripts, current), []
        else:
            plan = deploy_plan(scripts, current)
            targets, waiting = plan.pre, plan.post
        if targets:
            flask_migrate.upgrade(revision=targets[-1].revision)  # exits 1 if one fails
        current = database_revisions()
    except PhaseError as error:
        raise click.ClickException(f"deploy failed: {error}") from None
    except SQLAlchemyError as error:
        # The first line names the problem; the rest may repeat the SQL and parameters.
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise click.ClickException(f"deploy failed: {type(error).__name__}: {reason}") from None

    head = scripts.get_current_head()
    expected = waiting[0].down_revision if waiting else head
    if list(current) != [expected]:
        raise click.ClickException(f"deploy failed: the database is at {current}, not {expected}")
    if not waiting:
        click.echo(f"Database at {head} (head): ready to serve.")
        return
    revisions = ", ".join(script.revision for script in waiting)
    click.echo(
        f"Database at {expected} (pre-deploy head): the new release can serve.\n"
        f"Post-deploy {'revision' if len(waiting) == 1 else 'revisions'} waiting: {revisions}."
        " Run `flask deploy --post` once the new release serves everywhere."
    )
