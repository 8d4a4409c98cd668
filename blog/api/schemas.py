"""What the API takes and gives, as marshmallow schemas: each one validates a request or
shapes a response, and is what the OpenAPI document says of it (apispec reads them). The
limits come from blog.models, the text rules from blog.web.forms, the cursor format from
blog.web.pagination: one home each."""

import re
from typing import Any

from flask import url_for
from marshmallow import EXCLUDE
from marshmallow import Schema
from marshmallow import ValidationError
from marshmallow import fields
from marshmallow import validate

from blog import models
from blog import rendering
from blog import slugs
from blog.posts import links
from blog.web import forms
from blog.web import pagination
from blog.web.converters import MAX_ID
from blog.web.converters import parse_id

# Some character that is neither whitespace nor a control character, and no control
# character anywhere: the text rule, written so that the document can say it too.
NOT_BLANK = f"^[^{forms.CONTROL}]*[^\\s{forms.CONTROL}][^{forms.CONTROL}]*$"
REQUIRED: dict[str, Any] = {"required": "This field is required.", "null": "Must not be null."}


class Text(fields.String):
    """Text of at most `max_length` characters, not blank, without control characters.
    With `strip`, kept without its surrounding whitespace (checked as it was sent, as the
    document says)."""

    def __init__(self, max_length: int, *, strip: bool = True, **kwargs: Any) -> None:
        rules = [
            validate.Length(min=1, error="Must not be blank."),
            validate.Length(max=max_length, error="Must be at most {max} characters."),
            Printable(),
            *kwargs.pop("validate", ()),
        ]
        messages: dict[str, Any] = {**REQUIRED, "invalid": "Must be a string."}
        super().__init__(validate=rules, error_messages=messages, **kwargs)
        self.strip = strip

    def deserialize(self, *args: Any, **kwargs: Any) -> Any:
        text = super().deserialize(*args, **kwargs)
        return text.strip() if self.strip and isinstance(text, str) else text


class Printable(validate.Validator):
    """NOT_BLANK, with a message that says which half of it failed; and no lone surrogate
    (a JSON escape such as "\\ud800", which is no character: the pattern is about characters)."""

    regex = re.compile(NOT_BLANK)  # what apispec reads, for the document's `pattern`

    def __call__(self, value: str) -> str:
        if forms.CONTROL_CHARACTERS.search(value):
            raise ValidationError(forms.NO_CONTROL_CHARACTERS)
        if value and self.regex.match(value) is None:  # an empty one is Length's to refuse
            raise ValidationError("Must not be blank.")
        return value


def renders_within_limit(body: str) -> None:
    """A body's HTML must fit (blog.rendering); a body too long is refused unrendered."""
    if len(body) <= models.MAX_BODY_LENGTH:
        try:
            rendering.check_rendered_size(body)
        except ValueError as error:
            raise ValidationError(str(error)) from None


class RowId(fields.Integer):
    """A row id, from 1 to MAX_ID: a JSON integer (never true; 7.0 is one, as JSON Schema
    counts), or `in_query`, the ASCII digits of one."""

    def __init__(self, *, in_query: bool = False, **kwargs: Any) -> None:
        nullable = "null or " if kwargs.get("allow_none") else ""
        message = f"Must be {nullable}a whole number from 1 to {MAX_ID}."
        super().__init__(
            strict=True,
            validate=validate.Range(min=1, max=MAX_ID, error=message),
            error_messages={**REQUIRED, "invalid": message},
            **kwargs,
        )
        self.in_query = in_query

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if self.in_query:
            number = parse_id(value)
            if number is None:
                raise self.make_error("invalid")
            return number
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return super()._deserialize(value, attr, data, **kwargs)


class PageCursor(fields.Field[pagination.Cursor]):
    """A place in the list of posts, as the `next` and `prev` links give it."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {
            "type": "string",
            "pattern": f"^{pagination.CURSOR.pattern}$",
            "example": pagination.CURSOR_EXAMPLE,
        }
        super().__init__(metadata={**metadata, **kwargs.pop("metadata", {})}, **kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> pagination.Cursor:
        cursor = pagination.Cursor.parse(value) if isinstance(value, str) else None
        if cursor is None:
            raise ValidationError(f"Must be a page cursor such as {pagination.CURSOR_EXAMPLE}.")
        return cursor


def link(url: Any, description: str | None = None) -> fields.Function:
    """A URL made from the object being shaped."""
    metadata = {"type": "string"} | ({"description": description} if description else {})
    return fields.Function(url, metadata=metadata)


class OnRow(fields.Nested):
    """An object whose fields are columns of the row itself (a post's category: its
    category_id and category_name); null when the row's `present` column is."""

    def __init__(self, nested: type[Schema], present: str, **kwargs: Any) -> None:
        super().__init__(nested, allow_none=True, **kwargs)
        self.present = present

    def get_value(self, obj: Any, attr: str, accessor: Any = None, default: Any = None) -> Any:
        return obj if getattr(obj, self.present) is not None else None


