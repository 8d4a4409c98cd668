"""GET /api/openapi.json: the API described in OpenAPI 3.1, every route, body and error.

Kept true by the tests: every response tests/test_api.py sees is validated against it, and
Schemathesis fuzzes every operation from it (tests/test_api_fuzz.py).
"""

from functools import cache
from typing import Any

from blog.api.blueprint import bp
from blog.models import CATEGORY_NAME_LENGTH
from blog.models import MAX_BODY_LENGTH
from blog.models import TITLE_LENGTH
from blog.slugs import SLUG_LENGTH
from blog.slugs import SLUG_PATTERN
from blog.web.converters import MAX_ID

JSON = "application/json"


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def body(schema_name: str) -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": ref(schema_name)}}}


def ok(schema_name: str, description: str, **extra: Any) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": ref(schema_name)}}, **extra}


def errors(*statuses: int) -> dict[str, Any]:
    return {str(status): {"$ref": f"#/components/responses/{status}"} for status in statuses}


ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
SLUG = {"type": "string", "pattern": f"^{SLUG_PATTERN}$", "maxLength": SLUG_LENGTH}
CURSOR = {"type": "string", "pattern": r"^\d{1,18}-\d{1,10}$", "example": "1767225600000000-42"}
LOCATION = {"Location": {"description": "The URL of what was made.", "schema": {"type": "string"}}}
BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]
WRITE_ERRORS = (400, 401, 413, 415, 422)

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "additionalProperties": False,
        "properties": {
            "error": {
                "type": "object",
                "required": ["status", "message"],
                "additionalProperties": False,
                "properties": {
                    "status": {"type": "integer"},
                    "message": {"type": "string"},
                    "fields": {
                        "type": "object",
                        "description": "For 409 and 422: what is wrong with each field.",
                        "additionalProperties": {"type": "string"},
                    },
                },
            }
        },
    },
    "CategoryRef": {
        "type": "object",
        "required": ["id", "name", "url"],
        "additionalProperties": False,
        "properties": {"id": ID, "name": {"type": "string"}, "url": {"type": "string"}},
    },
    "Author": {
        "type": "object",
        "required": ["id", "name"],
        "additionalProperties": False,
        "properties": {"id": ID, "name": {"type": "string"}},
    },
    "Post": {
        "type": "object",
        "required": [
            "id",
            "title",
            "body",
            "body_html",
            "category",
            "author",
            "read_count",
            "created_at",
            "updated_at",
            "slug",
            "url",
            "html_url",
        ],
        "additionalProperties": False,
        "properties": {
            "id": ID,
            "title": {"type": "string"},
            "body": {"type": "string", "description": "Markdown, as written."},
            "body_html": nullable(
                {
                    "type": "string",
                    "description": "The body rendered and sanitized; null for posts written"
                    " before bodies were Markdown (their body is plain text).",
                }
            ),
            "category": nullable(ref("CategoryRef")),
            "author": nullable(ref("Author")),
            "read_count": {"type": "integer", "minimum": 0},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "slug": nullable(
                {
                    **SLUG,
                    "description": "The post's name in its URLs, made from its title when it"
                    " was written and never changed. null only during a deploy, for a post"
                    " the previous release wrote, until the deploy's post-deploy step.",
                }
            ),
            "url": {"type": "string", "description": "/api/posts/<slug> (<id> without a slug)"},
            "html_url": {"type": "string", "description": "The post's page: /posts/<slug>."},
        },
    },
    "PostCreate": {
        "type": "object",
        "required": ["title", "body"],
        "additionalProperties": False,
        "properties": {
            "title": {"type": "string", "minLength": 1, "maxLength": TITLE_LENGTH},
            "body": {"type": "string", "minLength": 1, "maxLength": MAX_BODY_LENGTH},
            "category_id": nullable(ID),
        },
    },
    "Category": {
        "type": "object",
        "required": ["id", "name", "post_count", "created_at", "url", "posts_url"],
        "additionalProperties": False,
        "properties": {
            "id": ID,
            "name": {"type": "string"},
            "post_count": {"type": "integer", "minimum": 0},
            "created_at": {"type": "string", "format": "date-time"},
            "url": {"type": "string"},
            "posts_url": {"type": "string"},
        },
    },
    "CategoryCreate": {
        "type": "object",
        "required": ["name"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": CATEGORY_NAME_LENGTH}
        },
    },
    "Links": {
        "type": "object",
        "required": ["self", "next", "prev"],
        "additionalProperties": False,
        "properties": {
            "self": {"type": "string"},
            "next": nullable({"type": "string", "description": "Older items."}),
            "prev": nullable({"type": "string", "description": "Newer items."}),
        },
    },
    "PostPage": {
        "type": "object",
        "required": ["items", "links"],
        "additionalProperties": False,
        "properties": {"items": {"type": "array", "items": ref("Post")}, "links": ref("Links")},
    },
    "CategoryList": {
        "type": "object",
        "required": ["items", "links"],
        "additionalProperties": False,
        "properties": {
            "items": {"type": "array", "items": ref("Category")},
            "links": ref("Links"),
        },
    },
    "Token": {
        "type": "object",
        "required": ["token", "token_type", "expires_at"],
        "additionalProperties": False,
        "properties": {
            "token": {"type": "string"},
            "token_type": {"const": "Bearer"},
            "expires_at": {"type": "string", "format": "date-time"},
        },
    },
}

