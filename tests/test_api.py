"""The JSON API: tokens, posts, categories, pages of posts, and one error shape for all.

Every response these tests see is validated against the OpenAPI document (by Schemathesis's
validator), so the document cannot drift from what the API does.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import schemathesis
from sqlalchemy import func
from sqlalchemy import select

from blog.auth.accounts import create_user
from blog.extensions import db
from blog.models import ApiToken
from blog.models import Category
from blog.models import Post
from blog.models import User
from blog.models import utcnow
from blog.web.forms import NO_CONTROL_CHARACTERS
from tests.helpers import PASSWORD
from tests.helpers import Account
from tests.helpers import api_document
from tests.helpers import basic
from tests.helpers import http_post
from tests.helpers import migrate_to_pre_deploy
from tests.helpers import sign_in
from tests.history import insert_post

SCHEMA = schemathesis.openapi.from_dict(api_document())
ERROR = re.compile(r"^(4|5)\d\d$")


class Api:
    """pytest-flask's client, checking every response against the OpenAPI document."""

    def __init__(self, client) -> None:
        self.client = client
        self.token: str | None = None

    def __call__(self, method: str, path: str, token: str | None = "default", **kwargs):
        headers = kwargs.pop("headers", {})
        token = self.token if token == "default" else token
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = self.client.open(path, method=method, headers=headers, **kwargs)
        check(method, path, response)
        return response


def check(method: str, path: str, response) -> None:
    """A documented response for a documented operation; JSON errors everywhere."""
    if response.status_code not in (204, 302):
        assert response.mimetype == "application/json", response.data
    if response.status_code >= 400:
        error = response.json["error"]
        assert error["status"] == response.status_code and error["message"]
    operation = SCHEMA.find_operation_by_path(method, urlsplit(path).path)
    if operation is not None:
        operation.validate_response(response)
    else:  # an unknown path or method: still the one error shape
        assert response.status_code in (404, 405), (method, path, response.status_code)


