"""The `api` blueprint, mounted at /api; its routes live in the modules beside this one."""

from flask import Blueprint

bp = Blueprint("api", __name__)
