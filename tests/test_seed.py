"""`flask seed`: demo content in batches, appended to what is there, never in production:
posts rendered as the Post model renders them, written by a few demo accounts."""

import random
import re
from datetime import timedelta
from html import unescape
from itertools import pairwise

import flask_migrate
import pytest
from sqlalchemy import event
from sqlalchemy import select

from blog import create_app
from blog.auth.accounts import MAX_PASSWORD_LENGTH
from blog.auth.accounts import MIN_PASSWORD_LENGTH
from blog.commands import seed as seed_module
from blog.extensions import db
from blog.models import Category
from blog.models import Post
from blog.models import User
from blog.models import utcnow
from blog.slugs import base_slug
from tests.databases import dispose
from tests.helpers import PASSWORD
from tests.helpers import count
from tests.helpers import model_rendering
from tests.helpers import post_path

DEMO_AUTHORS = list(seed_module.DEMO_AUTHORS)
NEW_ACCOUNTS = re.compile(r"Demo accounts (.+) sign in with this password:\n(\S+)\n")


def seed(runner, *args: str, input: str | None = None):
    return runner.invoke(args=["seed", *args], input=input)


def posts(app) -> list[Post]:
    with app.app_context():
        return list(db.session.scalars(select(Post).order_by(Post.id)))


def category_names(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Category.name).order_by(Category.id)))


def test_seed_writes_the_posts_and_categories_asked_for(app, runner):
    result = seed(runner, "--posts", "30", "--categories", "4")
    assert result.exit_code == 0, result.output
    assert count(app, Post) == 30
    assert category_names(app) == ["Python", "Databases", "Travel notes", "Web development"]
    assert "Seeding posts" in result.output
    summary = result.output.strip().splitlines()[-1]
    assert summary.startswith("Seeded 30 posts and 4 categories into the testing database in ")


def test_ids_ascend_with_created_at_over_the_past(app, runner):
    before = utcnow()
    assert seed(runner, "--posts", "40", "--categories", "3").exit_code == 0
    seeded = posts(app)
    times = [post.created_at for post in seeded]
    assert times == sorted(times)
    assert len(set(times)) == len(times)
    assert times[-1] <= utcnow()
    assert before - times[0] > timedelta(days=365)  # spread over more than a year
    assert all(post.updated_at == post.created_at for post in seeded)


def test_titles_and_bodies_are_realistic_and_fit_their_columns(app, runner):
    assert seed(runner, "--posts", "50", "--categories", "2", "--seed", "3").exit_code == 0
    seeded = posts(app)
    assert all(0 < len(post.title) <= 200 for post in seeded)
    assert all(post.body.strip() for post in seeded)
    assert any("\n\n" in post.body for post in seeded)  # some have several paragraphs
    assert len({post.title for post in seeded}) > 10
    assert all(post.read_count >= 0 for post in seeded)
    assert {post.category_id for post in seeded} >= {1, 2}


def test_more_categories_than_the_word_list_get_numbered_names(app, runner):
    words = list(seed_module.CATEGORY_NAMES)
    wanted = len(words) + 5
    assert seed(runner, "--posts", "0", "--categories", str(wanted)).exit_code == 0
    names = category_names(app)
    assert len(names) == wanted
    assert len({name.casefold() for name in names}) == wanted
    assert all(len(name) <= 64 for name in names)
    assert names[: len(words)] == words
    assert names[len(words) :] == [f"{word} 2" for word in words[:5]]


def test_existing_data_is_kept_and_taken_names_skipped_case_insensitively(app, runner, save):
    [python] = save(Category(name="pYTHON"))
    [old] = save(Post(title="Mine", body="Kept", category_id=python))
    result = seed(runner, "--posts", "20", "--categories", "2")
    assert result.exit_code == 0, result.output
    assert category_names(app) == ["pYTHON", "Databases", "Travel notes"]
    everything = posts(app)
    assert len(everything) == 21
    first = everything[0]
    assert (first.id, first.title, first.body, first.category_id) == (old, "Mine", "Kept", python)
    assert all(post.id > old for post in everything[1:])


