"""Saving a category under a name no other category has, ignoring case."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from blog.extensions import db
from blog.models import Category

DUPLICATE_NAME = "A category with this name already exists."


def save_category(category: Category) -> bool:
    """Commit `category` unless another one has its name, ignoring case; False if taken."""
    # Compared in Python: SQL lower() leaves non-ASCII letters alone on SQLite.
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
    except IntegrityError:  # the same name, committed by someone else since the check
        db.session.rollback()
        return False
    return True
