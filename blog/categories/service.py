"""Categories as the pages and the API both use them: found, counted, saved under a name no
other category has (ignoring case), and deleted."""

from typing import Any

from flask import abort
from sqlalchemy import Row
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from blog.extensions import db
from blog.integrity import is_unique_violation
from blog.models import Category
from blog.models import Post
from blog.models import categories_with_post_counts

NO_SUCH_CATEGORY = "No such category."
DUPLICATE_NAME = "A category with this name already exists."


def category_or_404(category_id: int) -> Category:
    return db.get_or_404(Category, category_id, description=NO_SUCH_CATEGORY)


def category_exists(category_id: int) -> bool:
    with db.session.no_autoflush:  # a post being saved is not to be written before the check
        return db.session.get(Category, category_id) is not None


def post_count(category_id: int) -> int:
    return db.session.execute(
        select(func.count()).select_from(Post).where(Post.category_id == category_id)
    ).scalar_one()


def save_category(category: Category) -> bool:
    """Commit `category` unless another one has its name, ignoring case; False if taken.

    The database refuses such a name too (uq_categories_name_lower; on MariaDB, the
    name's collation), which settles two requests that both passed the check here.
    """
    # Compared in Python first, with casefold(): SQLite's lower(), which its index uses,
    # leaves non-ASCII letters alone, so there only this check tells "Ärger" from "ärger".
    others = select(Category.name)
    if category.id is not None:
        others = others.where(Category.id != category.id)
    with db.session.no_autoflush:  # the new name is not in the database yet
        taken = any(
            name.casefold() == category.name.casefold() for name in db.session.scalars(others)
        )
    if taken:
        return False
    db.session.add(category)
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        # The name, committed by someone else since the check. Any other refusal is a bug
        # to hear about, not a taken name.
        if not is_unique_violation(error, "categories", "name"):
            raise
        return False
    return True


def delete_category(category: Category) -> None:
    """Delete `category`; its posts stay, uncategorized (the foreign key sets NULL)."""
    db.session.delete(category)
    db.session.commit()


def category_with_post_count(category_id: int) -> Row[*tuple[Any, ...]]:
    """The category and its number of posts, as categories_with_post_counts() gives each
    one; 404 if there is none."""
    query = categories_with_post_counts().where(Category.id == category_id)
    row = db.session.execute(query).first()
    if row is None:
        abort(404, description=NO_SUCH_CATEGORY)
    return row