class Answer(Schema):
    """A response's object: every field is always there, and the document says so."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = True


# Requests


class PostCreate(Schema):
    title = Text(models.TITLE_LENGTH, required=True)
    body = Text(
        models.MAX_BODY_LENGTH,
        strip=False,
        required=True,
        validate=[renders_within_limit],
        metadata={"description": "Markdown. Its HTML must fit in 1,000,000 characters too."},
    )
    category_id = RowId(
        allow_none=True,
        metadata={"description": "A category's id (409 if there is none), or null for none."},
    )


class PostChange(PostCreate):
    """The fields of PostCreate, none of them required; the slug stays."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(partial=True, **kwargs)


class CategoryCreate(Schema):
    name = Text(models.CATEGORY_NAME_LENGTH, required=True)


class CategoryChange(CategoryCreate):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(partial=True, **kwargs)


class PageArguments(Schema):
    class Meta:
        unknown = EXCLUDE  # other query arguments are no business of the API's

    older = PageCursor(metadata={"description": "The page of posts just older than this."})
    newer = PageCursor(
        metadata={"description": "The page just newer than this; ignored beside `older`."}
    )


class PostListArguments(PageArguments):
    category = RowId(
        in_query=True, metadata={"description": "Only this category's posts (404 if none)."}
    )


# Responses


class CategoryRef(Answer):
    id = fields.Integer(attribute="category_id")
    name = fields.String(attribute="category_name")
    url = link(lambda row: url_for("api.category", category_id=row.category_id))


class Author(Answer):
    id = fields.Integer(attribute="author_id")
    name = fields.String(attribute="author_name")


class Post(Answer):
    """A post row from blog.models.posts_with_names()."""

    id = fields.Integer()
    title = fields.String()
    body = fields.String(metadata={"description": "Markdown, as written."})
    body_html = fields.String(
        allow_none=True,
        metadata={
            "description": "The body rendered and sanitized; null for posts written before"
            " bodies were Markdown (their body is plain text)."
        },
    )
    category = OnRow(CategoryRef, present="category_id")
    author = OnRow(Author, present="author_id")
    read_count = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    slug = fields.String(
        allow_none=True,
        metadata={
            "pattern": f"^{slugs.SLUG_PATTERN}$",
            "maxLength": slugs.SLUG_LENGTH,
            "description": "The post's name in its URLs, made from its title when it was"
            " written and never changed. null only during a deploy, for a post the previous"
            " release wrote, until the deploy's post-deploy step.",
        },
    )
    # Its slug, or its id until a deploy is complete, as on the pages.
    url = link(lambda row: url_for("api.post", post=links.post_key(row)), "/api/posts/<slug>")
    html_url = link(links.post_url, "The post's page: /posts/<slug>.")


class Category(Answer):
    """A category and its number of posts: a (Category, count) row."""

    id = fields.Integer(attribute="Category.id")
    name = fields.String(attribute="Category.name")
    post_count = fields.Integer()
    created_at = fields.DateTime(attribute="Category.created_at")
    url = link(lambda row: url_for("api.category", category_id=row.Category.id))
    posts_url = link(lambda row: url_for("api.category_posts", category_id=row.Category.id))


class Links(Answer):
    self = fields.String()
    next = fields.String(allow_none=True, metadata={"description": "Older items."})
    prev = fields.String(allow_none=True, metadata={"description": "Newer items."})


class PostPage(Answer):
    items = fields.List(fields.Nested(Post))
    links = fields.Nested(Links)


class CategoryList(Answer):
    items = fields.List(fields.Nested(Category))
    links = fields.Nested(Links)


class Token(Answer):
    token = fields.String()
    token_type = fields.Constant("Bearer", metadata={"type": "string", "enum": ["Bearer"]})
    expires_at = fields.DateTime()


class ErrorDetail(Schema):
    status = fields.Integer(required=True)
    message = fields.String(required=True)
    details = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "For 400, 409 and 422: what is wrong with each field."},
    )


class Error(Answer):
    """Every error, under /api: {error: {status, message, fields?}}."""

    error = fields.Nested(ErrorDetail)
