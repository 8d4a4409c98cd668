"""The post pages: list, detail with read counts, create, edit, delete, and bad input."""

import html
import re
import threading
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import select

from blog.auth.accounts import create_user
from blog.extensions import db
from blog.health import release_complete
from blog.models import Category
from blog.models import Post
from blog.web.pagination import Cursor
from config import STANDALONE
from tests.helpers import http_post
from tests.helpers import listed_posts
from tests.helpers import listed_titles
from tests.helpers import migrate_to_pre_deploy
from tests.history import insert_post
from tests.history import run_sql

START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
PRE_DEPLOY_PASSWORD = "a password for the pre-deploy tests"


def titles(response) -> list[str]:
    return listed_titles(response.text)


def post_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Post))


def get_post(app, post_id: int) -> Post | None:
    with app.app_context():
        return db.session.get(Post, post_id)


def dated_posts(count: int, **fields) -> list[Post]:
    """`count` posts, one minute apart, "Post 0" the oldest."""
    return [
        Post(
            title=f"Post {i}", body=f"Body {i}", created_at=START + timedelta(minutes=i), **fields
        )
        for i in range(count)
    ]


def test_home_and_posts_list_the_same_posts(client, save):
    save(*dated_posts(2))
    assert titles(client.get("/")) == titles(client.get("/posts/")) == ["Post 1", "Post 0"]


