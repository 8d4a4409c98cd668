"""The WSGI entry point: `gunicorn wsgi:app`, configured by BLOG_CONFIG and the environment."""

from pathlib import Path

from dotenv import load_dotenv
from gunicorn.errors import AppImportError

# The `flask` command reads .env itself; a WSGI server does not.
load_dotenv(Path(__file__).resolve().parent / ".env")

from blog import create_app  # noqa: E402  (after .env, which may set BLOG_CONFIG)
from blog.web.rate_limits import warn_if_each_worker_counts_alone  # noqa: E402
from config import ConfigError  # noqa: E402

try:
    # A server runs no `flask` command: without them and Flask-Migrate, a worker never
    # imports Alembic (blog.commands.register_commands).
    app = create_app(commands=False)
except ConfigError as error:
    # gunicorn prints an AppImportError as one line and stops, instead of a traceback per
    # worker and a restart loop.
    raise AppImportError(error.format_message()) from None

warn_if_each_worker_counts_alone(app)
