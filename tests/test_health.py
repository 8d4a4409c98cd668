"""/healthz and /readyz: alive, and ready once the database has what this release needs."""

import socket
import time

import flask_migrate
import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from blog.migrating.history import read_history
from blog.models import Post
from tests.databases import dispose
from tests.databases import make_app
from tests.history import HEAD
from tests.history import INITIAL
from tests.history import PREVIOUS_RELEASE
from tests.history import add_revision
from tests.history import run_sql


def test_healthz_answers_without_the_database():
    app = make_app("postgresql+psycopg://blog@127.0.0.1:1/blog", DATABASE_CONNECT_TIMEOUT=1)
    response = app.test_client().get("/healthz")
    dispose(app)
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_at_head(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"database": "ok", "revision": HEAD, "head": HEAD}


def test_readyz_on_an_empty_database_is_behind_head(empty_app):
    response = empty_app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json == {"database": "behind head", "revision": None, "head": HEAD}


def test_readyz_behind_the_pre_deploy_head(app):
    with app.app_context():
        flask_migrate.downgrade(revision=INITIAL)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json == {"database": "behind head", "revision": INITIAL, "head": HEAD}


def test_readyz_between_deploy_and_deploy_post(app, history):
    """The new release serves on its pre-deploy schema while the deploy finishes: here a
    release with a post-deploy revision on top of this history (this one has none)."""
    add_revision(history, "contract", "pass", phase="post-deploy")
    app.extensions["blog.migration_history"] = read_history(history)
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.json == {
        "database": "post-deploy pending",
        "revision": HEAD,
        "head": "contract",
    }


def test_readyz_at_the_previous_releases_head_is_behind(app):
    """This release's revision is pre-deploy: it runs before the release serves."""
    with app.app_context():
        flask_migrate.downgrade(revision=PREVIOUS_RELEASE)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["database"] == "behind head"


def test_readyz_ahead_of_head_while_a_newer_release_deploys(app):
    """During the next deploy, this release keeps serving on the newer pre-deploy schema:
    it stays in the load balancer."""
    run_sql(app, "UPDATE alembic_version SET version_num = 'f00dfeed1234'")
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.json == {"database": "ahead of head", "revision": "f00dfeed1234", "head": HEAD}


def test_readyz_unreachable_says_so_without_the_url():
    secret = "s3cr3t-password"
    app = make_app(f"postgresql+psycopg://blog:{secret}@127.0.0.1:1/blog")
    response = app.test_client().get("/readyz")
    dispose(app)
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"
    assert secret not in response.text and "127.0.0.1" not in response.text


def test_readyz_gives_up_on_a_server_that_never_answers():
    """A host that accepts connections and then says nothing: 503 after the connect
    timeout, not a worker held until gunicorn kills it."""
    silent = socket.create_server(("127.0.0.1", 0))
    port = silent.getsockname()[1]
    app = make_app(f"postgresql+psycopg://blog@127.0.0.1:{port}/blog", DATABASE_CONNECT_TIMEOUT=1)
    start = time.monotonic()
    try:
        response = app.test_client().get("/readyz")
    finally:
        silent.close()
        dispose(app)
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"
    assert time.monotonic() - start < 10


@pytest.mark.engines("postgresql")
def test_pages_survive_a_database_restart(app, client, save):
    """Pooled connections the server has closed are replaced, not reused into a 500."""
    save(Post(title="Still here", body="b"))
    assert client.get("/posts/still-here").status_code == 200
    # From outside the app's pool, as a restart would: every other session of the database.
    outside = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=NullPool)
    with outside.connect() as connection:
        terminated = connection.exec_driver_sql(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).scalar()
    assert terminated >= 1
    assert [client.get("/posts/still-here").status_code for _ in range(3)] == [200] * 3