def test_empty_blog_says_so(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "No posts yet." in response.text


def test_list_shows_each_posts_category_and_read_count(client, save):
    [python] = save(Category(name="Python"))
    save(
        Post(title="Typed", body="b", category_id=python, read_count=7),
        Post(title="Loose", body="b"),
    )
    page = client.get("/").text
    assert re.search(r"Typed.*?>Python</a>.*?7 reads", page, re.S)
    assert re.search(r"Loose.*?Uncategorized.*?0 reads", page, re.S)


def link(response, label: str) -> str | None:
    """The href of the pagination link labelled `label` ("Older", "Newer", ...), if any."""
    match = re.search(rf'href="([^"]+)">[^<]*{label}', response.text)
    return html.unescape(match.group(1)) if match else None


def walk_older(client, url: str) -> list[list[str]]:
    """The titles of every page from `url` on, following the Older links."""
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        pages.append(titles(response))
        url = link(response, "Older")
    return pages


def test_list_is_newest_first_a_page_at_a_time(app, client, save):
    app.config["POSTS_PER_PAGE"] = 2
    save(*dated_posts(5))
    assert walk_older(client, "/posts/") == [
        ["Post 4", "Post 3"],
        ["Post 2", "Post 1"],
        ["Post 0"],
    ]


def test_newer_newest_and_oldest_links(app, client, save):
    app.config["POSTS_PER_PAGE"] = 2
    save(*dated_posts(5))
    first = client.get("/posts/")
    assert link(first, "Newer") is None and link(first, "Newest") is None
    oldest = client.get(link(first, "Oldest"))
    assert titles(oldest) == ["Post 1", "Post 0"]
    assert link(oldest, "Older") is None and link(oldest, "Oldest") is None
    newer = client.get(link(oldest, "Newer"))
    assert titles(newer) == ["Post 3", "Post 2"]
    assert link(newer, "Newest") == "/posts/"


def test_following_newer_links_ends_on_the_newest_page(app, client, save):
    app.config["POSTS_PER_PAGE"] = 2
    save(*dated_posts(5))
    url = link(client.get("/posts/"), "Oldest")
    pages = []
    while url:
        response = client.get(url, follow_redirects=True)
        pages.append(titles(response))
        url = link(response, "Newer")
    assert pages == [["Post 1", "Post 0"], ["Post 3", "Post 2"], ["Post 4", "Post 3"]]
    assert response.request.path == "/posts/" and response.request.args == {}


def test_a_newer_cursor_past_the_newest_post_leads_to_the_newest_page(app, client, save):
    [python] = save(Category(name="Python"))
    save(*dated_posts(3, category_id=python))
    response = client.get(f"/posts/?newer={10**17}-1&category={python}")
    assert response.status_code == 302
    assert response.location == f"/posts/?category={python}"


def test_page_size_comes_from_posts_per_page(app, client, save):
    save(*dated_posts(12))
    assert len(titles(client.get("/"))) == 10  # the default
    app.config["POSTS_PER_PAGE"] = 4
    assert len(titles(client.get("/"))) == 4


def test_equal_timestamps_are_neither_skipped_nor_repeated_across_pages(app, client, save):
    app.config["POSTS_PER_PAGE"] = 2
    save(*(Post(title=f"Same {i}", body="b", created_at=START) for i in range(5)))
    pages = walk_older(client, "/posts/")
    assert pages == [["Same 4", "Same 3"], ["Same 2", "Same 1"], ["Same 0"]]


def test_a_deep_page_costs_one_keyset_query_and_no_count(app, client, save, sql):
    app.config["POSTS_PER_PAGE"] = 2
    save(*dated_posts(5))
    older = link(client.get("/"), "Older")
    statements = sql(lambda: client.get(older))
    posts_queries = [s for s in statements if "FROM posts" in s]
    assert len(posts_queries) == 1
    # Where the page starts is a condition on the indexed columns, not a count of rows
    # to skip (SQLite's LIMIT always comes with OFFSET, here 0).
    assert "posts.created_at < " in posts_queries[0]
    assert "count(" not in posts_queries[0].lower()


@pytest.mark.parametrize(
    "query",
    [
        "older=abc",
        "newer=1-",
        "older=-1-2",
        "older=1-99999999999",
    ],
)
def test_a_malformed_cursor_is_a_400_naming_it(client, query):
    response = client.get(f"/posts/?{query}")
    assert response.status_code == 400
    assert f"{query.split('=')[0]}:" in response.text


def test_a_cursor_past_the_year_9999_is_the_last_moment_there_is(client, save):
    save(*dated_posts(2))
    assert titles(client.get("/posts/?older=999999999999999999-1")) == ["Post 1", "Post 0"]


def test_a_cursor_may_name_an_id_past_any_rows(client, save):
    """An id no INTEGER holds (PostgreSQL would refuse it as one) still has its place."""
    save(*dated_posts(2))
    after_both = str(Cursor(START + timedelta(minutes=1), 9_999_999_999))
    assert titles(client.get(f"/posts/?older={after_both}")) == ["Post 1", "Post 0"]


def test_given_both_cursors_older_is_followed_and_newer_ignored(client, save):
    ids = save(*dated_posts(3))
    newest = Cursor(START + timedelta(minutes=2), ids[2])
    alone = client.get(f"/posts/?older={newest}")
    both = client.get(f"/posts/?older={newest}&newer=0-0")
    assert titles(alone) == titles(both) == ["Post 1", "Post 0"]


def test_a_cursor_past_the_end_is_an_empty_page(client, save):
    save(*dated_posts(1))
    response = client.get("/posts/?older=1-1")
    assert response.status_code == 200
    assert titles(response) == []
    assert "No posts yet." in response.text


def test_filter_by_category(client, save):
    python, rust = save(Category(name="Python"), Category(name="Rust"))
    save(
        Post(title="In Python", body="b", category_id=python),
        Post(title="In Rust", body="b", category_id=rust),
    )
    response = client.get(f"/posts/?category={python}")
    assert titles(response) == ["In Python"]
    assert "Posts in Python" in response.text
    assert titles(client.get("/posts/?category=")) == ["In Rust", "In Python"]


def test_filter_keeps_the_category_in_page_links(app, client, save):
    app.config["POSTS_PER_PAGE"] = 1
    [python] = save(Category(name="Python"))
    save(*dated_posts(2, category_id=python), *dated_posts(2))
    pages = walk_older(client, f"/posts/?category={python}")
    assert pages == [["Post 1"], ["Post 0"]]
    assert f"category={python}" in link(client.get(f"/posts/?category={python}"), "Older")


def test_filter_by_unknown_category_is_a_404_and_by_garbage_a_400(client):
    assert client.get("/posts/?category=42").status_code == 404
    response = client.get("/posts/?category=python")
    assert response.status_code == 400
    assert "category: must be a whole number" in response.text


def test_detail_shows_the_post_with_its_category(client, save):
    [python] = save(Category(name="Python"))
    save(Post(title="Hello", body="First line\nsecond line", category_id=python))
    response = client.get("/posts/hello")
    assert response.status_code == 200
    assert "<h1>Hello</h1>" in response.text
    assert "<p>First line\nsecond line</p>" in response.text  # the body, rendered as Markdown
    assert f'href="/categories/{python}">Python</a>' in response.text


def test_every_view_counts_one_read(app, client, save):
    [post_id] = save(Post(title="Counted", body="b"))
    assert "1 read<" in client.get("/posts/counted").text
    assert "2 reads" in client.get("/posts/counted").text
    client.get("/posts/counted")
    assert get_post(app, post_id).read_count == 3


def test_a_read_is_one_atomic_update_in_the_database(client, save, sql):
    save(Post(title="Counted", body="b"))
    statements = sql(lambda: client.get("/posts/counted"))
    updates = [s for s in statements if s.startswith("UPDATE")]
    assert len(updates) == 1
    # The parameter is "?", "%(read_count_1)s::INTEGER" or "%s", by driver.
    assert re.search(r"read_count=\(posts\.read_count \+ [^)]+\)", updates[0])


def test_a_read_is_one_query_and_its_count_a_write_of_its_own(app, client, save, sql):
    """The page's one query fetches the post; its read is counted in the process and
    written apart (blog/posts/reads.py: in the tests' configuration, at once)."""
    [category] = save(Category(name="Python"))
    save(Post(title="Counted", body="b", category_id=category))
    response = None

    def read() -> None:
        nonlocal response
        response = client.get("/posts/counted")

    statements = sql(read)
    assert ">Python</a>" in response.text and "1 read<" in response.text
    assert [s.split()[0] for s in statements] == ["SELECT", "UPDATE"]


@pytest.mark.engines("postgresql")
def test_the_busiest_pages_statements_stand_alone_and_every_write_waits(
    app, client, author, save, sql
):
    """On PostgreSQL a post's page, and a page of posts, go through an engine of their own:
    one statement each, no transaction around it. Every write, read counts included,
    goes through the app's engine, in a transaction that waits for the disk."""
    save(Post(title="Counted", body="b"))
    with app.app_context():
        standalone, main = db.engines[STANDALONE], db.engine
    alone: list[str] = []
    event.listen(standalone, "before_cursor_execute", lambda *args: alone.append(args[2]))
    client.get("/posts/counted")
    client.get("/posts/")
    written = sql(lambda: client.post("/posts/new", data={"title": "T", "body": "b"}))
    assert [statement.split()[0] for statement in alone] == ["SELECT", "SELECT"]
    assert any(statement.startswith("INSERT INTO posts") for statement in written)
    assert len(alone) == 2  # the read count and the new post went through the app's engine
    for engine, alone_in_its_transaction in ((standalone, True), (main, False)):
        with engine.connect() as connection:
            assert connection.connection.driver_connection.autocommit is alone_in_its_transaction
            assert connection.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"
    assert get_post(app, 1).read_count == 1


def test_concurrent_reads_lose_no_count(app, save):
    [post_id] = save(Post(title="Popular", body="b"))
    threads_count, reads_each = 8, 10
    barrier = threading.Barrier(threads_count)
    statuses = []

    def reader():
        client = app.test_client()
        barrier.wait()
        statuses.extend(client.get("/posts/popular").status_code for _ in range(reads_each))

    threads = [threading.Thread(target=reader) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * threads_count * reads_each
    assert get_post(app, post_id).read_count == threads_count * reads_each


def test_a_read_does_not_count_as_an_edit(app, client, save):
    [post_id] = save(Post(title="Read me", body="b"))
    before = get_post(app, post_id).updated_at
    assert client.get("/posts/read-me").status_code == 200
    assert get_post(app, post_id).read_count == 1
    assert get_post(app, post_id).updated_at == before


@pytest.mark.parametrize("url", ["/posts/999", "/posts/0", "/posts/abc", "/posts/99999999999"])
@pytest.mark.usefixtures("author")
def test_unknown_post_is_a_404(client, url):
    for suffix in ("", "/edit", "/delete"):
        assert client.get(url + suffix).status_code == 404


@pytest.mark.usefixtures("author")
def test_create_a_post(app, client, save):
    [python] = save(Category(name="Python"))
    form = {"title": "  Hello  ", "body": "Hi there", "category_id": str(python)}
    response = client.post("/posts/new", data=form, follow_redirects=True)
    assert response.status_code == 200
    assert response.request.path == "/posts/"
    assert "Post “Hello” created." in response.text
    assert titles(response) == ["Hello"]
    with app.app_context():
        post = db.session.scalars(select(Post)).one()
        assert (post.title, post.slug, post.body, post.category_id, post.read_count) == (
            "Hello",
            "hello",
            "Hi there",
            python,
            0,
        )
        assert post.created_at.tzinfo is UTC


@pytest.mark.usefixtures("author")
def test_create_without_a_category(app, client):
    client.post("/posts/new", data={"title": "Loose", "body": "b", "category_id": ""})
    with app.app_context():
        assert db.session.scalars(select(Post)).one().category_id is None


@pytest.mark.usefixtures("author")
def test_new_post_form_offers_the_categories(client, save):
    save(Category(name="Rust"), Category(name="Python"))
    options = re.findall(r"<option[^>]*>(.*?)</option>", client.get("/posts/new").text)
    assert options == ["No category", "Python", "Rust"]


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"title": "", "body": "b"}, "title", "Give the post a title."),
        ({"title": "   ", "body": "b"}, "title", "Give the post a title."),
        (
            {"title": "x" * 201, "body": "b"},
            "title",
            "Field cannot be longer than 200 characters.",
        ),
        ({"title": "t", "body": ""}, "body", "Write something."),
        (
            {"title": "t", "body": "b", "category_id": "42"},
            "category_id",
            "Choose a category from the list.",
        ),
        (
            {"title": "t", "body": "b", "category_id": "abc"},
            "category_id",
            "Choose a category from the list.",
        ),
        (
            {"title": "nul\x00byte", "body": "b"},
            "title",
            "Remove the control characters (such as NUL) from this text.",
        ),
        (
            {"title": "t", "body": "bell\x07"},
            "body",
            "Remove the control characters (such as NUL) from this text.",
        ),
        (
            {"title": "t", "body": "b", "category_id": "0"},
            "category_id",
            "Choose a category from the list.",
        ),
        (
            {"title": "t", "body": "b", "category_id": "99999999999"},
            "category_id",
            "Choose a category from the list.",
        ),
    ],
)
@pytest.mark.usefixtures("author")
def test_create_with_bad_input_shows_the_form_again_and_writes_nothing(
    app, client, form, field, message
):
    response = client.post("/posts/new", data=form)
    assert response.status_code == 422
    errors = re.search(rf'<ul class="errors" id="{field}-errors">(.*?)</ul>', response.text, re.S)
    assert errors and message in errors.group(1)
    assert post_count(app) == 0


