"""A JSON API for posts and categories at /api: bearer tokens, one error shape, and an
OpenAPI 3.1 description of itself at /api/openapi.json, written from the schemas that also
check each request and shape each response (flask-smorest, marshmallow)."""

from blog.api import categories
from blog.api import posts
from blog.api import tokens
from blog.api.blueprint import bp
from blog.api.document import init_app

__all__ = ["bp", "categories", "init_app", "posts", "tokens"]
