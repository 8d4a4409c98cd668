"""The `api` blueprint, mounted at /api (its routes live in the modules beside this one):
how it reads a request (a JSON body or a query string, checked against a schema, or a 4xx
in the one error shape of blog.web.errors, naming each field), and what each route tells
the document of itself."""

import re
from collections.abc import Callable
from http import HTTPStatus
from typing import Any
from typing import NoReturn

import flask_smorest
from flask import Request
from flask import abort
from marshmallow import Schema
from marshmallow import ValidationError
from webargs import core
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException

from blog.web.rate_limits import limit_writes

NOT_JSON = "Send JSON, with Content-Type: application/json."
MALFORMED_JSON = "The body is not valid JSON."
NOT_AN_OBJECT = "The body must be a JSON object."
SEE_FIELDS = "Some fields are not valid: see fields."
SEE_ARGUMENTS = "Some query arguments are not valid: see fields."


class FieldErrors(HTTPException):
    """A 4xx with a message per field: `{"error": {..., "fields": {"title": "..."}}}`."""

    def __init__(self, code: int, fields: dict[str, str], message: str = SEE_FIELDS) -> None:
        super().__init__(message)
        self.code = code
        self.fields = fields


def conflict(field: str, message: str) -> FieldErrors:
    """409: the request is valid, but `field` does not fit the data there is."""
    return FieldErrors(409, {field: message}, message)


class Parser(FlaskParser):
    """webargs' parser, answering as the rest of the API does."""

    def _raw_load_json(self, req: Request) -> Any:
        if not req.is_json:
            abort(415, description=NOT_JSON)
        return core.parse_json(req.get_data(cache=True))

    def _handle_invalid_json_error(self, *args: Any, **kwargs: Any) -> NoReturn:
        abort(400, description=MALFORMED_JSON)

    def handle_error(self, error: ValidationError, *args: Any, **kwargs: Any) -> NoReturn:
        assert isinstance(error.messages, dict)  # webargs keys them by location
        [(location, messages)] = error.messages.items()
        if "_schema" in messages:  # the body is JSON, but a list or a string
            abort(422, description=NOT_AN_OBJECT)
        fields = {name: " ".join(problems) for name, problems in messages.items()}
        if location == "query":
            raise FieldErrors(400, fields, SEE_ARGUMENTS)
        raise FieldErrors(422, fields)


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = Parser()

    def route(self, rule: str, *, reads_database: bool = True, **options: Any) -> Any:
        """Register a view. Its operationId is its name in camelCase (list_posts:
        listPosts) unless it says otherwise; it may answer 503 if it reads the database."""

        def register(view: Any) -> Any:
            if "operationId" not in getattr(view, "_apidoc", {}).get("manual_doc", {}):
                camel_case = re.sub(r"_(\w)", lambda m: m[1].upper(), view.__name__)
                view = self.doc(operationId=camel_case)(view)
            if reads_database:
                view = self.errors(503)(view)
            return super(Blueprint, self).route(rule, **options)(view)

        return register

    def body(self, schema: type[Schema]) -> Callable[[Any], Any]:
        """The view takes the request's JSON body, checked against `schema`."""
        arguments = self.arguments(schema, error_status_code=422)
        return lambda view: arguments(self.errors(400, 413, 415)(view))

    def query(self, schema: type[Schema]) -> Callable[[Any], Any]:
        """The view takes the request's query arguments, checked against `schema`."""
        decorator: Callable[[Any], Any] = self.arguments(
            schema, location="query", error_status_code=400
        )
        return decorator

    def errors(self, *statuses: int) -> Callable[[Any], Any]:
        """Document these error responses of a view (blog.api.document describes each)."""

        def document(view: Any) -> Any:
            for status in statuses:
                view = self.alt_response(status, response=HTTPStatus(status).name)(view)
            return view

        return document


bp = Blueprint("api", __name__, description="Posts and categories.")
limit_writes(bp)
