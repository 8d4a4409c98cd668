"""JSON request bodies: parsed strictly, checked field by field, or refused with a 4xx."""

from typing import Any

from flask import abort
from flask import request
from werkzeug.exceptions import UnprocessableEntity

from blog.web.converters import MAX_ID
from blog.web.forms import CONTROL_CHARACTERS


class InvalidFields(UnprocessableEntity):
    """422 with a message per field: `{"error": {..., "fields": {"title": "..."}}}`."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("Some fields are not valid: see fields.")
        self.fields = fields


def json_object() -> dict[str, Any]:
    """The request's JSON object: 415 if it is not JSON, 400 if malformed, 422 if not an
    object."""
    if not request.is_json:
        abort(415, description="Send JSON, with Content-Type: application/json.")
    data = request.get_json(silent=True)
    if data is None:
        abort(400, description="The body is not valid JSON.")
    if not isinstance(data, dict):
        abort(422, description="The body must be a JSON object.")
    return data


def text(value: object, *, max_length: int, strip: bool = True) -> str:
    """A required, non-blank string of at most `max_length` characters (ValueError if not)."""
    if not isinstance(value, str):
        raise ValueError("Must be a string.")
    if strip:
        value = value.strip()
    if not value:
        raise ValueError("Must not be blank.")
    if len(value) > max_length:
        raise ValueError(f"Must be at most {max_length} characters.")
    if CONTROL_CHARACTERS.search(value):
        raise ValueError("Must not contain control characters (such as NUL).")
    return value


def optional_id(value: object) -> int | None:
    """A row id (a whole number from 1 to MAX_ID) or null."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise ValueError(f"Must be null or a whole number from 1 to {MAX_ID}.")
    return value


def checked(
    data: dict[str, Any], rules: dict[str, Any], required: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Apply `rules` (field name → function raising ValueError) to `data`; 422 naming every
    missing, unknown or invalid field, or the valid values."""
    errors = {name: "Unknown field." for name in data if name not in rules}
    errors |= {name: "This field is required." for name in required if name not in data}
    values = {}
    for name, rule in rules.items():
        if name in data and name not in errors:
            try:
                values[name] = rule(data[name])
            except ValueError as error:
                errors[name] = str(error)
    if errors:
        raise InvalidFields(errors)
    return values
