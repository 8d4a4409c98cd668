"""The blog's own `flask` commands: `flask deploy`, `flask seed`, `flask posts render`,
`flask users`, and a `flask db` group with Flask-Migrate's commands and ours
(blog.commands.db)."""

from flask import Flask


def register_commands(app: Flask) -> None:
    """Bind Flask-Migrate; add `flask deploy`, `flask seed`, `flask posts` and `flask users`,
    and replace Flask-Migrate's `flask db` group with one that also backs up (same
    commands, same options).

    A WSGI server runs no command, and its app goes without (create_app's `commands`):
    Flask-Migrate and these modules import Alembic, which would cost each worker about
    9 MB. Hence the imports here, not at the top of the module.
    """
    from blog.auth.cli import users
    from blog.commands import db
    from blog.commands import deploy
    from blog.commands import posts
    from blog.commands import seed
    from blog.commands.migrate_extension import init_migrate

    init_migrate(app)
    app.cli.add_command(deploy.deploy)
    app.cli.add_command(seed.seed)
    app.cli.add_command(posts.posts)
    app.cli.add_command(users)
    app.cli.add_command(db.db_group, "db")