@pytest.mark.parametrize(
    "body", ['{"title": 123, "body": true}', '{"title": {"a": 1}}', "[1, 2]", '"abc"', "{"]
)
@pytest.mark.usefixtures("author")
def test_a_json_body_is_not_a_form(app, client, body):
    response = client.post("/posts/new", data=body, content_type="application/json")
    assert response.status_code == 422
    assert post_count(app) == 0


@pytest.mark.usefixtures("author")
def test_a_category_deleted_while_the_post_is_saved_is_a_422(app, client, save, rival):
    [doomed] = save(Category(name="Doomed"))
    with rival("INSERT INTO posts", f"DELETE FROM categories WHERE id = {doomed}"):
        response = client.post(
            "/posts/new", data={"title": "t", "body": "b", "category_id": doomed}
        )
    assert response.status_code == 422
    assert "Choose a category from the list." in response.text
    assert post_count(app) == 0


def test_a_category_deleted_while_an_edit_is_saved_is_a_422(app, client, save, rival, author):
    [doomed] = save(Category(name="Doomed"))
    [post_id] = save(Post(title="Keep", body="b", author_id=author.id))
    with rival("UPDATE posts", f"DELETE FROM categories WHERE id = {doomed}"):
        response = client.post(
            f"/posts/{post_id}/edit", data={"title": "New", "body": "b", "category_id": doomed}
        )
    assert response.status_code == 422
    post = get_post(app, post_id)
    assert (post.title, post.category_id) == ("Keep", None)


