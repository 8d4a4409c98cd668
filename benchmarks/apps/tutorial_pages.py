"""The blog's busiest pages written as the Flask tutorial writes its own, timed by
benchmarks/pages.py beside the blog: the first page of the post list and a post's page,
with the same query on the same database and the same HTML, and nothing else (no ORM, no
session, no sign-in, no CSRF, no request log, no headers, no read count). What the pages
themselves cost; the blog's cost above it is its own code.

`gunicorn benchmarks.apps.tutorial_pages:app`, with TUTORIAL_DATABASE_URL set to
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
LIST = (
    "SELECT posts.id, posts.title, posts.slug,"
    " coalesce(posts.excerpt, substr(posts.body, 1, 300)) AS excerpt, posts.created_at,"
    " posts.read_count, posts.category_id, categories.name AS category_name"
    " FROM posts LEFT OUTER JOIN categories ON posts.category_id = categories.id"
    " ORDER BY posts.created_at DESC, posts.id DESC LIMIT 21"
)
POST = (
    "SELECT posts.*, categories.name AS category_name, users.name AS author_name"
    " FROM posts LEFT OUTER JOIN categories ON categories.id = posts.category_id"
    " LEFT OUTER JOIN users ON users.id = posts.author_id WHERE posts.slug = {}"
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

DETAIL = """{% extends 'base.html' %}
{% block title %}{{ post['title'] }}{% endblock %}
{% block content %}
  <article class="post">
    <h1>{{ post['title'] }}</h1>
    <p class="meta"><time datetime="{{ post['created_at'].isoformat() }}">{{
      post['created_at'].strftime('%Y-%m-%d %H:%M') }} UTC</time>
      · {% if post['category_id'] %}<a href="/categories/{{ post['category_id'] }}">{{
        post['category_name'] }}</a>{% else %}Uncategorized{% endif %}
      · {% if post['author_name'] %}by <span class="author">{{ post['author_name'] }}</span>{%
        else %}by an unknown author{% endif %}
      · <span class="reads">{{ post['read_count'] }} {% if post['read_count'] == 1 %}read{%
        else %}reads{% endif %}</span></p>
    {% if post['body_html'] is not none %}
      <div class="body markdown">{{ post['body_html']|safe }}</div>
    {% else %}
      <div class="body plain">{{ post['body'] }}</div>
    {% endif %}
  </article>
{% endblock %}
"""

app = Flask(__name__)
app.jinja_loader = DictLoader({"base.html": LAYOUT, "index.html": INDEX, "detail.html": DETAIL})
_connection: Any = None


def get_rows(query: str, *parameters: object) -> list[dict[str, Any]]:
    """The query's rows, as dicts with an aware created_at (the blog's timestamps are UTC),
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
    placeholder = "?" if isinstance(_connection, sqlite3.Connection) else "%s"
    query = query.format(placeholder)
    rows = [dict(row) for row in _connection.execute(query, parameters).fetchall()]
    for row in rows:
        # SQLite hands back text, as SQLAlchemy wrote it; PostgreSQL a naive datetime.
        moment = row["created_at"]
        if isinstance(moment, str):
            moment = datetime.fromisoformat(moment)
        row["created_at"] = moment.replace(tzinfo=UTC)
    return rows


@app.get("/")
def index() -> str:
    rows = get_rows(LIST)
    older = f"{int(rows[19]['created_at'].timestamp() * 1_000_000)}-{rows[19]['id']}"
    return render_template("index.html", posts=rows[:20], older=older)


@app.get("/posts/<slug>")
def detail(slug: str) -> str | tuple[str, int]:
    rows = get_rows(POST, slug)
    if not rows:
        return "No such post.", 404
    return render_template("detail.html", post=rows[0])
