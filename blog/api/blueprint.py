"""The `api` blueprint, mounted at /api (its routes live in the modules beside this one),
and how it reads a request: a JSON body or a query string, checked against a schema, or a
4xx in the one error shape (blog.web.errors) naming each field."""

from collections.abc import Callable
from typing import Any
from typing import NoReturn

import flask_smorest
from flask import Request
from flask import abort
from marshmallow import Schema
from marshmallow import ValidationError
from webargs import core
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import Conflict
from werkzeug.exceptions import UnprocessableEntity

NOT_JSON = "Send JSON, with Content-Type: application/json."
MALFORMED_JSON = "The body is not valid JSON."
NOT_AN_OBJECT = "The body must be a JSON object."


class InvalidFields(UnprocessableEntity):
    """422 with a message per field: `{"error": {..., "fields": {"title": "..."}}}`."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("Some fields are not valid: see fields.")
        self.fields = fields


class FieldConflict(Conflict):
    """409: the request is valid, but one field does not fit the data there is."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.fields = {field: message}


class InvalidArguments(BadRequest):
    """400 with a message per query argument."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("Some query arguments are not valid: see fields.")
        self.fields = fields


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
        raise (InvalidArguments if location == "query" else InvalidFields)(fields)


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = Parser()

    def body(self, schema: type[Schema]) -> Callable[[Any], Any]:
        """The view takes the request's JSON body, checked against `schema`."""
        decorator: Callable[[Any], Any] = self.arguments(schema, error_status_code=422)
        return decorator

    def query(self, schema: type[Schema]) -> Callable[[Any], Any]:
        """The view takes the request's query arguments, checked against `schema`."""
        decorator: Callable[[Any], Any] = self.arguments(
            schema, location="query", error_status_code=400
        )
        return decorator


bp = Blueprint("api", __name__, description="Posts and categories.")