def test_without_categories_posts_are_uncategorized(app, runner):
    assert seed(runner, "--posts", "15", "--categories", "0").exit_code == 0
    assert count(app, Category) == 0
    assert {post.category_id for post in posts(app)} == {None}


def test_without_new_categories_posts_use_the_existing_ones(app, runner, save):
    [travel] = save(Category(name="Travel"))
    # Seeded, so that some of the posts certainly come out uncategorized (one in ten does).
    assert seed(runner, "--posts", "100", "--categories", "0", "--seed", "7").exit_code == 0
    assert count(app, Category) == 1
    assert {post.category_id for post in posts(app)} == {None, travel}


def test_posts_go_in_batches_of_one_transaction_each(app, runner, monkeypatch):
    monkeypatch.setattr(seed_module, "BATCH_SIZE", 7)
    with app.app_context():
        engine = db.engine
    commits = []

    def count_commit(connection) -> None:
        commits.append(connection)

    event.listen(engine, "commit", count_commit)
    try:
        assert seed(runner, "--posts", "23", "--categories", "9").exit_code == 0
    finally:
        event.remove(engine, "commit", count_commit)
    assert len(commits) == 1 + 1 + 4  # the accounts, the categories, 7 + 7 + 7 + 2 posts
    assert count(app, Category) == 9
    seeded = posts(app)
    assert len(seeded) == 23
    assert [post.created_at for post in seeded] == sorted(post.created_at for post in seeded)


def test_the_same_seed_writes_the_same_content(app, runner):
    assert seed(runner, "--posts", "10", "--categories", "3", "--seed", "42").exit_code == 0
    assert seed(runner, "--posts", "10", "--categories", "0", "--seed", "42").exit_code == 0
    first, second = posts(app)[:10], posts(app)[10:]

    def content(post: Post) -> tuple:
        return (
            post.title,
            post.body,
            post.body_html,
            post.excerpt,
            post.category_id,
            post.author_id,
            post.read_count,
        )

    assert [content(post) for post in first] == [content(post) for post in second]


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--posts", "-1"], "Invalid value for '--posts': -1 is not in the range x>=0."),
        (["--categories", "-2"], "Invalid value for '--categories': -2 is not in the range x>=0."),
        (["--posts", "many"], "Invalid value for '--posts': 'many' is not a valid count."),
    ],
)
def test_invalid_options_are_refused_and_write_nothing(app, runner, args, error):
    result = seed(runner, *args)
    assert result.exit_code == 2
    assert f"Error: {error}" in result.output.splitlines()
    assert count(app, Post) == count(app, Category) == count(app, User) == 0


@pytest.fixture
def production_app(monkeypatch, tmp_path):
    """The production app on a migrated SQLite file."""
    monkeypatch.setenv("SECRET_KEY", "a-long-random-secret-for-this-test")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'production.db'}")
    app = create_app("production")
    with app.app_context():
        flask_migrate.upgrade()
    yield app
    dispose(app)


def test_production_is_refused_without_force(production_app):
    result = seed(production_app.test_cli_runner(), "--posts", "5", "--categories", "2")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Error: refusing to seed the production database: pass --force if you mean it"
    ]
    assert count(production_app, Post) == count(production_app, Category) == 0
    assert count(production_app, User) == 0


def test_production_is_seeded_with_force(production_app):
    runner = production_app.test_cli_runner()
    result = seed(runner, "--posts", "5", "--categories", "2", "--force")
    assert result.exit_code == 0, result.output
    assert count(production_app, Post) == 5
    assert count(production_app, Category) == 2
    assert NEW_ACCOUNTS.search(result.output)


