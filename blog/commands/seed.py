"""`flask seed`: demo content for the current environment's database.

Built for volume: titles and paragraphs are made once into pools, each post is a few picks
from them with one seeded `random.Random`, and posts go in with Core executemany, one
transaction per batch. A million posts take about a minute on SQLite, most of it writing
them (2 GB, their HTML included).

Posts are stored as the Post model would store them (body_html and excerpt rendered from
the Markdown), without rendering each post: each pooled paragraph is rendered once, and a
post's HTML is its paragraphs' HTML joined. Their authors are a few demo accounts.
"""

import random
import secrets
import time
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from itertools import count
from typing import Any
from typing import NamedTuple

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import Connection
from sqlalchemy import insert
from sqlalchemy import select

from blog.auth.accounts import AccountError
from blog.auth.accounts import check_name
from blog.auth.accounts import check_password
from blog.auth.accounts import find_user
from blog.auth.accounts import hash_password
from blog.auth.cli import password_stdin
from blog.auth.cli import read_password
from blog.extensions import db
from blog.models import EXCERPT_LENGTH
from blog.models import Category
from blog.models import Post
from blog.models import User
from blog.rendering import excerpt
from blog.rendering import render_markdown
from blog.slugs import Slugs

# Rows per transaction: large enough that commits (an fsync each on SQLite) are rare, small
# enough that a batch's rows stay a few megabytes.
BATCH_SIZE = 10_000
# Posts are spread over this much of the past, oldest first.
SPAN = timedelta(days=2 * 365)
UNCATEGORIZED_SHARE = 0.1
MAX_READ_COUNT = 20_000

CATEGORY_NAMES = (
    "Python", "Databases", "Travel notes", "Web development", "Flask", "SQL", "Testing",
    "DevOps", "Linux", "Security", "Performance", "Open source", "Career", "Book reviews",
    "Cooking", "Photography", "Music", "Gardening", "Cycling", "Running", "Personal finance",
    "Productivity", "Design", "JavaScript", "Rust", "Go", "Data science", "Machine learning",
    "Home lab", "Networking", "Cloud", "Tutorials", "Announcements", "Weekly links",
    "Conference talks", "Hiking", "Coffee", "Board games", "Retro computing", "Writing",
)  # fmt: skip

TOPICS = (
    "SQLite", "PostgreSQL", "MariaDB", "database migrations", "Flask blueprints",
    "unit tests", "type hints", "a slow query", "connection pooling", "Alembic",
    "Docker images", "CI pipelines", "code review", "Markdown", "regular expressions",
    "async Python", "caching", "logging", "feature flags", "zero-downtime deploys",
    "my home server", "a Raspberry Pi", "mechanical keyboards", "sourdough bread",
    "the Alps by train", "a week in Lisbon", "night photography", "vegetable gardens",
    "long-distance cycling", "marathon training", "index design", "backups",
    "password managers", "open-source maintenance", "technical writing", "remote work",
    "pair programming", "legacy code", "error handling", "time zones", "Unicode",
    "full-text search", "rate limiting", "HTTP caching", "TLS certificates", "cron jobs",
)  # fmt: skip

TITLE_TEMPLATES = (
    "Notes on {t}",
    "A gentle introduction to {t}",
    "What I learned from {t}",
    "{n} things I wish I had known about {t}",
    "Why I stopped worrying about {t}",
    "Getting started with {t}",
    "{T} in practice",
    "Revisiting {t}",
    "A week with {t}",
    "The trouble with {t}",
    "{T}: a checklist",
    "Lessons from {t}",
    "How we tamed {t}",
    "Debugging {t}",
    "Thoughts on {t}, one year later",
    "{T}, the boring way",
    "Is {t} worth it?",
    "A field guide to {t}",
    "Everything I got wrong about {t}",
    "{T} for the impatient",
)