@pytest.mark.parametrize(
    "url",
    ["/", "/posts/", "/posts/?older={cursor}", "/posts/?category={category}", "/posts/{post}"],
)
@pytest.mark.options(SCHEMA_CHECK_SECONDS=3600)
def test_the_sql_of_a_page_does_not_grow_with_the_blog(app, client, save, sql, url):
    # A worker reads the database's revision once every SCHEMA_CHECK_SECONDS, not per
    # page: read here once, as a worker that has served before has.
    with app.app_context():
        assert release_complete()

    def queries_for_page() -> int:
        with app.app_context():
            newest = db.session.scalars(select(Post).order_by(Post.id.desc())).first()
        target = url.format(
            cursor=Cursor.of(newest), category=newest.category_id, post=newest.slug
        )
        response = None

        def get() -> None:
            nonlocal response
            response = client.get(target)

        statements = sql(get)
        assert response.status_code == 200
        assert (
            '<li class="post-summary">' in response.text
            or '<article class="post">' in response.text
        )
        return len(statements)

    [python] = save(Category(name="Python"))
    save(*dated_posts(3, category_id=python))
    small = queries_for_page()
    categories = save(*(Category(name=f"Category {i}") for i in range(30)))
    save(*(Post(title=f"p{i}", body="b", category_id=categories[i % 30]) for i in range(200)))
    assert queries_for_page() == small <= 3