def rows(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def api(client, make_user):
    """The API client with a token for ada (`api.token`); bea exists too."""
    api = Api(client)
    make_user("ada")
    make_user("bea")
    api.token = token_for(api, "ada")
    return api


def token_for(api: Api, name: str) -> str:
    response = api("POST", "/api/tokens", token=None, headers=basic(name, PASSWORD))
    assert response.status_code == 201
    return response.json["token"]


# Tokens


def test_a_token_for_a_name_and_password(app, api):
    response = api("POST", "/api/tokens", token=None, headers=basic("ADA", PASSWORD))
    assert response.status_code == 201
    token = response.json
    assert token["token_type"] == "Bearer" and len(token["token"]) >= 40
    expires = token["expires_at"]
    with app.app_context():
        stored = db.session.scalar(
            select(ApiToken).where(ApiToken.expires_at > utcnow() + timedelta(minutes=59))
        )
        assert stored.expires_at.isoformat() in (expires, stored.expires_at.isoformat())
        hashes = list(db.session.scalars(select(ApiToken.token_hash)))
    # Stored hashed: the token itself is nowhere in the table.
    assert token["token"] not in hashes
    assert hashlib.sha256(token["token"].encode()).hexdigest() in hashes


@pytest.mark.parametrize(
    "headers",
    [{}, basic("ada", "wrong password"), basic("nobody", PASSWORD), {"Authorization": "Bearer x"}],
)
def test_no_token_without_the_right_name_and_password(app, api, headers):
    before = rows(app, ApiToken)
    response = api("POST", "/api/tokens", token=None, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert rows(app, ApiToken) == before


def test_a_revoked_token_stops_working(app, api):
    assert api("DELETE", "/api/tokens").status_code == 204
    response = api("POST", "/api/categories", json={"name": "Late"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert rows(app, Category) == 0
    assert api("DELETE", "/api/tokens").status_code == 401


def test_an_expired_token_stops_working(app, api):
    with app.app_context():
        for token in db.session.scalars(select(ApiToken)):
            token.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert api("POST", "/api/categories", json={"name": "Late"}).status_code == 401


@pytest.mark.parametrize(
    "authorization", ["Bearer", "Bearer ", "Bearer not-a-token", "Token abc", "Basic abc"]
)
def test_writes_need_a_valid_bearer_token(app, api, authorization):
    response = api(
        "POST",
        "/api/posts",
        token=None,
        headers={"Authorization": authorization},
        json={"title": "t", "body": "b"},
    )
    assert response.status_code == 401
    assert rows(app, Post) == 0


def test_a_deleted_users_tokens_go_with_them(app, api):
    with app.app_context():
        db.session.delete(db.session.scalar(select(User).where(User.name == "ada")))
        db.session.commit()
    assert rows(app, ApiToken) == 0
    assert api("POST", "/api/categories", json={"name": "x"}).status_code == 401


# Posts


def test_write_read_change_and_delete_a_post(api):
    category = api("POST", "/api/categories", json={"name": "Python"}).json
    created = api(
        "POST",
        "/api/posts",
        json={"title": " Hello ", "body": "# Hi\n\n<script>x</script>", "category_id": 1},
    )
    assert created.status_code == 201
    post = created.json
    assert created.headers["Location"] == post["url"] == "/api/posts/hello"
    assert (post["title"], post["slug"], post["html_url"]) == ("Hello", "hello", "/posts/hello")
    assert post["body_html"].startswith("<h1>Hi</h1>")
    assert "<script>" not in post["body_html"]
    assert post["category"] == {"id": 1, "name": "Python", "url": category["url"]}
    assert post["author"]["name"] == "ada"
    assert post["read_count"] == 0

    assert api("GET", post["url"]).json["read_count"] == 1
    assert api("GET", post["url"]).json["read_count"] == 2

    changed = api("PATCH", post["url"], json={"title": "Changed", "category_id": None})
    assert changed.status_code == 200
    assert changed.json["title"] == "Changed" and changed.json["category"] is None
    assert (changed.json["slug"], changed.json["url"]) == ("hello", post["url"])  # kept
    assert changed.json["body"] == post["body"]
    assert changed.json["updated_at"] > post["updated_at"]

    assert api("DELETE", post["url"]).status_code == 204
    assert api("GET", post["url"]).status_code == 404
    assert api("GET", f"/api/posts/{post['id']}").status_code == 404


def test_someone_elses_post_is_a_403_and_stays(app, api, save):
    with app.app_context():
        bea = db.session.scalar(select(User.id).where(User.name == "bea"))
    [post] = save(Post(title="Bea's", body="hers", author_id=bea))
    for method, kwargs in (("PATCH", {"json": {"title": "mine"}}), ("DELETE", {})):
        response = api(method, f"/api/posts/{post}", **kwargs)
        assert response.status_code == 403
        assert response.json["error"]["message"] == "Only the author of this post can change it."
    with app.app_context():
        assert db.session.get(Post, post).title == "Bea's"


def test_reads_are_public(api, save):
    [post] = save(Post(title="Public", body="b"))
    response = api("GET", f"/api/posts/{post}", token=None)
    assert response.status_code == 200
    assert response.json["author"] is None and response.json["category"] is None
    assert api("GET", "/api/posts", token=None).json["items"][0]["title"] == "Public"


@pytest.mark.options(POSTS_PER_PAGE=3)
def test_pages_of_posts_link_to_each_other_like_the_pages(api, save):
    save(*[Post(title=f"Post {i}", body="b") for i in range(7)])
    titles, url, seen = [], "/api/posts", []
    while url:
        page = api("GET", url).json
        seen.append(page["links"])
        titles.append([item["title"] for item in page["items"]])
        url = page["links"]["next"]
    assert titles == [["Post 6", "Post 5", "Post 4"], ["Post 3", "Post 2", "Post 1"], ["Post 0"]]
    assert seen[0]["prev"] is None and seen[0]["self"] == "/api/posts"
    assert re.fullmatch(r"/api/posts\?older=\d+-5", seen[0]["next"])
    # Back again, newer and newer: the same pages.
    back = [item["title"] for item in api("GET", seen[2]["prev"]).json["items"]]
    assert back == ["Post 3", "Post 2", "Post 1"]


def test_posts_of_one_category(api, save):
    [python, other] = save(Category(name="Python"), Category(name="Other"))
    save(Post(title="In", body="b", category_id=python), Post(title="Out", body="b"))
    for url in (f"/api/posts?category={python}", f"/api/categories/{python}/posts"):
        assert [item["title"] for item in api("GET", url).json["items"]] == ["In"]
    assert api("GET", f"/api/categories/{other}/posts").json["items"] == []
    assert api("GET", "/api/posts?category=99").status_code == 404
    assert api("GET", "/api/categories/99/posts").status_code == 404


# Categories


def test_categories_with_post_counts(api, save):
    created = api("POST", "/api/categories", json={"name": "Python"})
    assert created.status_code == 201
    category = created.json
    assert created.headers["Location"] == category["url"]
    save(Post(title="p", body="b", category_id=category["id"]))
    listed = api("GET", "/api/categories").json
    assert [(c["name"], c["post_count"]) for c in listed["items"]] == [("Python", 1)]
    assert api("GET", category["url"]).json["post_count"] == 1
    renamed = api("PATCH", category["url"], json={"name": "Py"})
    assert renamed.status_code == 200 and renamed.json["name"] == "Py"
    assert api("DELETE", category["url"]).status_code == 204
    post = api("GET", "/api/posts").json["items"][0]
    assert post["category"] is None  # kept, uncategorized


@pytest.mark.parametrize("name", ["Python", "python", " PYTHON "])
def test_a_duplicate_category_name_is_a_409(app, api, name):
    api("POST", "/api/categories", json={"name": "Python"})
    response = api("POST", "/api/categories", json={"name": name})
    assert response.status_code == 409
    assert response.json["error"]["fields"] == {
        "name": "A category with this name already exists."
    }
    assert rows(app, Category) == 1
    other = api("POST", "/api/categories", json={"name": "Other"}).json
    assert api("PATCH", other["url"], json={"name": name}).status_code == 409


# Errors: every one JSON, every one writing nothing


NO_CONTROL = NO_CONTROL_CHARACTERS
NOT_AN_ID = "Must be null or a whole number from 1 to 2147483647."


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"title": "This field is required.", "body": "This field is required."}),
        ({"title": 1, "body": True}, {"title": "Must be a string.", "body": "Must be a string."}),
        ({"title": "   ", "body": "b"}, {"title": "Must not be blank."}),
        ({"title": "x" * 201, "body": "b"}, {"title": "Must be at most 200 characters."}),
        ({"title": "t", "body": "b\x00"}, {"body": NO_CONTROL}),
        ({"title": "t", "body": "b", "category_id": "1"}, {"category_id": NOT_AN_ID}),
        ({"title": "t", "body": "b", "category_id": True}, {"category_id": NOT_AN_ID}),
        ({"title": "t", "body": "b", "author_id": 2}, {"author_id": "Unknown field."}),
    ],
)  # fmt: skip
def test_invalid_fields_are_a_422_naming_each(app, api, body, fields):
    response = api("POST", "/api/posts", json=body)
    assert response.status_code == 422
    assert response.json["error"]["fields"] == fields
    assert rows(app, Post) == 0


