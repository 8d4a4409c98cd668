"""Categories: the list with post counts, one category's posts, and the forms that write them."""

from blog.categories.routes import bp

__all__ = ["bp"]
