"""The blog: an application factory and nothing else that runs at import."""

from collections.abc import Mapping
from typing import Any

from flask import Flask

from blog import api
from blog import auth
from blog import categories
from blog import health
from blog import posts
from blog.commands import register_commands
from blog.extensions import csrf
from blog.extensions import db
from blog.extensions import login_manager
from blog.postgresql import configure_postgresql
from blog.sqlite import configure_sqlite
from blog.web import errors
from blog.web.converters import IdConverter
from blog.web.converters import PostKeyConverter
from blog.web.converters import SlugConverter
from blog.web.logs import register_logging
from blog.web.proxies import register_proxy_fix
from blog.web.rate_limits import register_rate_limits
from blog.web.security import register_security_headers
from blog.web.sessions import register_sessions
from blog.web.templating import register_template_filters
from config import engine_binds
from config import engine_options
from config import get_config


def create_app(
    config_name: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    commands: bool = True,
) -> Flask:
    """Build the app for `config_name` (default: $BLOG_CONFIG, else development).

    `overrides` replaces single settings, for one test. `commands=False` leaves out the
    `flask` commands and Flask-Migrate, for a WSGI server (wsgi.py), which runs none. The
    database is not touched: the schema comes from `flask db upgrade`, never from the app.
    """
    app = Flask(__name__, instance_relative_config=True)
    load_config(app, config_name, overrides)
    register_logging(app)  # first, so its timer starts before any other hook can refuse
    register_proxy_fix(app)
    register_sessions(app)
    register_extensions(app)
    register_rate_limits(app)
    register_url_converters(app)
    register_blueprints(app)
    register_template_filters(app)
    errors.register_error_handlers(app)
    register_security_headers(app)
    if commands:
        register_commands(app)
    return app


def load_config(app: Flask, config_name: str | None, overrides: Mapping[str, Any] | None) -> None:
    """Read the environment's configuration; refuse to go on if it cannot run."""
    app.config.from_object(get_config(config_name))
    app.config.update(overrides or {})
    url, timeout = app.config["SQLALCHEMY_DATABASE_URI"], app.config["DATABASE_CONNECT_TIMEOUT"]
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(url, timeout))
    app.config.setdefault("SQLALCHEMY_BINDS", engine_binds(url, timeout))


def register_extensions(app: Flask) -> None:
    """Bind the bare extensions from blog.extensions to this app (Flask-Migrate, which
    only the commands use, is bound with them)."""
    db.init_app(app)
    csrf.init_app(app)
    csrf.exempt(api.bp)  # bearer tokens, not cookies: nothing for another site to forge
    login_manager.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
        for engine in db.engines.values():
            configure_postgresql(engine)


def register_url_converters(app: Flask) -> None:
    """Add `<id:...>` for row ids, `<slug:...>` for post slugs and `<post_key:...>` for
    either in URLs (before any blueprint uses them)."""
    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["slug"] = SlugConverter
    app.url_map.converters["post_key"] = PostKeyConverter


def register_blueprints(app: Flask) -> None:
    """Mount the pages (`/` shows the post list), sign-in, the JSON API and the health
    checks."""
    app.register_blueprint(posts.bp, url_prefix="/posts")
    app.register_blueprint(categories.bp, url_prefix="/categories")
    app.register_blueprint(auth.bp, url_prefix="/auth")
    api.init_app(app)  # at /api, with its OpenAPI document
    app.register_blueprint(health.bp)
    app.add_url_rule("/", endpoint="index", view_func=posts.routes.index)
