"""The blog's tables. Every change here ships with a migration: `flask db migrate -m "..."`."""

import hashlib
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Select
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import Session
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship
from sqlalchemy.orm import validates
from sqlalchemy.types import TypeDecorator
from sqlalchemy.types import TypeEngine

from blog.extensions import Model
from blog.rendering import excerpt
from blog.rendering import render_markdown
from blog.slugs import SLUG_LENGTH
from blog.slugs import Slugs


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A point in time stored as naive UTC on every database, read back timezone-aware.

    Storing naive UTC everywhere keeps SQLite, PostgreSQL and MariaDB alike: no engine
    converts it to a server time zone on the way in or out.
    """

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        # MariaDB/MySQL keep whole seconds unless asked for microseconds.
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


# A listing shows the start of each body, as plain text; a whole body may be 100,000
# characters.
EXCERPT_LENGTH = 300
# The limits of what people write, each the one place the forms, the API, its document and
# the pages take it from (a change here needs a migration of the column, too).
TITLE_LENGTH = 200
MAX_BODY_LENGTH = 100_000  # characters of Markdown (the column itself holds more)
CATEGORY_NAME_LENGTH = 64
USER_NAME_LENGTH = 64

# Category and user names are unique ignoring case, and the database keeps them so: two
# requests at once can both pass the app's own check. PostgreSQL and SQLite index
# lower(name). MariaDB has no index on an expression: there the name's unique constraint
# compares through the column's collation, named here rather than left to the server's
# default. utf8mb4_uca1400_as_ci: Unicode 14's case folding, and accent-sensitive, so
# "Café" and "cafe" stay two names, as lower() and str.casefold() keep them (the other
# case-insensitive utf8mb4 collations of MariaDB 10.11 ignore accents, or are a
# language's own). It pads with spaces, but the app strips names.
NAME_COLLATION = "utf8mb4_uca1400_as_ci"
LOWER_INDEX_DIALECTS = ("postgresql", "sqlite")

# MariaDB/MySQL TEXT stops at 64 KiB; a long post needs MEDIUMTEXT there.
LongText = Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")


def name_type(length: int) -> String:
    """A name's column type: on MariaDB/MySQL compared ignoring case (NAME_COLLATION)."""
    caseless = mysql.VARCHAR(length, collation=NAME_COLLATION)
    return String(length).with_variant(caseless, "mysql", "mariadb")


def unique_ignoring_case(name: str, column: Any) -> Index:
    """The unique index `name` on lower(`column`), on the engines that index expressions."""
    return only_on(Index(name, func.lower(column), unique=True), *LOWER_INDEX_DIALECTS)


def only_on(index: Index, *dialects: str) -> Index:
    """`index`, built on these engines only: for DDL (ddl_if), and for autogenerate, which
    reads `info["only_on"]` (blog/migrating/autogenerate.py) as it cannot read ddl_if."""
    index.info["only_on"] = dialects
    # ddl_if takes a tuple of dialects, as documented, though typed for one name.
    return index.ddl_if(dialect=dialects)  # type: ignore[arg-type]


class User(Model):
    """An author: signs in with a name and a password, and writes posts."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(name_type(USER_NAME_LENGTH), unique=True)
    __table_args__ = (unique_ignoring_case("uq_users_name_lower", name),)
    # Werkzeug's "method$salt$hash" string, never the password itself.
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The previous release's sign-in lockout, which this release neither reads nor writes
    # (the rate limits replace it: blog/web/rate_limits.py). The next release drops them,
    # as GitLab drops a column: first a release that ignores it, then one without it.
    failed_sign_ins: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The database sets posts.author_id to NULL when a user goes (ON DELETE SET NULL).
    posts: Mapped[list["Post"]] = relationship(back_populates="author", passive_deletes=True)

    # What Flask-Login asks of a user object (instead of its UserMixin, which would make
    # every user equal to every other through __eq__).
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        """What a session remembers: the id, and a digest of the password hash, so that a
        new password signs out every session made with the old one."""
        digest = hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]
        return f"{self.id}:{digest}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.name!r}>"


class ApiToken(Model):
    """A bearer token for the JSON API: only its SHA-256 is stored, never the token."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} of user {self.user_id}>"


