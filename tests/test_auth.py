"""Authors: signing in and out, who may write what, and the rule against guessing."""

import re

import pytest
from sqlalchemy import func
from sqlalchemy import select

from blog.extensions import db
from blog.models import Category
from blog.models import Post
from blog.models import User
from tests.helpers import PASSWORD

# Every route that writes, as (method, URL); {post} and {category} are filled in.
WRITES = [
    ("GET", "/posts/new"),
    ("POST", "/posts/new"),
    ("GET", "/posts/{post}/edit"),
    ("POST", "/posts/{post}/edit"),
    ("GET", "/posts/{post}/delete"),
    ("POST", "/posts/{post}/delete"),
    ("GET", "/categories/new"),
    ("POST", "/categories/new"),
    ("GET", "/categories/{category}/edit"),
    ("POST", "/categories/{category}/edit"),
    ("GET", "/categories/{category}/delete"),
    ("POST", "/categories/{category}/delete"),
]
WRITE_LINKS = ("New post", "New category", ">Edit<", ">Delete<", ">Rename<", "Sign out")


def counts(app) -> tuple[int, int, list]:
    with app.app_context():
        posts = db.session.scalar(select(func.count()).select_from(Post))
        categories = db.session.scalar(select(func.count()).select_from(Category))
        rows = db.session.execute(select(Post.title, Post.body, Category.name).outerjoin(Category))
        return posts, categories, sorted(rows.all(), key=repr)


@pytest.fixture
def owned(save, make_user):
    """A category, and a post in it by bea (not the signed-in author), at /posts/beas."""
    bea = make_user("bea")
    [category] = save(Category(name="Python"))
    [post] = save(Post(title="Bea's", body="hers", category_id=category, author_id=bea.id))
    return {"post": post, "slug": "beas", "category": category}


@pytest.mark.parametrize(("method", "url"), WRITES)
def test_anonymous_writes_go_to_sign_in_and_write_nothing(app, client, owned, method, url):
    before = counts(app)
    path = url.format(**owned)
    data = {"title": "t", "body": "b", "name": "n", "submit": "1"}
    response = client.open(path, method=method, data=data if method == "POST" else None)
    assert response.status_code == 302
    assert response.location.startswith("/auth/sign-in?next=")
    assert counts(app) == before


@pytest.mark.parametrize("url", ["/", "/posts/{slug}", "/categories/", "/categories/{category}"])
def test_anonymous_readers_see_no_write_links(client, owned, url):
    page = client.get(url.format(**owned))
    assert page.status_code == 200
    assert not [link for link in WRITE_LINKS if link in page.text]
    assert 'href="/auth/sign-in"' in page.text


def test_authors_see_write_links_for_their_own_posts_only(client, save, author, owned):
    [mine] = save(Post(title="Mine", body="b", author_id=author.id))
    own_page = client.get("/posts/mine").text
    assert f'href="/posts/{mine}/edit">Edit<' in own_page
    assert f'href="/posts/{mine}/delete">Delete<' in own_page
    other_page = client.get(f"/posts/{owned['slug']}").text
    assert "<h1>Bea&#39;s</h1>" in other_page
    assert ">Edit<" not in other_page and ">Delete<" not in other_page
    assert "New post" in other_page and "Sign out" in other_page


