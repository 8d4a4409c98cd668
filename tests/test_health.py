"""/healthz and /readyz: alive, and ready only at the migrations' head."""

import flask_migrate

from tests.databases import dispose
from tests.databases import make_app
from tests.history import HEAD
from tests.history import INITIAL
from tests.history import run_sql


def test_healthz_answers_without_the_database(client):
    response = client.get("/healthz")
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


def test_readyz_one_revision_behind(app):
    with app.app_context():
        flask_migrate.downgrade(revision=INITIAL)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json == {"database": "behind head", "revision": INITIAL, "head": HEAD}


def test_readyz_ahead_of_head_after_a_newer_release_migrated(app):
    run_sql(app, "UPDATE alembic_version SET version_num = 'f00dfeed1234'")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json == {"database": "ahead of head", "revision": "f00dfeed1234", "head": HEAD}


def test_readyz_unreachable_says_so_without_the_url():
    secret = "s3cr3t-password"
    app = make_app(f"postgresql+psycopg://blog:{secret}@127.0.0.1:1/blog?connect_timeout=2")
    response = app.test_client().get("/readyz")
    dispose(app)
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"
    assert secret not in response.text and "127.0.0.1" not in response.text