SENTENCE_TEMPLATES = (
    "I spent most of {time} looking into {t}.",
    "It turns out that {t} is simpler than it looks, once you read the documentation.",
    "The first attempt failed, and the error message was no help at all.",
    "After a few experiments, {t} finally clicked.",
    "Here is the short version: measure first, then change one thing at a time.",
    "Most of the advice about {t} online is out of date.",
    "I keep a small notebook of what works, and {t} now has a page of its own.",
    "The numbers surprised me: the boring option was also the fastest.",
    "If you only remember one thing, remember that *defaults matter*.",
    "Running `make test` before every commit saved me more than once.",
    "A colleague pointed out that {t} and {u} have more in common than I thought.",
    "There is a good chapter on {t} in the official guide.",
    "I would do it again, but I would start with {u} next time.",
    "The whole setup fits on a single page, which is the point.",
    "Nothing here is new, but it took me {time} to put it together.",
    "Small, reversible steps beat a big rewrite every time.",
    "The weather was perfect, so I took the long way home.",
    "By the end of {time}, I had a working prototype and a long list of questions.",
    "Be careful with **{t}**: it is easy to get subtly wrong.",
    "I wrote down every step, so that future me does not have to guess.",
    "The trick is to keep {t} out of the hot path.",
    "Reading the source code answered questions the blog posts never asked.",
    "Good logs turned a week of guessing into an afternoon of reading.",
    "Comments and corrections are welcome, as always.",
)

TIMES = ("the weekend", "a rainy afternoon", "last month", "two evenings", "the holidays")
LANGUAGES = ("python", "sql", "sh")
CODE_SNIPPETS = (
    "def main() -> None:\n    print('hello, world')",
    "SELECT id, title FROM posts ORDER BY created_at DESC LIMIT 10;",
    "flask db upgrade && flask seed --posts 100",
)
PARAGRAPH_COUNTS = (1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 4, 4, 5)  # picked uniformly: mostly short
# The demo accounts that write the posts, created by the first seed and reused after it.
DEMO_AUTHORS = ("ada", "grace", "alan", "margaret")
# A generated password: 16 URL-safe characters, 96 random bits.
PASSWORD_BYTES = 12
# How a list paragraph starts: two in a row would be one list (Content.body).
LIST_MARKER = "- "


class Count(click.IntRange):
    """A whole number, 0 or more; named so that "many" is "not a valid count"."""

    name = "count"

    def __init__(self) -> None:
        super().__init__(min=0)


@click.command("seed")
@click.option("--posts", type=Count(), default=100, show_default=True, help="Posts to add.")
@click.option(
    "--categories", type=Count(), default=10, show_default=True, help="Categories to add."
)
@click.option("--seed", "random_seed", type=int, help="Seed for reproducible content.")
@click.option("--force", is_flag=True, help="Seed even the production database.")
@password_stdin
@with_appcontext
def seed(
    posts: int, categories: int, random_seed: int | None, force: bool, password_stdin: bool
) -> None:
    """Fill the database with demo posts, categories and authors (appended to what is
    there). New demo accounts get a random password, printed once, unless one is given on
    standard input; existing ones keep theirs."""
    config_name = current_app.config["BLOG_CONFIG"]
    if config_name == "production" and not force:
        raise click.ClickException(
            "refusing to seed the production database: pass --force if you mean it"
        )
    given = given_password(password_stdin)  # checked before anything is written
    started = time.perf_counter()
    authors = demo_authors(given)
    for line in authors.describe():
        click.echo(line)
    rng = random.Random(random_seed)
    # Naive UTC, what UTCDateTime stores: skips a time zone conversion per timestamp.
    end = datetime.now(UTC).replace(tzinfo=None)
    start = end - SPAN
    with db.engine.connect() as connection:
        with connection.begin():
            created = add_categories(connection, categories, start)
            category_ids = list(connection.scalars(select(Category.id).order_by(Category.id)))
        content = Content(rng)
        slugs = Slugs(connection, Post.__table__.c.slug)
        with click.progressbar(length=posts, label="Seeding posts", show_pos=True) as bar:
            for rows in post_batches(content, rng, posts, category_ids, authors.ids, start):
                with connection.begin():
                    names = slugs.new_many([row["title"] for row in rows])
                    for row, slug in zip(rows, names, strict=True):
                        row["slug"] = slug
                    connection.execute(insert(Post.__table__), rows)
                bar.update(len(rows))
    elapsed = time.perf_counter() - started
    click.echo(
        f"Seeded {posts:,} posts and {created:,} categories into the {config_name} "
        f"database in {elapsed:.1f}s."
    )