@pytest.mark.usefixtures("author")
def test_a_title_of_exactly_200_characters_is_fine(app, client):
    assert client.post("/posts/new", data={"title": "x" * 200, "body": "b"}).status_code == 302
    assert post_count(app) == 1


def test_edit_a_post(app, client, save, author):
    python, rust = save(Category(name="Python"), Category(name="Rust"))
    [post_id] = save(
        Post(
            title="Old",
            body="old body",
            category_id=python,
            author_id=author.id,
            created_at=START,
            updated_at=START,
        )
    )
    form = client.get(f"/posts/{post_id}/edit").text
    assert 'value="Old"' in form and f'<option selected value="{python}">' in form
    response = client.post(
        f"/posts/{post_id}/edit",
        data={"title": "New", "body": "new body", "category_id": str(rust)},
        follow_redirects=True,
    )
    assert response.request.path == "/posts/old"  # the slug stays with the post
    assert "Post updated." in response.text
    assert "Updated <time" in response.text
    post = get_post(app, post_id)
    assert (post.title, post.slug, post.body, post.category_id) == (
        "New",
        "old",
        "new body",
        rust,
    )
    assert post.updated_at > START


def test_edit_with_bad_input_writes_nothing(app, client, save, author):
    [post_id] = save(Post(title="Keep", body="keep", author_id=author.id))
    response = client.post(f"/posts/{post_id}/edit", data={"title": "", "body": "changed"})
    assert response.status_code == 422
    post = get_post(app, post_id)
    assert (post.title, post.body) == ("Keep", "keep")


def test_delete_asks_first_then_deletes(app, client, save, author):
    [post_id] = save(Post(title="Doomed", body="b", author_id=author.id))
    confirm = client.get(f"/posts/{post_id}/delete")
    assert confirm.status_code == 200
    assert f'action="/posts/{post_id}/delete"' in confirm.text
    assert get_post(app, post_id) is not None
    response = client.post(f"/posts/{post_id}/delete", follow_redirects=True)
    assert response.request.path == "/posts/"
    assert "Post “Doomed” deleted." in response.text
    assert get_post(app, post_id) is None


@pytest.mark.usefixtures("author")
def test_flash_messages_are_escaped(client):
    response = client.post(
        "/posts/new", data={"title": "<b>bold</b>", "body": "b"}, follow_redirects=True
    )
    assert "Post “&lt;b&gt;bold&lt;/b&gt;” created." in response.text
    assert "<b>bold</b>" not in response.text


def test_output_is_escaped(client, save):
    save(Post(title="<script>alert(1)</script>", body="<img src=x onerror=alert(1)>"))
    for page in (client.get("/").text, client.get("/posts/script-alert-1-script").text):
        assert "<script>alert" not in page
        assert "<img src=x" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.usefixtures("author")
def test_unicode_round_trips(app, client):
    title = "Grüße, 世界 🐍"
    client.post("/posts/new", data={"title": title, "body": "ünïcödé 🎉"})
    assert title in client.get("/").text