def test_seeded_posts_get_slugs_from_their_titles_numbered_past_what_is_there(app, runner, save):
    """The demo data repeats its titles: each post still gets its own slug, and a second
    run (the same titles again) numbers its slugs on from the first run's."""
    save(Post(title="Mine", body="Kept"))
    for _ in range(2):
        assert seed(runner, "--posts", "60", "--categories", "0", "--seed", "5").exit_code == 0
    everything = posts(app)
    slugs = [post.slug for post in everything]
    assert len(set(slugs)) == len(slugs) == 121
    assert slugs[0] == "mine"
    for post in everything:
        base = base_slug(post.title)
        assert post.slug == base or re.fullmatch(rf"{base}-\d+", post.slug), post.slug
    first_run, second_run = everything[1:61], everything[61:]
    for first, second in zip(first_run, second_run, strict=True):
        assert first.title == second.title and first.slug != second.slug


def test_seeded_posts_are_stored_as_the_model_renders_their_bodies(app, runner):
    """Each post's HTML is its pooled paragraphs' HTML joined: the same as rendering the
    whole body, for every kind of paragraph, as the Post model does when a body is set."""
    assert seed(runner, "--posts", "400", "--categories", "0", "--seed", "11").exit_code == 0
    seeded = posts(app)
    for post in seeded:
        assert (post.body_html, post.excerpt) == model_rendering(post.body), post.id
    bodies = "\n\n".join(post.body for post in seeded)
    for markup in ("\n- ", "\n## ", "\n> ", "\n```", "**", "*defaults matter*", "`make test`"):
        assert markup in bodies, markup
    assert any(len(post.body) > seed_module.EXCERPT_LENGTH for post in seeded)  # cut short


def test_a_list_never_follows_a_list():
    """Two lists in a row would render as one (loose) list, not as their HTML joined."""
    content = seed_module.Content(random.Random(5))
    lists = 0
    for _ in range(2_000):
        paragraphs = content.body()[0].split("\n\n")
        for first, second in pairwise(paragraphs):
            assert not (first.startswith("- ") and second.startswith("- ")), paragraphs
        lists += sum(paragraph.startswith("- ") for paragraph in paragraphs)
    assert lists > 200


def new_accounts(output: str) -> tuple[list[str], str]:
    """The names and the password that seeding says the new demo accounts have."""
    match = NEW_ACCOUNTS.search(output)
    assert match, output
    return match.group(1).split(", "), match.group(2)


def users(app) -> dict[str, tuple[int, str]]:
    """Every user's name, with their id and password hash."""
    with app.app_context():
        rows = db.session.execute(select(User.name, User.id, User.password_hash))
        return {name: (user_id, password_hash) for name, user_id, password_hash in rows}


def signs_in(app, name: str, password: str) -> bool:
    response = app.test_client().post("/auth/sign-in", data={"name": name, "password": password})
    return response.status_code == 302


def test_posts_are_spread_over_demo_accounts_with_a_random_password(app, runner):
    result = seed(runner, "--posts", "60", "--categories", "0", "--seed", "2")
    assert result.exit_code == 0, result.output
    names, password = new_accounts(result.output)
    assert names == DEMO_AUTHORS
    assert re.fullmatch(r"[A-Za-z0-9_-]{16}", password)
    assert result.output.count(password) == 1  # printed once
    accounts = users(app)
    assert sorted(accounts) == sorted(DEMO_AUTHORS)
    assert all(signs_in(app, name, password) for name in DEMO_AUTHORS)
    authors = [post.author_id for post in posts(app)]
    assert set(authors) == {user_id for user_id, _ in accounts.values()}


def test_another_run_reuses_the_accounts_and_keeps_their_passwords(app, runner):
    first = seed(runner, "--posts", "10", "--categories", "0")
    _, password = new_accounts(first.output)
    before = users(app)
    second = seed(runner, "--posts", "10", "--categories", "0")
    assert second.exit_code == 0, second.output
    assert not NEW_ACCOUNTS.search(second.output)
    assert "password:" not in second.output
    assert (
        "Existing demo accounts kept, their passwords unchanged:"
        f" {', '.join(DEMO_AUTHORS)} (`flask users set-password NAME` sets one)."
    ) in second.output.splitlines()
    assert users(app) == before
    assert signs_in(app, "grace", password)
    ids = {user_id for user_id, _ in before.values()}
    assert {post.author_id for post in posts(app)[10:]} <= ids


