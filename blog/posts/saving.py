"""Saving a new post under a free slug, made from its title (blog/slugs.py)."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from blog.extensions import db
from blog.models import Post

# Each try takes the next number: only posts of the same title, committed at the same
# moment, make it try again.
SLUG_ATTEMPTS = 5


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
