"""Small helpers the tests share: the API's document, accounts and signing in,
counting rows, `flask db`, where a post is, what a list links to, a database as a deploy
leaves it (before its post-deploy step), waiting for another process, and which library
code a request ran."""

import base64
import http.client
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import flask_migrate
import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select

from blog import create_app
from blog.extensions import db
from blog.models import Post
from tests.history import PRE_DEPLOY_HEAD

PASSWORD = "correct horse battery staple"
ROOT = Path(__file__).resolve().parent.parent


@cache
def api_document() -> dict[str, Any]:
    """The API's OpenAPI document, as /api/openapi.json serves it (no database needed)."""
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return app.test_client().get("/api/openapi.json").json


@dataclass(frozen=True)
class Account:
    id: int
    name: str
    password: str = PASSWORD


def basic(name: str, password: str) -> dict[str, str]:
    """An Authorization header for HTTP Basic."""
    encoded = base64.b64encode(f"{name}:{password}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


def sign_in(client: FlaskClient, account: Account) -> None:
    """Sign `client` in through the sign-in page."""
    response = client.post(
        "/auth/sign-in", data={"name": account.name, "password": account.password}
    )
    assert response.status_code == 302, response.text


def count(app: Flask, model: type[db.Model]) -> int:
    """How many rows `model`'s table has."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def flask_db(app: Flask, *args: str) -> Result:
    """`flask db <args>`, as a developer types it, against `app`'s database."""
    return app.test_cli_runner().invoke(args=["db", *args])


# A post's link in a list: /posts/<slug>, or /posts/<id> for a post without a slug.
LISTED_POST = re.compile(r'<h2><a href="/posts/([a-z0-9-]+)">(.*?)</a></h2>')


def listed_titles(page: str) -> list[str]:
    """The titles a list page links to, in order."""
    return [title for _, title in LISTED_POST.findall(page)]


def listed_posts(page: str) -> list[tuple[str, str]]:
    """Each listed post's title and the URL it links to, (title, "/posts/..."), in order."""
    return [(title, f"/posts/{name}") for name, title in LISTED_POST.findall(page)]


def slug_of(app: Flask, post_id: int) -> str | None:
    with app.app_context():
        return db.session.scalar(select(Post.slug).where(Post.id == post_id))


def post_path(app: Flask, post_id: int) -> str:
    """The post's page, /posts/<slug>, for a post whose title the test does not fix."""
    slug = slug_of(app, post_id)
    assert slug, f"post {post_id} has no slug"
    return f"/posts/{slug}"


def migrate_to_pre_deploy(app: Flask) -> None:
    """Migrate an empty database to where `flask deploy` stops: posts.slug is there, and
    may be NULL for posts the previous release writes meanwhile."""
    with app.app_context():
        flask_migrate.upgrade(revision=PRE_DEPLOY_HEAD)


def http_post(url: str, body: bytes, headers: dict[str, str]) -> http.client.HTTPResponse:
    """POST to a live server (the `site` fixture) over a connection of its own, following
    no redirect; the response, read to its end."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("POST", parts.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response
    finally:
        connection.close()


def serve(
    database_url: str, **environ: str
) -> tuple[subprocess.Popen, int, list[str], threading.Thread]:
    """gunicorn (production, two workers) on a free loopback port, with `environ` added to
    its environment; its stderr is read into a list by a thread, which ends when gunicorn
    does."""
    env = {
        **os.environ,
        "BLOG_CONFIG": "production",
        "DATABASE_URL": database_url,
        "SECRET_KEY": "load-test-secret",
        **environ,
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", "127.0.0.1:0", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    log: list[str] = []
    for line in server.stderr:
        log.append(line)
        if match := re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", line):
            break
    else:
        pytest.fail("gunicorn exited before listening:\n" + "".join(log))
    reader = threading.Thread(target=lambda: log.extend(server.stderr), daemon=True)
    reader.start()
    return server, int(match.group(1)), log, reader


def stop(server: subprocess.Popen, reader: threading.Thread) -> None:
    """Stop a server from `serve` gracefully, and wait for its log's end."""
    server.terminate()
    server.wait(timeout=30)
    reader.join(timeout=30)
    server.stderr.close()


def wait_until(condition: Callable[[], object], seconds: float = 60) -> None:
    """Poll `condition` until it is true; fail the test after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def model_rendering(body: str) -> tuple[str | None, str | None]:
    """The body_html and excerpt the Post model's body setter makes of `body`."""
    post = Post(body=body)
    return post.body_html, post.excerpt


def functions_run(package: str, action: Callable[[], object]) -> set[str]:
    """The names of `package`'s functions that ran during `action()` (seen by a profile
    hook, so nothing is replaced)."""
    ran: set[str] = set()
    folder = f"{os.sep}{package}{os.sep}"

    def watch(frame: Any, event: str, _: object) -> None:
        if event == "call" and folder in frame.f_code.co_filename:
            ran.add(frame.f_code.co_name)

    sys.setprofile(watch)
    try:
        action()
    finally:
        sys.setprofile(None)
    return ran