def test_accounts_of_those_names_are_reused_whatever_their_case(app, runner, make_user):
    """A user that already has a demo name keeps their account and password: only the
    missing accounts are made, and the message names each kind."""
    grace = make_user("Grace")
    result = seed(runner, "--posts", "40", "--categories", "0", "--seed", "4")
    assert result.exit_code == 0, result.output
    names, password = new_accounts(result.output)
    assert names == [name for name in DEMO_AUTHORS if name != "grace"]
    assert "Existing demo accounts kept, their passwords unchanged: Grace (" in result.output
    assert sorted(users(app)) == sorted(["Grace", *names])
    assert signs_in(app, "Grace", PASSWORD)
    assert not signs_in(app, "Grace", password)
    assert grace.id in {post.author_id for post in posts(app)}


def test_the_password_can_come_from_standard_input(app, runner):
    chosen = "a demo password for the team"
    result = seed(runner, "--posts", "5", "--password-stdin", input=f"{chosen}\nignored\n")
    assert result.exit_code == 0, result.output
    assert chosen not in result.output
    assert (
        f"Demo accounts {', '.join(DEMO_AUTHORS)} sign in with the password from standard input."
        in result.output.splitlines()
    )
    assert all(signs_in(app, name, chosen) for name in DEMO_AUTHORS)


@pytest.mark.parametrize(
    ("stdin", "error"),
    [
        ("", f"A password needs at least {MIN_PASSWORD_LENGTH} characters."),
        ("short\n", f"A password needs at least {MIN_PASSWORD_LENGTH} characters."),
        (
            "x" * (MAX_PASSWORD_LENGTH + 1),
            f"A password has at most {MAX_PASSWORD_LENGTH} characters.",
        ),
    ],
    ids=["empty", "short", "long"],
)
def test_an_unfit_password_is_refused_and_nothing_written(app, runner, stdin, error):
    result = seed(runner, "--posts", "5", "--password-stdin", input=stdin)
    assert result.exit_code == 1
    assert result.output.splitlines() == [f"Error: {error}"]
    assert count(app, Post) == count(app, Category) == count(app, User) == 0


EXCERPT = re.compile(r'<p class="excerpt">(.*?)</p>', re.S)


def test_list_excerpts_show_no_markdown(app, runner, client):
    assert seed(runner, "--posts", "50", "--categories", "3", "--seed", "8").exit_code == 0
    app.config["POSTS_PER_PAGE"] = 50
    excerpts = [unescape(excerpt) for excerpt in EXCERPT.findall(client.get("/").text)]
    assert len(excerpts) == 50
    for excerpt in excerpts:
        assert "**" not in excerpt and "`" not in excerpt and "##" not in excerpt, excerpt
        assert not re.search(r"(^|\s)- ", excerpt), excerpt
    # The bodies' first lines have all that markup: the excerpts left it out.
    starts = "".join(post.body[: seed_module.EXCERPT_LENGTH] for post in posts(app))
    assert "**" in starts and "`" in starts and "\n- " in starts and "\n## " in starts


def test_post_pages_show_rendered_markdown_and_an_author(app, runner, client):
    assert seed(runner, "--posts", "50", "--categories", "0", "--seed", "9").exit_code == 0
    seeded = posts(app)
    for markup, tag in (("**", "<strong>"), ("`", "<code>"), ("\n- ", "<li>")):
        post = next(post for post in seeded if markup in post.body)
        page = client.get(post_path(app, post.id)).text
        assert tag in page, markup
        assert markup.strip() not in page[page.index('<div class="body') :]
        assert "an unknown author" not in page
        [author] = re.findall(r'by <span class="author">(\w+)</span>', page)
        assert author in DEMO_AUTHORS