def given_password(from_stdin: bool) -> str | None:
    """The password from standard input, checked as accounts check any, or None."""
    if not from_stdin:
        return None
    try:
        return check_password(read_password(from_stdin=True))
    except AccountError as error:
        raise click.ClickException(str(error)) from None


class DemoAuthors(NamedTuple):
    """The demo accounts, in DEMO_AUTHORS order, and which of them this run created."""

    ids: list[int]
    created: list[str]
    existing: list[str]
    password: str | None  # None: given on standard input, not to be printed

    def describe(self) -> list[str]:
        """What to tell whoever seeds: how to sign in, or that nothing changed."""
        lines = []
        if self.created:
            names = ", ".join(self.created)
            if self.password:  # on a line of its own, so nothing is copied along with it
                lines += [f"Demo accounts {names} sign in with this password:", self.password]
            else:
                lines.append(
                    f"Demo accounts {names} sign in with the password from standard input."
                )
        if self.existing:
            lines.append(
                "Existing demo accounts kept, their passwords unchanged:"
                f" {', '.join(self.existing)} (`flask users set-password NAME` sets one)."
            )
        return lines


def demo_authors(given: str | None) -> DemoAuthors:
    """Create the DEMO_AUTHORS that do not exist yet, with the `given` password or a random
    one; reuse the others as they are."""
    found = {name: find_user(name) for name in DEMO_AUTHORS}
    existing = [user.name for user in found.values() if user is not None]
    created = [name for name, user in found.items() if user is None]
    password = given or secrets.token_urlsafe(PASSWORD_BYTES)
    if created:
        # Hashed once for them all (they share it anyway): a scrypt hash takes 0.1 s.
        password_hash = hash_password(password)
        for name in created:
            found[name] = User(name=check_name(name), password_hash=password_hash)
            db.session.add(found[name])
        db.session.flush()
    ids = [user.id for user in found.values() if user is not None]
    # Ends the session's transaction: the posts go in on a connection of their own.
    db.session.commit()
    return DemoAuthors(ids, created, existing, password=None if given else password)


def add_categories(connection: Connection, wanted: int, created_at: datetime) -> int:
    """Insert `wanted` categories whose names are new; returns how many were added."""
    taken = {name.casefold() for name in connection.scalars(select(Category.name))}
    names = category_names(taken)
    added = 0
    while added < wanted:
        size = min(BATCH_SIZE, wanted - added)
        rows = [{"name": next(names), "created_at": created_at} for _ in range(size)]
        connection.execute(insert(Category.__table__), rows)
        added += size
    return added


def category_names(taken: set[str]) -> Iterator[str]:
    """Realistic names not in `taken` (casefolded): the word list, then "Python 2" and on."""
    for round_ in count(1):
        for name in CATEGORY_NAMES:
            candidate = name if round_ == 1 else f"{name} {round_}"
            if candidate.casefold() not in taken:
                yield candidate


class Piece(NamedTuple):
    """A pooled paragraph (or code block), and what rendering it gives."""

    markdown: str
    html: str
    text: str
    is_list: bool


