"""The post list's one-second cache: for visitors without a session, and only for them."""

import time

import pytest

from blog.models import Post
from blog.web.page_cache import MAX_PAGES
from tests.helpers import sign_in

# The cache keeps rendered pages; which database they came from does not matter.
pytestmark = [pytest.mark.engines("sqlite"), pytest.mark.options(PAGE_CACHE_SECONDS=2.0)]


def test_a_visitor_may_get_the_list_up_to_the_cache_time_old(app, client, save):
    save(Post(title="First", body="b"))
    assert "First" in client.get("/posts/").text
    save(Post(title="Second", body="b"))
    assert "Second" not in client.get("/posts/").text  # served from the cache
    time.sleep(2.05)
    assert "Second" in client.get("/posts/").text


def test_anyone_with_a_session_gets_a_fresh_list(app, client, save):
    save(Post(title="First", body="b"))
    client.get("/posts/")
    save(Post(title="Second", body="b"))
    client.set_cookie("session", "anything")
    assert "Second" in client.get("/posts/").text


def test_a_page_with_a_message_for_someone_is_never_served_to_another(app, make_user):
    writer, visitor = app.test_client(), app.test_client()
    sign_in(writer, make_user("ada"))
    response = writer.post(
        "/posts/new", data={"title": "Mine", "body": "b"}, follow_redirects=True
    )
    assert "Post “Mine” created." in response.text
    page = visitor.get("/posts/").text
    assert "Mine" in page and "created." not in page


def test_each_page_and_filter_is_cached_apart(app, client, save):
    save(*(Post(title=f"Post {i}", body="b") for i in range(3)))
    app.config["POSTS_PER_PAGE"] = 1
    first, home = client.get("/posts/").text, client.get("/").text
    older = client.get("/posts/?older=1-1").text
    assert "Post 2" in first and "Post 2" in home and "Post 2" not in older


def test_errors_are_not_cached(client):
    assert client.get("/posts/?older=bad").status_code == 400
    assert client.get("/posts/?older=bad").status_code == 400


def test_the_cache_stays_small(app, client, save):
    save(Post(title="Only", body="b"))
    for i in range(MAX_PAGES + 10):
        assert client.get(f"/posts/?older={i + 1}-1").status_code == 200
    assert len(app.extensions["blog.web.page_cache"]) <= MAX_PAGES
