"""The API's OpenAPI 3.1 document, at /api/openapi.json. flask-smorest writes it from the
routes and their schemas; this module binds it to the app and adds what they cannot say:
the URL converters' formats, the security schemes, and the error responses.

Kept true by the tests: every response tests/test_api.py sees is validated against it, and
Schemathesis fuzzes every operation from it, in the suite (tests/test_api_fuzz.py) and from
its own command line with every check (scripts/schemathesis).
"""

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import flask_smorest
from flask import Flask
from flask_smorest import current_api
from werkzeug.routing import BaseConverter

from blog.api.blueprint import bp
from blog.api.schemas import Error
from blog.slugs import SLUG_LENGTH
from blog.slugs import SLUG_PATTERN
from blog.web.converters import MAX_ID
from blog.web.converters import IdConverter
from blog.web.converters import PostKeyConverter

JSON = "application/json"
DESCRIPTION = (
    "Posts and categories. Reads are public; writes need a bearer token from POST"
    " /api/tokens. Every response is JSON; errors are {error: {status, message, fields?}}."
    " Text is refused with a lone surrogate (a JSON escape such as \\ud800 that is no"
    " character), as with the control characters its pattern excludes."
)
ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
SLUG = {"type": "string", "pattern": f"^(?![0-9]+$){SLUG_PATTERN}$", "maxLength": SLUG_LENGTH}
LOCATION = {"Location": {"description": "Where it is.", "schema": {"type": "string"}}}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "string"}}}
ERRORS = {
    400: ("Malformed: the body is not JSON, or a query argument is not valid.", {}),
    401: (
        "No valid credentials.",
        {"WWW-Authenticate": {"description": "Basic or Bearer", "schema": {"type": "string"}}},
    ),
    403: ("Not yours: only a post's author may change it.", {}),
    404: ("No such resource.", {}),
    409: (
        "Valid, but not with the data there is: the name is taken by another category"
        " (ignoring case), or category_id names no category. See `fields`.",
        {},
    ),
    413: ("The body is larger than the server accepts.", {}),
    415: ("The body is not JSON (Content-Type: application/json).", {}),
    422: ("Not valid: see `fields` for each field's problem.", {}),
    429: ("Too many failed sign-ins for this name: refused for a while.", RETRY_AFTER),
    503: ("The database is busy or out of reach: try again.", RETRY_AFTER),
}


class Api(flask_smorest.Api):
    ERROR_SCHEMA = Error
    DEFAULT_ERROR_RESPONSE_NAME = None  # each operation lists its own errors

    def _register_error_handlers(self) -> None:
        """None: blog.web.errors answers every error, the API's included."""

    def _register_pagination_header(self) -> None:
        """None: pages link to each other (keyset cursors), with no page numbers."""

    def _register_responses(self) -> None:
        for status, (description, headers) in ERRORS.items():
            response = {
                "description": description,
                "content": {JSON: {"schema": self.ERROR_SCHEMA}},
                **({"headers": headers} if headers else {}),
            }
            self.spec.components.response(HTTPStatus(status).name, response, lazy=True)


def init_app(app: Flask) -> None:
    """Mount the API at /api and describe it."""
    api = Api(
        app,
        spec_kwargs={
            "title": "blog",
            "version": "1",
            "openapi_version": "3.1.0",
            "info": {"description": DESCRIPTION},
        },
    )
    api.register_converter(IdConverter, path_schema(ID))
    api.register_converter(
        PostKeyConverter, path_schema({"anyOf": [ID, SLUG], "description": "A slug, or an id."})
    )
    api.spec.components.security_scheme("basicAuth", {"type": "http", "scheme": "basic"})
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.register_blueprint(bp, url_prefix="/api")


def path_schema(schema: dict[str, Any]) -> Callable[[BaseConverter], dict[str, Any]]:
    return lambda converter: schema


@bp.get("/openapi.json", reads_database=False)
@bp.doc(
    operationId="getOpenAPI",
    responses={"200": {"description": "OpenAPI 3.1", "content": {JSON: {"schema": {}}}}},
)
def openapi_json() -> dict[str, Any]:
    """This document"""
    document: dict[str, Any] = current_api.spec.to_dict()
    return document
