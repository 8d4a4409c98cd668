"""Posts: the list, one post with its read count, and the forms that write them."""

from blog.posts.routes import bp

__all__ = ["bp"]