class Content:
    """Pools of titles and paragraphs, made once, that posts are picked from."""

    def __init__(self, rng: random.Random, paragraphs: int = 2_000) -> None:
        self.rng = rng
        self.titles = [
            template.format(t=topic, T=topic[0].upper() + topic[1:], n=n)
            for template in TITLE_TEMPLATES
            for topic in TOPICS
            for n in ((3, 5, 7, 10) if "{n}" in template else (0,))
        ]
        # The first paragraph is always prose; later ones may be Markdown lists, headings...
        self.openings = [self.prose() for _ in range(paragraphs // 2)]
        self.paragraphs = [self.paragraph() for _ in range(paragraphs)]
        self.rendered: dict[str, Piece] = {}

    def sentences(self, count: int) -> list[str]:
        """`count` sentences from distinct templates: no sentence twice in a paragraph."""
        sentences = []
        for template in self.rng.sample(SENTENCE_TEMPLATES, count):
            topic, other = self.rng.sample(TOPICS, 2)
            sentences.append(template.format(t=topic, u=other, time=self.rng.choice(TIMES)))
        return sentences

    def prose(self) -> str:
        return " ".join(self.sentences(self.rng.randint(2, 5)))

    def paragraph(self) -> str:
        kind = self.rng.random()
        if kind < 0.6:
            return self.prose()
        if kind < 0.75:
            items = self.sentences(self.rng.randint(3, 5))
            return "\n".join(f"{LIST_MARKER}{item}" for item in items)
        if kind < 0.85:
            heading = self.rng.choice(self.titles)
            return f"## {heading}\n\n{self.prose()}"
        if kind < 0.93:
            return f"> {self.sentences(1)[0]}"
        language = self.rng.choice(LANGUAGES)
        return f"```{language}\n{self.rng.choice(CODE_SNIPPETS)}\n```"

    def piece(self, markdown: str) -> Piece:
        """A pooled paragraph, rendered the first time a post uses it: a small seed renders
        only the few it needs."""
        piece = self.rendered.get(markdown)
        if piece is None:
            html, text = render_markdown(markdown)
            piece = Piece(markdown, html, text, markdown.startswith(LIST_MARKER))
            self.rendered[markdown] = piece
        return piece

    def body(self) -> tuple[str, str, str]:
        """A post's body: its Markdown, its HTML and its excerpt, as Post.body makes them.

        Markdown blocks apart from each other (a blank line between) render alone, so the
        body's HTML is its pieces' HTML joined, and its text their texts joined. Two lists in
        a row are the exception (Markdown makes them one loose list), so a list is never
        followed by another: writers put words between them too.
        """
        rand, openings, paragraphs = self.rng.random, self.openings, self.paragraphs
        markdown, html, text, after_list = self.piece(openings[int(rand() * len(openings))])
        for _ in range(PARAGRAPH_COUNTS[int(rand() * len(PARAGRAPH_COUNTS))] - 1):
            added = self.piece(paragraphs[int(rand() * len(paragraphs))])
            while after_list and added.is_list:
                added = self.piece(paragraphs[int(rand() * len(paragraphs))])
            markdown += "\n\n" + added.markdown
            html += added.html
            text += " " + added.text
            after_list = added.is_list
        return markdown, html, excerpt(text, EXCERPT_LENGTH)


def post_batches(
    content: Content,
    rng: random.Random,
    total: int,
    category_ids: list[int],
    author_ids: list[int],
    start: datetime,
) -> Iterator[list[dict[str, Any]]]:
    """`total` posts as rows for insert(), BATCH_SIZE at a time, oldest first.

    Post i gets a random moment in the i-th of `total` equal slots of SPAN after `start`:
    the order of creation is the order of ids, and the last post is just before now.
    """
    # Local names: this loop runs a million times.
    rand = rng.random
    titles, body = content.titles, content.body
    span = SPAN // timedelta(microseconds=1)
    slot = span // total if total else 0
    categories, authors = len(category_ids), len(author_ids)
    for first in range(0, total, BATCH_SIZE):
        rows = []
        for i in range(first, min(first + BATCH_SIZE, total)):
            markdown, html, summary = body()
            created_at = start + timedelta(microseconds=i * span // total + int(rand() * slot))
            category_id = None
            if categories and rand() >= UNCATEGORIZED_SHARE:
                category_id = category_ids[int(rand() * categories)]
            rows.append(
                {
                    "title": titles[int(rand() * len(titles))],
                    "body": markdown,
                    "body_html": html,
                    "excerpt": summary,
                    "created_at": created_at,
                    "updated_at": created_at,
                    "category_id": category_id,
                    "author_id": author_ids[int(rand() * authors)] if authors else None,
                    # Most posts are read a little, a few a lot.
                    "read_count": int(rand() ** 4 * MAX_READ_COUNT),
                }
            )
        yield rows
