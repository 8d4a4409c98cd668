"""The Flask-Migrate tutorial's one-file app, timed by benchmarks/pages.py for scale: what
`flask db current` costs an app with nothing of its own (the CLI, SQLite's driver,
Alembic's run). Copied as app.py into a directory of its own; its database is app.db in
that directory's instance folder."""

from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///app.db"
db = SQLAlchemy(app)
migrate = Migrate(app, db)


class User(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(128))