# A change (PATCH) takes the same fields as a creation, none of them required.
for name in ("Post", "Category"):
    SCHEMAS[f"{name}Change"] = {
        key: value for key, value in SCHEMAS[f"{name}Create"].items() if key != "required"
    }

ERROR_RESPONSES = {
    400: "Malformed: the body is not JSON, or a query argument is not valid.",
    401: "No valid credentials.",
    403: "Not yours: only a post's author may change it.",
    404: "No such resource.",
    409: "The name is taken by another category (ignoring case).",
    413: "The body is larger than the server accepts.",
    415: "The body is not JSON (Content-Type: application/json).",
    422: "Not valid: see `fields` for each field's problem.",
    429: "Too many failed sign-ins for this name: refused for a while (see Retry-After).",
    503: "The database is busy or out of reach: try again (see Retry-After).",
}

PAGE_PARAMETERS = [
    {"name": "older", "in": "query", "schema": CURSOR, "description": "The page older than"},
    {"name": "newer", "in": "query", "schema": CURSOR, "description": "The page newer than"},
]
REDIRECT = {
    "302": {
        "description": "`newer` reached the newest posts: go to the first page.",
        "headers": LOCATION,
    }
}


def path_id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": ID}


PATHS: dict[str, Any] = {
    "/api/posts": {
        "get": {
            "summary": "Posts, newest first, a page at a time",
            "operationId": "listPosts",
            "parameters": [
                {"name": "category", "in": "query", "schema": ID, "description": "Only these"},
                *PAGE_PARAMETERS,
            ],
            "responses": {"200": ok("PostPage", "A page"), **REDIRECT, **errors(400, 404)},
        },
        "post": {
            "summary": "Write a post",
            "operationId": "createPost",
            "security": BEARER,
            "requestBody": body("PostCreate"),
            "responses": {
                "201": ok("Post", "Written", headers=LOCATION),
                **errors(*WRITE_ERRORS),
            },
        },
    },
    "/api/posts/{post}": {
        "parameters": [
            {
                "name": "post",
                "in": "path",
                "required": True,
                "description": "The post's slug, or its id.",
                "schema": {"anyOf": [ID, {**SLUG, "pattern": f"^(?![0-9]+$){SLUG_PATTERN}$"}]},
            }
        ],
        "get": {
            "summary": "One post (counts a read)",
            "operationId": "getPost",
            "responses": {"200": ok("Post", "The post"), **errors(404)},
        },
        "patch": {
            "summary": "Change your post",
            "operationId": "changePost",
            "security": BEARER,
            "requestBody": body("PostChange"),
            "responses": {"200": ok("Post", "Changed"), **errors(*WRITE_ERRORS, 403, 404)},
        },
        "delete": {
            "summary": "Delete your post",
            "operationId": "deletePost",
            "security": BEARER,
            "responses": {"204": {"description": "Deleted"}, **errors(401, 403, 404)},
        },
    },
    "/api/categories": {
        "get": {
            "summary": "Every category, with its number of posts",
            "operationId": "listCategories",
            "responses": {"200": ok("CategoryList", "The categories")},
        },
        "post": {
            "summary": "Make a category",
            "operationId": "createCategory",
            "security": BEARER,
            "requestBody": body("CategoryCreate"),
            "responses": {
                "201": ok("Category", "Made", headers=LOCATION),
                **errors(*WRITE_ERRORS, 409),
            },
        },
    },
    "/api/categories/{category_id}": {
        "parameters": [path_id("category_id")],
        "get": {
            "summary": "One category",
            "operationId": "getCategory",
            "responses": {"200": ok("Category", "The category"), **errors(404)},
        },
        "patch": {
            "summary": "Rename a category",
            "operationId": "renameCategory",
            "security": BEARER,
            "requestBody": body("CategoryChange"),
            "responses": {
                "200": ok("Category", "Renamed"),
                **errors(*WRITE_ERRORS, 404, 409),
            },
        },
        "delete": {
            "summary": "Delete a category (its posts stay, uncategorized)",
            "operationId": "deleteCategory",
            "security": BEARER,
            "responses": {"204": {"description": "Deleted"}, **errors(401, 404)},
        },
    },
    "/api/categories/{category_id}/posts": {
        "parameters": [path_id("category_id")],
        "get": {
            "summary": "One category's posts, newest first, a page at a time",
            "operationId": "listCategoryPosts",
            "parameters": PAGE_PARAMETERS,
            "responses": {"200": ok("PostPage", "A page"), **REDIRECT, **errors(400, 404)},
        },
    },
    "/api/tokens": {
        "post": {
            "summary": "A bearer token, for your name and password (HTTP Basic)",
            "operationId": "createToken",
            "security": [{"basicAuth": []}],
            "responses": {"201": ok("Token", "A new token"), **errors(401, 429)},
        },
        "delete": {
            "summary": "Revoke the token this request carries",
            "operationId": "revokeToken",
            "security": BEARER,
            "responses": {"204": {"description": "Revoked"}, **errors(401)},
        },
    },
    "/api/openapi.json": {
        "get": {
            "summary": "This document",
            "operationId": "getOpenAPI",
            "responses": {
                "200": {
                    "description": "OpenAPI 3.1",
                    "content": {JSON: {"schema": {"type": "object"}}},
                }
            },
        }
    },
}