# Slugs: every post is at /posts/<slug>, made from its title when it is written.


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Ça va?", "ca-va"),
        ("Привет, мир", "privet-mir"),
        ("日本語", "ri-ben-yu"),
        ("🐍 🎉", "post"),
        ("2024", "post-2024"),
        ("new", "new-2"),
        ("What\u2019s new?", "whats-new"),
    ],
)
@pytest.mark.usefixtures("author")
def test_a_new_post_is_at_a_slug_made_from_its_title(client, title, slug):
    assert client.post("/posts/new", data={"title": title, "body": "b"}).status_code == 302
    assert listed_posts(client.get("/").text) == [(title, f"/posts/{slug}")]
    page = client.get(f"/posts/{slug}")
    assert page.status_code == 200
    assert html.unescape(re.search(r"<h1>(.*?)</h1>", page.text).group(1)) == title


@pytest.mark.usefixtures("author")
def test_posts_whose_titles_make_one_slug_are_numbered(client):
    for title in ("Hello", "Hello", "hello!", "🐍", "🎉"):
        assert client.post("/posts/new", data={"title": title, "body": "b"}).status_code == 302
    assert listed_posts(client.get("/").text) == [
        ("🎉", "/posts/post-2"),
        ("🐍", "/posts/post"),
        ("hello!", "/posts/hello-3"),
        ("Hello", "/posts/hello-2"),
        ("Hello", "/posts/hello"),
    ]
    assert "<h1>hello!</h1>" in client.get("/posts/hello-3").text


def test_editing_the_title_keeps_the_slug(app, client, save, author):
    """Every link to the post stays valid; the new title's slug stays free for others."""
    [post_id] = save(Post(title="First title", body="b", author_id=author.id))
    response = client.post(f"/posts/{post_id}/edit", data={"title": "Second title", "body": "b"})
    assert response.status_code == 302
    assert response.location == "/posts/first-title"
    assert "<h1>Second title</h1>" in client.get("/posts/first-title").text
    assert client.get("/posts/second-title").status_code == 404
    assert client.get(f"/posts/{post_id}").location == "/posts/first-title"
    client.post("/posts/new", data={"title": "Second title", "body": "b"})
    client.post("/posts/new", data={"title": "First title", "body": "b"})
    with app.app_context():
        slugs = list(db.session.scalars(select(Post.slug).order_by(Post.id)))
    assert slugs == ["first-title", "second-title", "first-title-2"]


def test_a_posts_id_url_redirects_permanently_to_its_slug_url(app, client, save):
    """Links from before slugs keep working. The redirect counts no read; the page does."""
    [post_id] = save(Post(title="Counted", body="b"))
    response = client.get(f"/posts/{post_id}")
    assert response.status_code == 301
    assert response.location == "/posts/counted"
    assert get_post(app, post_id).read_count == 0
    assert "1 read<" in client.get(response.location).text
    assert get_post(app, post_id).read_count == 1


@pytest.mark.parametrize(
    "path",
    [
        "no-such-post",
        "counted-2",
        "Counted",
        "COUNTED",
        "counted-",
        "-counted",
        "counted--2",
        "counted_2",
        "counted.html",
        "counted%20",
        "caf%C3%A9",
        "counted/",
    ],
)
def test_only_a_posts_exact_slug_finds_it(app, client, save, path):
    """An unknown slug, or one no slug can be (uppercase, which MariaDB would compare
    equal; a trailing space, which it would ignore; other characters), is a 404 and
    counts no read."""
    [post_id] = save(Post(title="Counted", body="b"))
    response = client.get(f"/posts/{path}")
    assert response.status_code == 404
    assert get_post(app, post_id).read_count == 0


# Written by another connection just before the app's INSERT, under the slug the app chose.
RIVAL_POST = (
    "INSERT INTO posts (title, body, created_at, updated_at, slug) VALUES"
    " ('Hello', 'theirs', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 'hello')"
)


