"""Flask-Migrate, the `flask db` commands' extension, bound in blog.commands.register_commands:
only an app that runs commands needs it (and Alembic, which it imports)."""

from flask import Flask
from flask_migrate import Migrate

from blog.extensions import db
from blog.migrating.history import MIGRATIONS_DIRECTORY

migrate = Migrate()


def init_migrate(app: Flask) -> None:
    """Bind Flask-Migrate to `app`, on the release's migrations/."""
    migrate.init_app(
        app,
        db,
        directory=str(MIGRATIONS_DIRECTORY),
        render_as_batch=True,
        compare_server_default=True,
    )
