"""Post slugs (blog/slugs.py): made from the title, plain ASCII whatever its script, never
taken twice, and never read as an id or as one of the post pages' own words."""

import re
import unicodedata
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from slugify import slugify
from sqlalchemy import select

from blog.extensions import db
from blog.models import Post
from blog.slugs import BASE_LENGTH
from blog.slugs import SLUG_LENGTH
from blog.slugs import SLUG_PATTERN
from blog.slugs import Slugs
from blog.slugs import base_slug


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("My first post", "my-first-post"),
        ("  Hello,   World!  ", "hello-world"),
        ("Ça va?", "ca-va"),
        ("Grüße aus Köln", "grusse-aus-koln"),
        ("Привет, мир", "privet-mir"),
        ("日本語", "ri-ben-yu"),
        ("What's new", "whats-new"),
        ("What\u2019s new", "whats-new"),
        ("🐍🎉", "post"),
        ("?!", "post"),
        ("", "post"),
        ("2024", "post-2024"),
        ("1 2", "1-2"),
        ("2024-01 report", "2024-01-report"),
        ("snake_case and --dashes--", "snake-case-and-dashes"),
    ],
)
def test_a_title_asks_for_a_slug(title, slug):
    assert base_slug(title) == slug


def test_both_spellings_of_an_accent_make_one_slug():
    composed, decomposed = "Café", unicodedata.normalize("NFD", "Café")
    assert composed != decomposed
    assert base_slug(composed) == base_slug(decomposed) == "cafe"


@pytest.mark.parametrize("title", ["word " * 60, "Привет " * 40, "a-" * 150, "1234567890 " * 20])
def test_a_long_title_stops_at_a_word_and_leaves_room_for_a_number(title):
    slug = base_slug(title)
    assert 0 < len(slug) <= BASE_LENGTH
    assert len(f"{slug}-99999") <= SLUG_LENGTH
    words = slug.split("-")
    assert words == slugify(title).split("-")[: len(words)]  # whole words only


def test_a_single_word_longer_than_a_slug_is_cut():
    assert base_slug("x" * 300) == "x" * BASE_LENGTH


@pytest.mark.parametrize(
    "title",
    ["2024", "007", "Tab\tand\nnewline", "a\x00b", "<b>x</b>", "..", "- - -", "ÆØÅ", "ß", "ﬁ"],
)
def test_every_slug_fits_the_url_pattern_and_is_never_an_id(title):
    slug = base_slug(title)
    assert re.fullmatch(SLUG_PATTERN, slug)
    assert not slug.isdigit()


# On the database: what is taken there decides the numbers.


@pytest.fixture
def slugs(app) -> Iterator[Callable[[], Slugs]]:
    """`slugs()`: a new Slugs on a new connection to the app's database, as a request,
    `flask seed` or a backfill makes one (a connection of its own, which sees what was
    committed before it: MariaDB's reads keep to their transaction's first snapshot)."""
    with app.app_context(), ExitStack() as connections:
        yield lambda: Slugs(connections.enter_context(db.engine.connect()), Post.__table__.c.slug)


def posts_with_slugs(save, *slugs: str) -> None:
    save(*(Post(title=slug, body="b", slug=slug) for slug in slugs))


def test_a_taken_slug_gets_the_next_number(save, slugs):
    posts_with_slugs(save, "hello")
    assert slugs().new("Hello") == "hello-2"
    posts_with_slugs(save, "hello-2")
    named = slugs()
    assert [named.new("Hello"), named.new("hello!"), named.new("Fresh"), named.new("Fresh")] == [
        "hello-3",
        "hello-4",
        "fresh",
        "fresh-2",
    ]


def test_the_number_follows_the_highest_taken_not_other_words(save, slugs):
    """`hello-7` is Hello's seventh; `hello-world-12` and `hello-2x` are other titles'."""
    posts_with_slugs(save, "hello", "hello-7", "hello-world", "hello-world-12", "hello-2x")
    assert slugs().new("Hello") == "hello-8"
    assert slugs().new("Hello world") == "hello-world-13"
    assert slugs().new("Hello 2x") == "hello-2x-2"


@pytest.mark.parametrize(
    ("title", "first", "second"),
    [("new", "new-2", "new-3"), ("🐍", "post", "post-2"), ("2024", "post-2024", "post-2024-2")],
)
def test_reserved_fallback_and_digit_slugs_are_numbered_too(save, slugs, title, first, second):
    """`new` is the new-post form's URL: the first post called "new" is `new-2`."""
    assert slugs().new(title) == first
    posts_with_slugs(save, first)
    assert slugs().new(title) == second


def test_a_title_that_asks_for_another_posts_numbered_slug(save, slugs):
    """ "Hello 2" asks for `hello-2`; when the second "Hello" has it, it numbers its own."""
    posts_with_slugs(save, "hello", "hello-2")
    assert slugs().new("Hello 2") == "hello-2-2"


@pytest.mark.parametrize(
    "titles",
    [["Hello", "Hello", "Hello 2"], ["Hello 2", "Hello", "Hello"], ["🐍", "🎉", "2"]],
)
def test_one_slugs_never_hands_out_a_slug_twice(slugs, titles):
    """A batch (a backfill's, or `flask seed`'s) is named before any of it is written: the
    database cannot tell the second "Hello" that "Hello 2" already took `hello-2`."""
    named = slugs()
    given = [named.new(title) for title in titles]
    assert len(set(given)) == len(given), given


def test_titles_ending_in_numbers_no_slug_has_taken_keep_their_slugs(slugs):
    named = slugs()
    given = [named.new(title) for title in ("Post", "Post", "Post 0", "Post 1", "Post 02")]
    assert given == ["post", "post-2", "post-0", "post-1", "post-02"]


def test_posts_saved_in_one_flush_get_different_slugs(app, save):
    ids = save(
        Post(title="Hello", body="b"),
        Post(title="Hello", body="b"),
        Post(title="Hello 2", body="b"),
    )
    with app.app_context():
        slugs = [db.session.get(Post, post_id).slug for post_id in ids]
    assert len(set(slugs)) == 3
    assert slugs[:2] == ["hello", "hello-2"]


def test_a_saved_post_is_named_once_from_its_title(app, save):
    """The ORM names a new post as it is written; a new title later leaves the slug be."""
    [post_id] = save(Post(title="Counted", body="b"))
    with app.app_context():
        post = db.session.get(Post, post_id)
        assert post.slug == "counted"
        post.title = "Recounted"
        db.session.commit()
    with app.app_context():
        assert db.session.scalar(select(Post.slug).where(Post.id == post_id)) == "counted"
