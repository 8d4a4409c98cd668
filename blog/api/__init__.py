"""A JSON API for posts and categories at /api: bearer tokens, one error shape, and an
OpenAPI 3.1 description of itself at /api/openapi.json."""

from blog.api import categories
from blog.api import openapi
from blog.api import posts
from blog.api import tokens
from blog.api.blueprint import bp

__all__ = ["bp", "categories", "openapi", "posts", "tokens"]