def test_an_unknown_category_is_a_409_naming_it(app, api):
    """Valid, as far as a document can say, but not with the categories there are."""
    unknown = {"category_id": "No such category."}
    response = api("POST", "/api/posts", json={"title": "t", "body": "b", "category_id": 99})
    assert response.status_code == 409 and response.json["error"]["fields"] == unknown
    post = api("POST", "/api/posts", json={"title": "Kept", "body": "b"}).json
    change = api("PATCH", post["url"], json={"title": "Changed", "category_id": 99})
    assert change.status_code == 409 and change.json["error"]["fields"] == unknown
    assert api("GET", post["url"]).json["title"] == "Kept"
    assert rows(app, Post) == 1


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"data": "{not json", "content_type": "application/json"}, 400),
        ({"data": "title=t&body=b", "content_type": "application/x-www-form-urlencoded"}, 415),
        ({"data": "", "content_type": "text/plain"}, 415),
        ({"json": ["a", "list"]}, 422),
        ({"json": "a string"}, 422),
    ],
)
def test_a_body_that_is_not_a_json_object(app, api, kwargs, status):
    assert api("POST", "/api/posts", **kwargs).status_code == status
    assert api("POST", "/api/categories", **kwargs).status_code == status
    assert rows(app, Post) == rows(app, Category) == 0