class Category(Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(name_type(CATEGORY_NAME_LENGTH), unique=True)
    __table_args__ = (unique_ignoring_case("uq_categories_name_lower", name),)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # The database sets posts.category_id to NULL when a category goes (ON DELETE SET NULL).
    posts: Mapped[list["Post"]] = relationship(back_populates="category", passive_deletes=True)

    def __repr__(self) -> str:
        return f"<Category {self.id} {self.name!r}>"


class Post(Model):
    __tablename__ = "posts"
    __table_args__ = (
        # Newest-first listings, and one category's posts newest first.
        Index("ix_posts_created_at", "created_at"),
        Index("ix_posts_category_id_created_at", "category_id", "created_at"),
        Index("ix_posts_author_id", "author_id"),
        # One post per slug. On PostgreSQL with varchar_pattern_ops, so that the index also
        # answers "slugs starting with my-post-" (blog/slugs.py) whatever the collation.
        Index(
            "uq_posts_slug", "slug", unique=True, postgresql_ops={"slug": "varchar_pattern_ops"}
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_LENGTH))
    body: Mapped[str] = mapped_column(LongText)  # Markdown, as written
    # Rendered when the body is written, not at every read. NULL for posts written before
    # bodies were Markdown: their plain text is shown as it is.
    body_html: Mapped[str | None] = mapped_column(LongText)
    excerpt: Mapped[str | None] = mapped_column(String(EXCERPT_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL")
    )
    # The server default gives rows that predate the column 0 reads.
    read_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    # NULL for posts written before there were accounts.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The post's name in its URL, made from the title when it is written and never changed
    # (blog/slugs.py). NULL only during a deploy, for posts the previous release wrote
    # after the backfill: `flask deploy --post` names them, then makes it NOT NULL. So the
    # column is NOT NULL, but an object may hold None: a new post is named at its flush.
    slug: Mapped[str | None] = mapped_column(String(SLUG_LENGTH), nullable=False)

    category: Mapped[Category | None] = relationship(back_populates="posts")
    author: Mapped[User | None] = relationship(back_populates="posts")

    @validates("body")
    def _render_body(self, key: str, body: str) -> str:
        self.body_html, text = render_markdown(body)
        self.excerpt = excerpt(text, EXCERPT_LENGTH)
        return body

    def __repr__(self) -> str:
        return f"<Post {self.id} {self.title!r}>"


@event.listens_for(Session, "before_flush")
def _name_new_posts(session: Session, flush_context: Any, instances: Any) -> None:
    """Give each new post without a slug a free one, before it is written."""
    new = [post for post in session.new if isinstance(post, Post) and post.slug is None]
    if new:
        slugs = Slugs(session.connection(), Post.__table__.c.slug)
        for post, slug in zip(new, slugs.new_many([post.title for post in new]), strict=True):
            post.slug = slug


def was_edited(post: Any) -> bool:
    """True once the post has changed after its creation (not merely been read)."""
    edited: timedelta = post.updated_at - post.created_at
    return edited > timedelta(seconds=1)


def post_summaries() -> Select[*tuple[Any, ...]]:
    """What listings show of each post, its category's name joined in: one query a page.

    On the tables' columns, not the mapped classes': rows, not objects, are all a listing
    needs, and they skip the ORM's work per row.
    """
    posts, categories = Post.__table__, Category.__table__
    return select(
        posts.c.id,
        posts.c.title,
        posts.c.slug,
        # Posts from before Markdown have no stored excerpt: their body is plain text.
        func.coalesce(posts.c.excerpt, func.substr(posts.c.body, 1, EXCERPT_LENGTH)).label(
            "excerpt"
        ),
        posts.c.created_at,
        posts.c.read_count,
        posts.c.category_id,
        categories.c.name.label("category_name"),
    ).select_from(posts.outerjoin(categories, posts.c.category_id == categories.c.id))


def posts_with_names() -> Select[*tuple[Any, ...]]:
    """Whole posts, with their category's and author's names joined in (rows, not objects)."""
    posts, categories, users = Post.__table__, Category.__table__, User.__table__
    return select(
        *posts.c, categories.c.name.label("category_name"), users.c.name.label("author_name")
    ).select_from(posts.outerjoin(categories).outerjoin(users))


def categories_with_post_counts() -> Select[*tuple[Any, ...]]:
    """Every category by name, with its number of posts, in one query: (Category, count)."""
    post_counts = (
        select(Post.category_id, func.count().label("posts")).group_by(Post.category_id).subquery()
    )
    return (
        select(Category, func.coalesce(post_counts.c.posts, 0).label("post_count"))
        .outerjoin(post_counts, post_counts.c.category_id == Category.id)
        .order_by(Category.name)
    )
