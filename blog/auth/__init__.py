"""Authors: sign-in and sign-out pages, accounts, and the `flask users` commands."""

from blog.auth.routes import bp

__all__ = ["bp"]