@pytest.mark.options(MAX_CONTENT_LENGTH=1024)
def test_a_body_over_the_limit_is_a_413(app, api):
    response = api("POST", "/api/posts", json={"title": "t", "body": "b" * 2000})
    assert response.status_code == 413
    assert rows(app, Post) == 0


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/nothing", 404),
        ("GET", "/api", 404),
        ("GET", "/api/posts/99", 404),
        ("GET", "/api/posts/0", 404),
        ("GET", "/api/posts/abc", 404),
        ("GET", "/api/categories/99", 404),
        ("PUT", "/api/posts", 405),
        ("POST", "/api/posts/1", 405),
        ("GET", "/api/tokens", 405),
        ("GET", "/api/posts?older=nonsense", 400),
        ("GET", "/api/posts?category=x", 400),
    ],
)
def test_unknown_paths_methods_and_arguments(api, method, path, status):
    response = api(method, path, headers={"Accept": "text/html"})
    assert response.status_code == status
    if status == 405:
        assert response.headers["Allow"]


# A view argument the document names otherwise: a post's id or slug, /api/posts/{post}.
PATH_NAMES = {"key": "post"}


def test_the_document_describes_every_route_of_the_api(app):
    documented = {
        (method.upper(), path)
        for path, item in api_document()["paths"].items()
        for method in item
        if method != "parameters"
    }
    routes = {
        (
            method,
            re.sub(r"<(?:\w+:)?(\w+)>", lambda m: f"{{{PATH_NAMES.get(m[1], m[1])}}}", rule.rule),
        )
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert documented == routes


def test_a_script_can_do_everything_from_the_document_alone(client, make_user):
    """Find each operation by its operationId in /api/openapi.json, and use nothing else."""
    make_user("ada")
    spec = client.get("/api/openapi.json").json
    operations = {
        operation["operationId"]: (method.upper(), path)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method != "parameters"
    }

    def call(operation_id: str, token: str | None = None, query=None, **kwargs):
        method, path = operations[operation_id]
        path = path.format(**kwargs.pop("path", {}))
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = client.open(path, method=method, query_string=query, headers=headers, **kwargs)
        check(method, path, response)
        return response

    token = call("createToken", headers=basic("ada", PASSWORD)).json["token"]
    category = call("createCategory", token, json={"name": "Travel"}).json
    for i in range(12):
        post = {"title": f"Day {i}", "body": "**far**", "category_id": category["id"]}
        created = call("createPost", token, json=post).json
    post = call("getPost", path={"post": created["slug"]}).json
    assert post["title"] == "Day 11" and post["body_html"] == "<p><strong>far</strong></p>\n"
    assert call("getPost", path={"post": created["id"]}).json["slug"] == "day-11"
    assert call("getCategory", path={"category_id": category["id"]}).json["post_count"] == 12
    seen, query = [], None
    while True:
        page = call("listPosts", query=query).json
        seen += [item["title"] for item in page["items"]]
        if not page["links"]["next"]:
            break
        query = dict(part.split("=") for part in urlsplit(page["links"]["next"]).query.split("&"))
    assert seen == [f"Day {i}" for i in reversed(range(12))]
    assert call("revokeToken", token).status_code == 204


def test_openapi_document_is_valid_openapi_3_1(client):
    spec = client.get("/api/openapi.json")
    assert spec.status_code == 200
    assert spec.json["openapi"] == "3.1.0"
    loaded = schemathesis.openapi.from_dict(json.loads(spec.data))
    loaded.validate()  # against the OpenAPI 3.1 meta-schema; raises if it does not conform
    broken = schemathesis.openapi.from_dict({**spec.json, "info": {"title": "no version"}})
    with pytest.raises(Exception, match="version"):
        broken.validate()


def test_a_body_that_renders_to_too_much_html_is_a_422(app, api):
    body = "[r]: https://example.org/" + "a" * 500 + "\n\n" + "[r] " * 2500
    response = api("POST", "/api/posts", json={"title": "Big", "body": body})
    assert response.status_code == 422
    assert "renders to more than" in response.json["error"]["fields"]["body"]
    assert rows(app, Post) == 0


@pytest.mark.parametrize(
    "url",
    [
        "/api/posts?endpoint=x&_external=1&_scheme=ftp",
        "/api/categories/1/posts?category_id=2&endpoint=x",
    ],
)
def test_links_carry_only_the_filter_and_cursor(api, save, url):
    save(Category(name="Python"))
    page = api("GET", url)
    assert page.status_code == 200
    assert page.json["links"]["self"] in ("/api/posts", "/api/categories/1/posts")


def test_a_name_no_account_can_have_is_just_a_wrong_name(api):
    response = api("POST", "/api/tokens", token=None, headers=basic("ada\x00", PASSWORD))
    assert response.status_code == 401


def test_a_new_password_revokes_the_old_tokens(app, api, runner):
    result = runner.invoke(
        args=["users", "set-password", "ada", "--password-stdin"], input="a-new-password\n"
    )
    assert result.exit_code == 0
    assert api("POST", "/api/categories", json={"name": "Late"}).status_code == 401


# Slugs: a post is at /api/posts/<slug>, and at /api/posts/<id> too.


def test_a_post_is_read_changed_and_deleted_at_its_slug_or_its_id(app, api):
    created = api("POST", "/api/posts", json={"title": "Hello", "body": "b"}).json
    by_slug, by_id = "/api/posts/hello", f"/api/posts/{created['id']}"
    assert api("GET", by_slug).json["read_count"] == 1
    same = api("GET", by_id)  # not a redirect: the API answers at both
    assert same.status_code == 200 and same.json["read_count"] == 2
    assert same.json["url"] == by_slug
    assert api("PATCH", by_slug, json={"title": "Hi"}).json["title"] == "Hi"
    assert api("PATCH", by_id, json={"body": "c"}).json["slug"] == "hello"
    refused = api("PATCH", by_slug, json={"slug": "mine"})
    assert refused.status_code == 422
    assert refused.json["error"]["fields"] == {"slug": "Unknown field."}
    assert api("DELETE", by_slug).status_code == 204
    assert api("GET", by_id).status_code == api("GET", by_slug).status_code == 404
    assert rows(app, Post) == 0


@pytest.mark.parametrize(
    ("title", "location"),
    [
        ("Привет, мир", "/api/posts/privet-mir"),
        ("日本語", "/api/posts/ri-ben-yu"),
        ("🐍", "/api/posts/post"),
        ("2024", "/api/posts/post-2024"),
        ("new", "/api/posts/new-2"),
    ],
)
def test_a_new_posts_location_is_its_slug_url(api, title, location):
    created = api("POST", "/api/posts", json={"title": title, "body": "b"})
    assert created.status_code == 201
    assert created.headers["Location"] == created.json["url"] == location
    assert api("GET", location).json["title"] == title


def test_posts_of_one_title_are_numbered(api):
    locations = [
        api("POST", "/api/posts", json={"title": title, "body": "b"}).headers["Location"]
        for title in ("Hello", "hello", "HELLO!")
    ]
    assert locations == ["/api/posts/hello", "/api/posts/hello-2", "/api/posts/hello-3"]
    listed = [(item["slug"], item["url"]) for item in api("GET", "/api/posts").json["items"]]
    assert listed == [(url.rsplit("/", 1)[1], url) for url in reversed(locations)]


@pytest.mark.parametrize(
    "slug", ["no-such-post", "hello-2", "Hello", "HELLO", "hello_", "hello-", "hello%20", "héllo"]
)
@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_only_a_posts_exact_slug_finds_it(app, api, method, slug):
    api("POST", "/api/posts", json={"title": "Hello", "body": "b"})
    kwargs = {"json": {"title": "Taken"}} if method == "PATCH" else {}
    assert api(method, f"/api/posts/{slug}", **kwargs).status_code == 404
    post = api("GET", "/api/posts/hello").json
    assert (post["title"], post["read_count"]) == ("Hello", 1)


def test_a_slug_taken_while_the_post_is_saved_makes_it_take_the_next(app, api, rival):
    """Another writer commits `hello` between the app's choosing it and writing it."""
    rival_post = (
        "INSERT INTO posts (title, body, created_at, updated_at, slug) VALUES"
        " ('Hello', 'theirs', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 'hello')"
    )
    with rival("INSERT INTO posts", rival_post):
        created = api("POST", "/api/posts", json={"title": "Hello", "body": "mine"})
    assert created.status_code == 201
    assert created.headers["Location"] == "/api/posts/hello-2"
    assert api("GET", "/api/posts/hello").json["body"] == "theirs"
    assert api("GET", "/api/posts/hello-2").json["body"] == "mine"


def test_two_clients_posting_one_title_at_once_both_succeed(app, site, api):
    """On a live server, at the same moment: both posts are written, under two slugs."""
    tokens = [api.token, token_for(api, "bea")]
    body = json.dumps({"title": "Same title", "body": "b"}).encode()
    barrier = threading.Barrier(len(tokens))
    responses = []

    def write(token: str) -> None:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        barrier.wait()
        responses.append(http_post(f"{site}/api/posts", body, headers))

    threads = [threading.Thread(target=write, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [response.status for response in responses] == [201, 201]
    assert sorted(response.headers["Location"] for response in responses) == [
        "/api/posts/same-title",
        "/api/posts/same-title-2",
    ]
    assert rows(app, Post) == 2


# During a deploy (tests/test_posts.py says more): posts the previous release wrote have
# no slug, and every post's URL is by id until the deploy is complete.

PRE_DEPLOY_PASSWORD = "a password for the pre-deploy tests"


@pytest.fixture
def pre_deploy_api(empty_app):
    """The API on a database where `flask deploy` stopped, with a post the previous
    release wrote ("Old release", no slug); ada's token."""
    migrate_to_pre_deploy(empty_app)
    insert_post(empty_app, "Old release")
    with empty_app.app_context():
        create_user("ada", PRE_DEPLOY_PASSWORD)
    api = Api(empty_app.test_client())
    token = api("POST", "/api/tokens", token=None, headers=basic("ada", PRE_DEPLOY_PASSWORD))
    api.token = token.json["token"]
    return api


def test_a_post_without_a_slug_is_at_its_id(pre_deploy_api):
    [item] = pre_deploy_api("GET", "/api/posts").json["items"]
    post_id = item["id"]
    assert (item["slug"], item["url"], item["html_url"]) == (
        None,
        f"/api/posts/{post_id}",
        f"/posts/{post_id}",
    )
    post = pre_deploy_api("GET", item["url"])
    assert post.status_code == 200
    assert (post.json["title"], post.json["slug"], post.json["read_count"]) == (
        "Old release",
        None,
        1,
    )


def test_a_post_written_during_the_deploy_gets_a_slug_but_its_url_is_by_id(pre_deploy_api):
    created = pre_deploy_api("POST", "/api/posts", json={"title": "Old release", "body": "b"})
    assert created.status_code == 201
    post = created.json
    assert post["slug"] == "old-release"
    assert created.headers["Location"] == post["url"] == f"/api/posts/{post['id']}"
    assert post["html_url"] == f"/posts/{post['id']}"
    assert pre_deploy_api("GET", "/api/posts/old-release").json["id"] == post["id"]


# Limits


@pytest.mark.parametrize(
    ("column", "page", "field", "schema", "path", "rest"),
    [
        (Post.__table__.c.title, "/posts/new", "title", "PostCreate", "/api/posts", {"body": "b"}),
        (
            Category.__table__.c.name,
            "/categories/new",
            "name",
            "CategoryCreate",
            "/api/categories",
            {},
        ),
    ],
    ids=["post title", "category name"],
)
def test_a_limit_has_one_home_the_models_column(app, api, column, page, field, schema, path, rest):
    """The column's length is what the form renders, the API accepts and the document says."""
    limit = column.type.length
    sign_in(api.client, Account(0, "bea"))
    assert f'name="{field}"' in (form := api.client.get(page).text)
    assert re.search(rf'<input[^>]*maxlength="{limit}"[^>]*name="{field}"', form)
    properties = api.client.get("/api/openapi.json").json["components"]["schemas"][schema]
    assert properties["properties"][field]["maxLength"] == limit
    too_long = api("POST", path, json={field: "x" * (limit + 1), **rest})
    assert too_long.status_code == 422
    assert set(too_long.json["error"]["fields"]) == {field}
    assert api("POST", path, json={field: "y" * limit, **rest}).status_code == 201


def test_the_sign_in_name_is_as_long_as_the_users_column(client):
    limit = User.__table__.c.name.type.length
    assert re.search(
        rf'<input[^>]*maxlength="{limit}"[^>]*name="name"', client.get("/auth/sign-in").text
    )


LIMIT_CHANGED = """
import re, sys
import flask_migrate
from blog import create_app
from blog.api import schemas
from blog.posts.forms import PostForm

app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": sys.argv[1], "WTF_CSRF_ENABLED": False})
with app.app_context():
    flask_migrate.upgrade()
with app.test_request_context():
    form = str(PostForm().title)
document = app.test_client().get("/api/openapi.json").json
errors = [schemas.PostCreate().validate({"title": "x" * n, "body": "b"}) for n in (150, 151)]
print(re.search(r'maxlength="(\\d+)"', form)[1])
print(document["components"]["schemas"]["PostCreate"]["properties"]["title"]["maxLength"])
print(sorted(errors[0]), sorted(errors[1]))
"""


def test_a_limit_changed_on_the_model_changes_the_form_the_api_and_the_document(tmp_path):
    """Edit TITLE_LENGTH in a copy of the project, and nothing else: the form's maxlength,
    the API's validation and the document's maxLength all follow."""
    project = Path(__file__).resolve().parent.parent
    for name in ("blog", "migrations"):
        shutil.copytree(project / name, tmp_path / name, ignore=shutil.ignore_patterns("*.db"))
    shutil.copy(project / "config.py", tmp_path)
    models = tmp_path / "blog" / "models.py"
    source = models.read_text()
    assert "\nTITLE_LENGTH = 200\n" in source
    models.write_text(source.replace("\nTITLE_LENGTH = 200\n", "\nTITLE_LENGTH = 150\n"))
    run = subprocess.run(
        [sys.executable, "-c", LIMIT_CHANGED, f"sqlite:///{tmp_path / 'limit.db'}"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.splitlines()[-3:] == ["150", "150", "[] ['title']"]  # after the access log
