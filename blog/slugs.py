"""Post slugs: the readable, unique names in post URLs (`/posts/my-first-post`).

A slug is made from the title when a post is written, and kept when the title changes, so
every link to the post stays valid. Non-ASCII titles are transliterated (python-slugify,
with text-unidecode): "Ça va?" is `ca-va`, "Привет, мир" `privet-mir`, "日本語" `ri-ben-yu`.
A URL then stays plain ASCII that every client, log and terminal shows the same, and two
spellings of one letter (é, or e and a combining accent) never make two slugs. A title
with nothing left (only emoji or punctuation) gets `post`. A slug that is taken gets the
next number: `my-first-post-2`, `-3`... A slug is never all digits, which would read as a
post's id (`2024` is `post-2024`), nor a word the post URLs use (`new` is `new-2`).

The queries here take the slug column as an argument, so that a revision can use them on
its own table() and never import the models, which change after it is written. Released
revisions import this module: it stays where it is.
"""

from collections.abc import Callable
from collections.abc import Sequence
from typing import Any

from slugify import slugify
from sqlalchemy import ColumnElement
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.engine import Connection

# The column's length; the title's part stops at a word before BASE_LENGTH, which leaves
# room for any "-<number>".
SLUG_LENGTH = 100
BASE_LENGTH = SLUG_LENGTH - 20
FALLBACK = "post"
# Words that /posts/<word> already means.
RESERVED = frozenset({"new"})
# What a slug can be: lowercase ASCII words joined by single hyphens (the URL converter's
# pattern too). Neither LIKE nor GLOB gives any of these characters a meaning.
SLUG_PATTERN = r"[a-z0-9]+(?:-[a-z0-9]+)*"
# Apostrophes join a word ("what's" is "whats"), instead of splitting it.
APOSTROPHES = [["'", ""], ["\u2019", ""]]


def base_slug(title: str) -> str:
    """The slug a title asks for, before any number tells it from another one's."""
    slug = slugify(title, max_length=BASE_LENGTH, word_boundary=True, replacements=APOSTROPHES)
    if not slug:
        return FALLBACK
    if slug.isdigit():
        return f"{FALLBACK}-{slug}"
    return slug


class Slugs:
    """Hands out free slugs on `connection`, for the posts whose `slug` column is given.

    The highest number each base has taken is read from the database the first time the
    base comes up (for a batch of titles, in a few queries for all their bases), then
    counted here: a backfill or the demo data, which name thousands of posts in a row, ask
    once per title rather than once per post. Only the database's unique index is the last
    word: a post written elsewhere meanwhile can take a slug handed out here, and the
    caller then asks again (with a new Slugs, or with this one, which has moved past it).
    """

    # Bases asked about per query: SQLite parses a chain of ORs as a tree, 1,000 deep at most.
    BASES_PER_QUERY = 100

    def __init__(self, connection: Connection, column: ColumnElement[str]) -> None:
        self.connection = connection
        self.column = column
        self.last: dict[str, int] = {}

    def new(self, title: str) -> str:
        """A slug for a new post called `title`."""
        [slug] = self.new_many([title])
        return slug

    def new_many(self, titles: Sequence[str]) -> list[str]:
        """Slugs for new posts called `titles`, one each, in order."""
        bases = [base_slug(title) for title in titles]
        unknown = list(dict.fromkeys(base for base in bases if base not in self.last))
        for start in range(0, len(unknown), self.BASES_PER_QUERY):
            self.last.update(self.highest_taken(unknown[start : start + self.BASES_PER_QUERY]))
        slugs = []
        for base in bases:
            while True:
                self.last[base] += 1
                number = self.last[base]
                slug = base if number == 1 else f"{base}-{number}"
                if not self.handed_out(slug, number):
                    break
            slugs.append(slug)
        return slugs

    def handed_out(self, slug: str, number: int) -> bool:
        """Did this Slugs give `slug` out already, for another base? The second "Hello"
        and "Hello 2" both ask for `hello-2`, and the database cannot tell while neither is
        written. (Two numbered slugs of different bases never meet, nor two bare ones.)"""
        if number > 1:
            return self.last.get(slug, 0) >= 1  # given bare, to a title such as "Hello 2"
        stem, _, suffix = slug.rpartition("-")
        if not suffix.isdigit() or suffix.startswith("0"):  # never a number given here
            return False
        return 2 <= int(suffix) <= self.last.get(stem, 0)

    def highest_taken(self, bases: list[str]) -> dict[str, int]:
        """For each base: 0 if no post has it yet, 1 if one has it bare, else the highest
        number after it."""
        highest = {base: 1 if base in RESERVED else 0 for base in bases}
        dialect = self.connection.dialect.name
        taken = select(self.column).where(
            or_(self.column.in_(bases), *(prefixed(self.column, base, dialect) for base in bases))
        )
        for slug in self.connection.scalars(taken):
            if slug in highest:
                highest[slug] = max(highest[slug], 1)
            base, _, number = slug.rpartition("-")
            if base in highest and number.isdigit():  # base-<number>, not base-<more words>
                highest[base] = max(highest[base], int(number))
        return highest


def prefixed(column: ColumnElement[str], base: str, dialect: str) -> ColumnElement[bool]:
    """`column` starts with `base-`, as a condition the slug index can answer.

    SQLite's LIKE ignores case, and so cannot use the index: GLOB can. PostgreSQL's index
    is built with varchar_pattern_ops, for LIKE whatever the database's collation.
    """
    if dialect == "sqlite":
        return column.op("GLOB", is_comparison=True)(f"{base}-*")
    return column.like(f"{base}-%")


def slugs_for_rows(
    column: ColumnElement[str],
) -> Callable[[Connection, Sequence[Any]], dict[int, str]]:
    """For a backfill (blog.migrating.backfill): a new slug for each row, from its title,
    with one Slugs for all the batches."""
    slugs: Slugs | None = None

    def values(connection: Connection, rows: Sequence[Any]) -> dict[int, str]:
        nonlocal slugs
        slugs = slugs or Slugs(connection, column)
        names = slugs.new_many([row.title for row in rows])
        return dict(zip((row.id for row in rows), names, strict=True))

    return values