@pytest.mark.parametrize("action", ["edit", "delete"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_someone_elses_post_is_a_403_and_stays(app, client, author, owned, action, method):
    before = counts(app)
    data = {"title": "Taken", "body": "over", "submit": "1"} if method == "POST" else None
    response = client.open(f"/posts/{owned['post']}/{action}", method=method, data=data)
    assert response.status_code == 403
    assert "Only the author of this post can change it." in response.text
    assert counts(app) == before


def test_a_post_from_before_accounts_is_nobodys_to_change(client, save, author):
    [old] = save(Post(title="Old", body="b"))
    assert client.get(f"/posts/{old}/edit").status_code == 403


def test_a_new_post_is_its_authors(app, client, author):
    response = client.post("/posts/new", data={"title": "Hello", "body": "b"})
    assert response.status_code == 302
    with app.app_context():
        post = db.session.scalar(select(Post))
        assert (post.author_id, post.slug) == (author.id, "hello")
    assert 'by <span class="author">ada</span>' in client.get("/posts/hello").text


def test_sign_in_and_out(client, make_user):
    make_user("ada")
    page = client.get("/auth/sign-in")
    assert page.status_code == 200
    assert '<label for="name">Name</label>' in page.text
    assert '<label for="password">Password</label>' in page.text
    response = client.post("/auth/sign-in", data={"name": "ADA", "password": PASSWORD})
    assert response.status_code == 302 and response.location == "/"
    assert "Signed in as ada." in client.get("/").text
    assert client.post("/auth/sign-out").location == "/"
    home = client.get("/").text
    assert "Signed out." in home and "Sign out" not in home


def test_sign_out_is_a_post(client, author):
    assert client.get("/auth/sign-out").status_code == 405


@pytest.mark.parametrize(
    ("name", "password"), [("ada", "wrong password"), ("nobody", PASSWORD), ("ada", "")]
)
def test_a_wrong_name_or_password_is_refused_alike(client, make_user, name, password):
    make_user("ada")
    response = client.post("/auth/sign-in", data={"name": name, "password": password})
    assert response.status_code == 422
    message = "Enter your password." if not password else "Wrong name or password."
    assert message in response.text
    assert "Sign out" not in client.get("/").text


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/posts/new", "/posts/new"),
        ("/categories/?x=1", "/categories/?x=1"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("\\\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/\t/evil.example", "/"),
        ("http:/evil.example", "/"),
        ("", "/"),
    ],
)
def test_after_sign_in_only_a_local_next_is_followed(client, make_user, target, expected):
    account = make_user("ada")
    response = client.post(
        "/auth/sign-in",
        query_string={"next": target},
        data={"name": account.name, "password": account.password},
    )
    assert response.status_code == 302
    assert response.location == expected


def test_the_sign_in_link_from_a_write_page_comes_back_to_it(client, make_user):
    account = make_user("ada")
    to_sign_in = client.get("/posts/new").location
    response = client.post(to_sign_in, data={"name": account.name, "password": PASSWORD})
    assert response.location == "/posts/new"


def test_passwords_are_stored_hashed(app, make_user):
    account = make_user("ada")
    with app.app_context():
        stored = db.session.get(User, account.id).password_hash
    assert PASSWORD not in stored
    assert re.match(r"(scrypt|pbkdf2):", stored)


def test_a_deleted_users_session_is_anonymous(app, client, author):
    with app.app_context():
        db.session.delete(db.session.get(User, author.id))
        db.session.commit()
    assert client.get("/posts/new").status_code == 302


def test_deleting_a_user_keeps_their_posts_without_author(app, save, make_user):
    account = make_user("ada")
    [post] = save(Post(title="Kept", body="b", author_id=account.id))
    with app.app_context():
        db.session.delete(db.session.get(User, account.id))
        db.session.commit()
        assert db.session.get(Post, post).author_id is None


@pytest.mark.parametrize("name", ["ada\x00", "a" * 65, "two words", "-dash"])
def test_a_name_no_account_can_have_is_just_a_wrong_name(client, make_user, name):
    make_user("ada")
    response = client.post("/auth/sign-in", data={"name": name, "password": PASSWORD})
    assert response.status_code == 422
    assert "Wrong name or password." in response.text or "Field cannot be longer" in response.text


def test_a_new_password_signs_out_every_old_session(client, runner, author):
    assert client.get("/posts/new").status_code == 200
    result = runner.invoke(
        args=["users", "set-password", "ada", "--password-stdin"], input="a-new-password\n"
    )
    assert result.exit_code == 0
    assert client.get("/posts/new").status_code == 302
    assert "Sign out" not in client.get("/").text


@pytest.mark.parametrize(
    "url", ["/?endpoint=x&_external=1", "/categories/{category}?category_id=9"]
)
def test_unknown_arguments_never_reach_the_links(client, owned, url):
    assert client.get(url.format(**owned)).status_code == 200