@pytest.mark.usefixtures("author")
def test_a_slug_taken_while_the_post_is_saved_makes_it_take_the_next(app, client, rival, sql):
    """The app finds `hello` free, and another writer commits a post under it just before
    the app writes its own: the unique index refuses the app's INSERT, and the app tries
    again with `hello-2` instead of failing."""
    response = None

    def create() -> None:
        nonlocal response
        response = client.post("/posts/new", data={"title": "Hello", "body": "mine"})

    with rival("INSERT INTO posts", RIVAL_POST):
        statements = sql(create)
    assert response.status_code == 302
    inserts = [s for s in statements if s.startswith("INSERT INTO posts")]
    assert len(inserts) == 3  # the rival's, the app's refused one, the app's second
    with app.app_context():
        rows = db.session.execute(select(Post.body, Post.slug).order_by(Post.id)).all()
    assert [tuple(row) for row in rows] == [("theirs", "hello"), ("mine", "hello-2")]


def session_cookie(site: str, account) -> str:
    """Sign `account` in over HTTP; the Cookie header that carries its session."""
    form = urlencode({"name": account.name, "password": account.password}).encode()
    response = http_post(f"{site}/auth/sign-in", form, {"Content-Type": FORM})
    assert response.status == 302
    [cookie] = [c for c in response.headers.get_all("Set-Cookie") if c.startswith("session=")]
    return cookie.split(";", 1)[0]


FORM = "application/x-www-form-urlencoded"


def test_two_authors_posting_one_title_at_once_both_succeed(app, site, make_user):
    """Two requests at the same moment on a live server: both may find `same-title`
    free; the one that commits second is refused it by the unique index and takes the
    next slug, so both posts are written."""
    accounts = [make_user("ada"), make_user("bea")]
    cookies = [session_cookie(site, account) for account in accounts]
    form = urlencode({"title": "Same title", "body": "b"}).encode()
    barrier = threading.Barrier(len(cookies))
    statuses = []

    def write(cookie: str) -> None:
        barrier.wait()
        response = http_post(f"{site}/posts/new", form, {"Content-Type": FORM, "Cookie": cookie})
        statuses.append(response.status)

    threads = [threading.Thread(target=write, args=(cookie,)) for cookie in cookies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [302, 302]
    with app.app_context():
        rows = db.session.execute(select(Post.author_id, Post.slug)).all()
    assert sorted(slug for _, slug in rows) == ["same-title", "same-title-2"]
    assert sorted(author for author, _ in rows) == sorted(account.id for account in accounts)


# During a deploy: the pre-deploy revisions are in, and the previous release still serves
# and writes posts without a slug until `flask deploy --post` names them.


@pytest.fixture
def pre_deploy_app(empty_app):
    """The app on a database where `flask deploy` stopped, holding one post the previous
    release wrote: it has no slug."""
    migrate_to_pre_deploy(empty_app)
    insert_post(empty_app, "Old release")
    return empty_app


def test_a_post_without_a_slug_is_shown_at_its_id(pre_deploy_app):
    [(post_id,)] = run_sql(pre_deploy_app, "SELECT id FROM posts")
    client = pre_deploy_app.test_client()
    page = client.get(f"/posts/{post_id}")
    assert page.status_code == 200
    assert "<h1>Old release</h1>" in page.text and "1 read<" in page.text
    assert listed_posts(client.get("/").text) == [("Old release", f"/posts/{post_id}")]


def test_a_post_written_during_the_deploy_gets_a_slug_but_is_linked_at_its_id(
    pre_deploy_app,
):
    """A worker of the previous release, which knows no slug URL, may answer the next
    request: until the deploy is complete, links stay /posts/<id>, and show the post."""
    with pre_deploy_app.app_context():
        create_user("ada", PRE_DEPLOY_PASSWORD)
    client = pre_deploy_app.test_client()
    signed_in = client.post("/auth/sign-in", data={"name": "ada", "password": PRE_DEPLOY_PASSWORD})
    assert signed_in.status_code == 302
    response = client.post("/posts/new", data={"title": "Old release", "body": "b"})
    assert response.status_code == 302
    old, new = run_sql(pre_deploy_app, "SELECT id, slug FROM posts ORDER BY id")
    assert (old.slug, new.slug) == (None, "old-release")
    assert listed_posts(client.get("/").text) == [
        ("Old release", f"/posts/{new.id}"),
        ("Old release", f"/posts/{old.id}"),
    ]
    page = client.get(f"/posts/{new.id}")
    assert page.status_code == 200 and "1 read<" in page.text
    assert "2 reads" in client.get("/posts/old-release").text
