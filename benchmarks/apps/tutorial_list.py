"""The blog's rendered post list written as the Flask tutorial writes its index, timed by
benchmarks/pages.py beside the blog: the same query on the same database, the same HTML,
and nothing else (no ORM, no session, no sign-in, no CSRF, no request log, no headers).
What the page itself costs; the blog's cost above it is its own code.

`gunicorn benchmarks.apps.tutorial_list:app`, with TUTORIAL_DATABASE_URL set to
sqlite:///<file> or postgresql://...
"""

import os
import sqlite3
from datetime import UTC
from datetime import datetime
from typing import Any

from flask import Flask
from flask import render_template
from jinja2 import DictLoader

DATABASE_URL = os.environ.get("TUTORIAL_DATABASE_URL", "sqlite:///instance/blog.db")
QUERY = (
    "SELECT posts.id, posts.title, posts.slug,"
    " coalesce(posts.excerpt, substr(posts.body, 1, 300)) AS excerpt, posts.created_at,"
    " posts.read_count, posts.category_id, categories.name AS category_name"
    " FROM posts LEFT OUTER JOIN categories ON posts.category_id = categories.id"
    " ORDER BY posts.created_at DESC, posts.id DESC LIMIT 21"
)

LAYOUT = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{% block title %}{% endblock %} · Blog</title>
  <link rel="stylesheet" href="{{ url_for('static', filename='style.css') }}">
</head>
<body>
  <header class="site-header">
    <a class="brand" href="{{ url_for('index') }}">Blog</a>
    <nav aria-label="Main">
      <a href="{{ url_for('index') }}">Posts</a>
      <a href="{{ url_for('index') }}">Categories</a>
    </nav>
    <div class="account"><a href="{{ url_for('index') }}">Sign in</a></div>
  </header>
  <main>{% block content %}{% endblock %}</main>
</body>
</html>
"""

INDEX = """{% extends 'base.html' %}
{% block title %}Posts{% endblock %}
{% block content %}
  <h1>Posts</h1>
  <ol class="posts">
  {% for post in posts %}
    <li class="post-summary">
      <h2><a href="/posts/{{ post['slug'] }}">{{ post['title'] }}</a></h2>
      <p class="meta"><time datetime="{{ post['created_at'].isoformat() }}">{{
        post['created_at'].strftime('%Y-%m-%d %H:%M') }} UTC</time>
        · {% if post['category_id'] %}<a href="/categories/{{ post['category_id'] }}">{{
          post['category_name'] }}</a>{% else %}Uncategorized{% endif %}
        · <span class="reads">{{ post['read_count'] }} {% if post['read_count'] == 1 %}read{%
          else %}reads{% endif %}</span></p>
      <p class="excerpt">{{ post['excerpt'] | truncate(200) }}</p>
    </li>
  {% endfor %}
  </ol>
  <nav class="pagination" aria-label="Pages">
    <a rel="next" href="{{ url_for('index', older=older) }}">Older →</a>
    <a href="{{ url_for('index', newer='0-0') }}">Oldest »</a>
  </nav>
{% endblock %}
"""

app = Flask(__name__)
app.jinja_loader = DictLoader({"base.html": LAYOUT, "index.html": INDEX})
_connection: Any = None


def get_rows() -> list[dict[str, Any]]:
    """The page's rows, as dicts with an aware created_at (the blog's timestamps are UTC),
    on one connection per worker: the tutorial connects per request, which costs more than
    the page on PostgreSQL and reads the schema again on SQLite."""
    global _connection
    if _connection is None:
        if DATABASE_URL.startswith("sqlite:///"):
            _connection = sqlite3.connect(DATABASE_URL.removeprefix("sqlite:///"))
            _connection.row_factory = sqlite3.Row
        else:
            import psycopg
            from psycopg.rows import dict_row

            _connection = psycopg.connect(DATABASE_URL, autocommit=True, row_factory=dict_row)
    rows = [dict(row) for row in _connection.execute(QUERY).fetchall()]
    for row in rows:
        # SQLite hands back text, as SQLAlchemy wrote it; PostgreSQL a naive datetime.
        moment = row["created_at"]
        if isinstance(moment, str):
            moment = datetime.fromisoformat(moment)
        row["created_at"] = moment.replace(tzinfo=UTC)
    return rows


@app.get("/")
def index() -> str:
    rows = get_rows()
    older = f"{int(rows[19]['created_at'].timestamp() * 1_000_000)}-{rows[19]['id']}"
    return render_template("index.html", posts=rows[:20], older=older)
