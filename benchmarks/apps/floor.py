"""The blog's floor, timed by benchmarks/pages.py: its extensions, models and migrations
(env.py included), and as many URL rules as it has, but none of its pages, forms, API or
commands. Copied as blog/__init__.py beside copies of those modules; pages.py writes
blog/rules.py, the blog's URL rules as `flask routes` lists them."""

import os

from flask import Flask
from flask_migrate import Migrate

from blog.extensions import csrf
from blog.extensions import db
from blog.extensions import login_manager
from blog.rules import RULES

migrate = Migrate()


def page(**values: object) -> str:
    return "page"


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["TEST_DATABASE_URL"]
    db.init_app(app)
    migrate.init_app(app, db, directory="migrations", render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    for endpoint, rule, methods in RULES:
        app.add_url_rule(rule, endpoint, page, methods=methods)
    return app
