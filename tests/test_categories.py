"""The category pages: counts in one query, create, rename, delete keeping the posts."""

import re

import pytest
from sqlalchemy import func
from sqlalchemy import select

from blog.extensions import db
from blog.health import release_complete
from blog.models import Category
from blog.models import Post
from tests.helpers import listed_titles


def category_names(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Category.name).order_by(Category.id)))


def listed(response) -> list[tuple[str, str]]:
    return re.findall(
        r'<a href="/categories/\d+">(.*?)</a>\s*<span class="count">(.*?)</span>', response.text
    )


def test_list_shows_each_category_with_its_post_count(client, save):
    python, rust, _ = save(Category(name="Python"), Category(name="Rust"), Category(name="Go"))
    save(
        Post(title="a", body="b", category_id=python),
        Post(title="c", body="d", category_id=python),
    )
    save(Post(title="e", body="f", category_id=rust), Post(title="loose", body="g"))
    assert listed(client.get("/categories/")) == [
        ("Go", "0 posts"),
        ("Python", "2 posts"),
        ("Rust", "1 post"),
    ]


@pytest.mark.parametrize("page", ["/categories/", "/categories/{category}"])
@pytest.mark.options(SCHEMA_CHECK_SECONDS=3600)
def test_a_category_page_costs_the_same_queries_however_big_the_blog(app, client, save, sql, page):
    # A worker reads the database's revision once every SCHEMA_CHECK_SECONDS, not per
    # page: read here once, as a worker that has served before has.
    with app.app_context():
        assert release_complete()
    [one] = save(Category(name="One"))
    url = page.format(category=one)
    small = sql(lambda: client.get(url))
    ids = save(*(Category(name=f"Category {i}") for i in range(20)))
    save(*(Post(title="p", body="b", category_id=id) for id in [one, *ids] * 10))
    assert len(sql(lambda: client.get(url))) == len(small) <= 2


def test_empty_list_says_so(client):
    assert "No categories yet." in client.get("/categories/").text


def test_detail_lists_the_categorys_posts(client, save):
    python, rust = save(Category(name="Python"), Category(name="Rust"))
    save(
        Post(title="Snake", body="b", category_id=python),
        Post(title="Crab", body="b", category_id=rust),
    )
    response = client.get(f"/categories/{python}")
    assert "<h1>Python</h1>" in response.text
    assert "Snake" in response.text and "Crab" not in response.text


def test_detail_is_paginated(app, client, save):
    app.config["POSTS_PER_PAGE"] = 1
    [python] = save(Category(name="Python"))
    save(*(Post(title=f"P{i}", body="b", category_id=python) for i in range(2)))
    first = client.get(f"/categories/{python}").text
    older = re.search(rf'href="(/categories/{python}\?older=[0-9-]+)"', first).group(1)
    second = client.get(older)
    assert second.status_code == 200
    assert listed_titles(first + second.text) == ["P1", "P0"]
    assert client.get(f"/categories/{python}?older=x").status_code == 400


@pytest.mark.parametrize(
    "url", ["/categories/7", "/categories/7/edit", "/categories/7/delete", "/categories/x"]
)
@pytest.mark.usefixtures("author")
def test_unknown_category_is_a_404(client, url):
    assert client.get(url).status_code == 404


@pytest.mark.usefixtures("author")
def test_create_a_category(app, client):
    response = client.post("/categories/new", data={"name": "  Python "}, follow_redirects=True)
    assert response.status_code == 200
    assert "Category “Python” created." in response.text
    assert re.fullmatch(r"/categories/\d+", response.request.path)
    assert category_names(app) == ["Python"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Give the category a name."),
        ("   ", "Give the category a name."),
        ("x" * 65, "Field cannot be longer than 64 characters."),
        ("nul\x00", "Remove the control characters (such as NUL) from this text."),
    ],
)
@pytest.mark.usefixtures("author")
def test_create_with_a_bad_name_is_a_422_and_writes_nothing(app, client, name, message):
    response = client.post("/categories/new", data={"name": name})
    assert response.status_code == 422
    assert message in response.text
    assert category_names(app) == []


@pytest.mark.parametrize(
    ("existing", "name"),
    [("Python", "Python"), ("Python", "python"), ("Python", " PYTHON "), ("Ärger", "ärger")],
)
@pytest.mark.usefixtures("author")
def test_a_duplicate_name_is_a_409_and_writes_nothing(app, client, save, existing, name):
    save(Category(name=existing))
    response = client.post("/categories/new", data={"name": name})
    assert response.status_code == 409
    assert "A category with this name already exists." in response.text
    assert category_names(app) == [existing]


@pytest.mark.usefixtures("author")
def test_a_json_body_is_not_a_form(app, client):
    response = client.post("/categories/new", json={"name": 5})
    assert response.status_code == 422
    assert category_names(app) == []


@pytest.mark.usefixtures("author")
def test_a_name_taken_by_a_concurrent_request_is_a_409(app, client, rival):
    """Another writer inserts the same name between our check and our INSERT."""
    insert = "INSERT INTO categories (name, created_at) VALUES ('Python', '2026-01-01')"
    with rival("INSERT INTO categories", insert):
        response = client.post("/categories/new", data={"name": "Python"})
    assert response.status_code == 409
    assert "A category with this name already exists." in response.text
    assert category_names(app) == ["Python"]


@pytest.mark.usefixtures("author")
def test_rename_a_category(app, client, save):
    [python] = save(Category(name="Python"))
    assert 'value="Python"' in client.get(f"/categories/{python}/edit").text
    response = client.post(
        f"/categories/{python}/edit", data={"name": "Python 3"}, follow_redirects=True
    )
    assert "Category renamed." in response.text
    assert category_names(app) == ["Python 3"]


@pytest.mark.usefixtures("author")
def test_rename_may_change_only_the_case(app, client, save):
    [python] = save(Category(name="python"))
    assert client.post(f"/categories/{python}/edit", data={"name": "Python"}).status_code == 302
    assert category_names(app) == ["Python"]


@pytest.mark.usefixtures("author")
def test_rename_to_another_categorys_name_is_a_409(app, client, save):
    python, _ = save(Category(name="Python"), Category(name="Rust"))
    response = client.post(f"/categories/{python}/edit", data={"name": "Rust"})
    assert response.status_code == 409
    assert "A category with this name already exists." in response.text
    assert category_names(app) == ["Python", "Rust"]


@pytest.mark.usefixtures("author")
def test_rename_to_blank_is_a_422(app, client, save):
    [python] = save(Category(name="Python"))
    assert client.post(f"/categories/{python}/edit", data={"name": ""}).status_code == 422
    assert category_names(app) == ["Python"]


@pytest.mark.usefixtures("author")
def test_delete_asks_first_and_keeps_the_posts_uncategorized(app, client, save):
    python, rust = save(Category(name="Python"), Category(name="Rust"))
    kept, other = save(
        Post(title="Kept", body="b", category_id=python),
        Post(title="Other", body="b", category_id=rust),
    )
    assert "Its posts stay" in client.get(f"/categories/{python}/delete").text
    response = client.post(f"/categories/{python}/delete", follow_redirects=True)
    assert response.request.path == "/categories/"
    assert "Category “Python” deleted" in response.text
    with app.app_context():
        assert db.session.get(Category, python) is None
        assert db.session.get(Post, kept).category_id is None
        assert db.session.get(Post, other).category_id == rust
        assert db.session.scalar(select(func.count()).select_from(Post)) == 2
    assert "Uncategorized" in client.get("/posts/kept").text