# Every operation but the document itself reads the database, which may be out of reach.
for path, item in PATHS.items():
    if path != "/api/openapi.json":
        for operation in item.values():
            if isinstance(operation, dict) and "responses" in operation:  # not "parameters"
                operation["responses"].update(errors(503))


@cache
def document() -> dict[str, Any]:
    responses = {
        str(status): {"description": description, "content": {JSON: {"schema": ref("Error")}}}
        for status, description in ERROR_RESPONSES.items()
    }
    responses["401"]["headers"] = {
        "WWW-Authenticate": {"description": "Basic or Bearer", "schema": {"type": "string"}}
    }
    for status in ("429", "503"):
        responses[status]["headers"] = {
            "Retry-After": {"description": "Seconds to wait", "schema": {"type": "string"}}
        }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "blog",
            "version": "1",
            "description": "Posts and categories. Reads are public; writes need a bearer"
            " token from POST /api/tokens. Every response is JSON; errors are"
            " {error: {status, message, fields?}}.",
        },
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "responses": responses,
            "securitySchemes": {
                "basicAuth": {"type": "http", "scheme": "basic"},
                "bearerAuth": {"type": "http", "scheme": "bearer"},
            },
        },
    }


@bp.get("/openapi.json")
def openapi_json() -> dict[str, Any]:
    return document()
