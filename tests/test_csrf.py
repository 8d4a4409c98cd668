"""CSRF protection, switched on as in development and production."""

import re

import pytest

from blog.models import Category
from blog.models import Post
from tests.helpers import count

# The testing config switches CSRF off for the other tests; here it is on, as everywhere else.
# Writing needs an author signed in: a forged request rides on a signed-in session.
pytestmark = [pytest.mark.options(WTF_CSRF_ENABLED=True), pytest.mark.usefixtures("author")]


def csrf_token(client, url: str) -> str:
    return re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(url).text
    ).group(1)


@pytest.fixture
def author(client, make_user):
    """conftest's author, signed in with the sign-in form's token (CSRF is on here)."""
    account = make_user("ada")
    form = {"name": account.name, "password": account.password}
    token = csrf_token(client, "/auth/sign-in")
    response = client.post("/auth/sign-in", data={**form, "csrf_token": token})
    assert response.status_code == 302, response.text
    return account


@pytest.mark.parametrize(
    ("url", "form"),
    [
        ("/posts/new", {"title": "t", "body": "b"}),
        ("/categories/new", {"name": "Python"}),
    ],
)
def test_a_form_without_a_valid_token_is_a_400_and_writes_nothing(app, client, url, form):
    for token in (None, "forged"):
        data = form if token is None else {**form, "csrf_token": token}
        response = client.post(url, data=data)
        assert response.status_code == 400
        assert "did not come from this site" in response.text
    assert count(app, Post) == count(app, Category) == 0


def test_the_token_from_the_form_is_accepted(app, client):
    token = csrf_token(client, "/posts/new")
    response = client.post("/posts/new", data={"title": "t", "body": "b", "csrf_token": token})
    assert response.status_code == 302
    assert count(app, Post) == 1


def test_delete_needs_the_token(app, client, save, author):
    [post_id] = save(Post(title="Safe", body="b", author_id=author.id))
    assert client.post(f"/posts/{post_id}/delete").status_code == 400
    assert count(app, Post) == 1
    token = csrf_token(client, f"/posts/{post_id}/delete")
    assert client.post(f"/posts/{post_id}/delete", data={"csrf_token": token}).status_code == 302
    assert count(app, Post) == 0
