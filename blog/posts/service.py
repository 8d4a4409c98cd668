"""Posts as the pages and the API both use them: read (counting the read), found by id or
slug, owned, saved (a new one under a free slug, with its category checked) and deleted."""

from types import SimpleNamespace
from typing import Any

from flask import abort
from sqlalchemy import Row
from sqlalchemy import bindparam
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from blog.categories.service import category_exists
from blog.extensions import db
from blog.extensions import standalone_engine
from blog.models import Post
from blog.models import posts_with_names
from blog.posts.reads import count_read

NO_SUCH_POST = "No such post."
NOT_YOUR_POST = "Only the author of this post can change it."
# Each try takes the next number: only posts of the same title, committed at the same
# moment, make it try again.
SLUG_ATTEMPTS = 5

posts_table = Post.__table__.c


class UnknownCategory(Exception):
    """The post names a category that does not exist (or went while it was saved)."""


# The busiest page's query, for a post found by id or by slug: built once (building costs
# more than running it), on the table's columns, as the page needs a row, not an object.
POST_BY_ID = posts_with_names().where(posts_table.id == bindparam("key"))
POST_BY_SLUG = posts_with_names().where(posts_table.slug == bindparam("key"))


def read_post(key: int | str) -> SimpleNamespace:
    """Count one read of a post, found by its id (an int) or its slug (a str), and return
    it with its names and its read count as of now (blog.posts.reads); 404 if none."""
    query = POST_BY_SLUG if isinstance(key, str) else POST_BY_ID
    # One connection straight from an engine: a read needs no ORM session, whose work
    # would cost more than the statement.
    with standalone_engine().connect() as connection:
        post = connection.execute(query, {"key": key}).first()
    if post is None:
        abort(404, description=NO_SUCH_POST)
    unwritten = count_read(post.id)
    return SimpleNamespace(**{**post._mapping, "read_count": post.read_count + unwritten})


def post_with_names(post_id: int) -> Row[*tuple[Any, ...]]:
    """The post as it is now, with its names, without counting a read; 404 if it went
    (deleted by another request meanwhile)."""
    row = db.session.execute(POST_BY_ID, {"key": post_id}).first()
    if row is None:
        abort(404, description=NO_SUCH_POST)
    return row


def post_id_of(key: int | str) -> int:
    """The id of the post with this id or slug; 404 if there is none."""
    if isinstance(key, int):
        return key
    post_id = db.session.scalar(select(Post.id).where(Post.slug == key))
    if post_id is None:
        abort(404, description=NO_SUCH_POST)
    return post_id


def own_post_or_abort(key: int | str, user_id: int) -> Post:
    """The user's post, by id or slug: 404 if there is no such post, 403 if it is someone
    else's (or nobody's: posts from before accounts have no author to change them)."""
    post = db.get_or_404(Post, post_id_of(key), description=NO_SUCH_POST)
    if post.author_id != user_id:
        abort(403, description=NOT_YOUR_POST)
    return post


def save_post(post: Post, *, new: bool) -> None:
    """Commit `post` (a new one under a free slug); UnknownCategory, with nothing written,
    if its category does not exist or went meanwhile."""
    if post.category_id is not None and not category_exists(post.category_id):
        db.session.rollback()
        raise UnknownCategory
    try:
        if new:
            commit_new_post(post)
        else:
            db.session.commit()
    except IntegrityError:  # the category, deleted since the check
        db.session.rollback()
        raise UnknownCategory from None


def commit_new_post(post: Post) -> None:
    """Add `post` and commit it, under a free slug (blog.models names a new post as it is
    written). When a post committed meanwhile took that slug, the next one is tried; an
    IntegrityError for any other reason (its category went meanwhile) is the caller's."""
    for attempt in range(1, SLUG_ATTEMPTS + 1):
        db.session.add(post)
        try:
            db.session.commit()
            return
        except IntegrityError:
            db.session.rollback()
            if attempt == SLUG_ATTEMPTS or not slug_taken(post.slug):
                raise
            post.slug = None  # named again at the next flush


def slug_taken(slug: str | None) -> bool:
    return (
        slug is not None
        and db.session.scalar(select(Post.id).where(Post.slug == slug)) is not None
    )


def delete_post(post: Post) -> None:
    db.session.delete(post)
    db.session.commit()


def posts_with_names_in(ids: list[int]) -> list[Row[*tuple[Any, ...]]]:
    """These posts, whole, with their names, in this order; a post deleted meanwhile is left
    out (a page lists its posts' ids first)."""
    if not ids:
        return []
    query = posts_with_names().where(posts_table.id.in_(ids))
    rows = {row.id: row for row in db.session.execute(query)}
    return [rows[id] for id in ids if id in rows]
