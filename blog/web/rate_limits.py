"""Rate limits (Flask-Limiter), each counted per client address unless it says otherwise:
signing in, failed sign-ins (per name and address, per address, and per name from
anywhere), and writes. The limits themselves are settings in config.py; a request over
one gets a 429 with Retry-After (blog.web.errors).

The client address is request.remote_addr: the peer's, or the one a trusted proxy names
(blog.web.proxies). An IPv6 client counts by its /64, the block one machine is given.

The per-name limit is the one others could turn on an author, from enough addresses: a
browser that has signed in with that name before (a signed cookie, KNOWN_NAME_COOKIE) is
exempt from it, so its author always gets in from there.
"""

from collections.abc import Callable
from functools import wraps
from ipaddress import ip_address
from ipaddress import ip_network
from typing import Any
from typing import TypeVar
from typing import cast

from flask import Blueprint
from flask import Flask
from flask import current_app
from flask import g
from flask import request
from flask_limiter import Limiter
from itsdangerous import BadSignature
from itsdangerous import URLSafeSerializer
from limits import parse_many
from werkzeug.wrappers import Response

F = TypeVar("F", bound=Callable[..., Any])
WRITE_METHODS = ["POST", "PUT", "PATCH", "DELETE"]
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Names no account can have share one count: a limit's key stays short whatever is sent.
NOT_A_NAME = "-"
NAME_KEY_LENGTH = 64
# Addresses that are not one (a proxy's malformed X-Forwarded-For) share one count.
NOT_AN_ADDRESS = "-"
KNOWN_NAME_COOKIE = "known_name"
KNOWN_NAME_SECONDS = 365 * 24 * 60 * 60
PER_NAME_SCOPE = "sign-in-failures-for-name"


def client_address() -> str:
    """The client's address (an IPv4 one, for an IPv4-mapped IPv6 address), or its IPv6
    /64. Never raises: Flask-Limiter would take an error for its store's, and count nothing."""
    try:
        address = ip_address(request.remote_addr or "")
    except ValueError:
        return NOT_AN_ADDRESS
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ip_network(f"{address}/64", strict=False))
    return str(address)


limiter = Limiter(key_func=client_address)


@limiter.request_filter
def is_a_read() -> bool:
    """Reads are never limited. Flask-Limiter's hooks pass reads over already
    (register_rate_limits); this tells the views it decorates, whose own check runs
    for every method (the sign-in page, which a GET shows)."""
    return request.method in READ_METHODS


def register_rate_limits(app: Flask) -> None:
    """Count this app's writes and sign-ins in RATELIMIT_STORAGE_URI."""
    registries: list[dict[Any, list[Any]]] = [
        app.before_request_funcs,
        app.after_request_funcs,
        app.teardown_request_funcs,
    ]
    blogs_own = [list(registry.get(None, ())) for registry in registries]
    limiter.init_app(app)
    # Flask-Limiter's hooks run for every request, and even a read that is_a_read exempts
    # pays about 200 Python calls in them: a tenth of a post page (docs/benchmarks.md). So
    # the hooks init_app added run for writes only.
    for registry, own in zip(registries, blogs_own, strict=True):
        registry[None] = [hook if hook in own else for_writes(hook) for hook in registry[None]]


def for_writes(hook: Callable[..., Any]) -> Callable[..., Any]:
    """`hook`, passed over for a read: as a before_request or teardown hook it does nothing
    then, as an after_request hook it hands the response back unchanged."""

    @wraps(hook)
    def hook_for_writes(*args: Any) -> Any:
        if request.method in READ_METHODS:
            return args[0] if args else None
        return hook(*args)

    return hook_for_writes


def warn_if_each_worker_counts_alone(app: Flask) -> None:
    """Say so when production serves with its counts in each worker's memory, which no other
    worker or server sees (wsgi.py: the `flask` commands count nothing)."""
    if app.config["BLOG_CONFIG"] == "production" and app.config[
        "RATELIMIT_STORAGE_URI"
    ].startswith("memory"):
        app.logger.warning(
            "RATELIMIT_STORAGE_URI is not set: each worker counts its own sign-ins and writes"
        )


def sign_in_name() -> str:
    """The name a sign-in is for, in lower case, as names are the same whatever their case:
    HTTP Basic's for the API, the form's for the page (whatever other header it sends)."""
    credentials = request.authorization
    if request.blueprint != "api":
        name = request.form.get("name", "")
    elif credentials is not None and credentials.type == "basic":
        name = credentials.username or ""
    else:
        name = ""
    name = name.strip().lower()
    return name if name and len(name) <= NAME_KEY_LENGTH else NOT_A_NAME


def name_and_address() -> str:
    return f"{sign_in_name()} {client_address()}"


def count_failed_sign_in() -> None:
    """Mark this request's sign-in as failed, for the failure limits to count."""
    g.sign_in_failed = True


def sign_in_failed(response: Response) -> bool:
    return bool(g.get("sign_in_failed"))


def known_names() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key or "", salt=KNOWN_NAME_COOKIE)


def remember_known_name(response: Response, name: str) -> None:
    """After a sign-in as `name`, mark this browser as one that has signed in with it."""
    response.set_cookie(
        KNOWN_NAME_COOKIE,
        known_names().dumps(name.lower()),
        max_age=KNOWN_NAME_SECONDS,
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        httponly=True,
        samesite="Lax",
    )


def signed_in_here_before() -> bool:
    """True if this browser has signed in with the name it signs in with now."""
    cookie = request.cookies.get(KNOWN_NAME_COOKIE)
    if not cookie:
        return False
    try:
        return bool(known_names().loads(cookie) == sign_in_name())
    except BadSignature:
        return False


def setting(name: str) -> Callable[[], str]:
    """A limit read from the app's configuration at each request (tests change them)."""
    return lambda: current_app.config[name]


SIGN_IN_LIMITS = [
    limiter.shared_limit(
        setting("SIGN_IN_RATE_LIMIT"),
        scope="sign-in",
        methods=["POST"],
        error_message="Too many sign-ins from your address.",
    ),
    limiter.shared_limit(
        setting("SIGN_IN_FAILURES_PER_ADDRESS"),
        scope="sign-in-failures",
        methods=["POST"],
        deduct_when=sign_in_failed,
        error_message="Too many failed sign-ins from your address.",
    ),
    limiter.shared_limit(
        setting("SIGN_IN_FAILURES_PER_NAME_AND_ADDRESS"),
        scope="sign-in-failures-for-name-from-address",
        key_func=name_and_address,
        methods=["POST"],
        deduct_when=sign_in_failed,
        error_message="Too many failed sign-ins for this name from your address.",
    ),
    limiter.shared_limit(
        setting("SIGN_IN_FAILURES_PER_NAME"),
        scope=PER_NAME_SCOPE,
        key_func=sign_in_name,
        methods=["POST"],
        deduct_when=sign_in_failed,
        exempt_when=signed_in_here_before,
        error_message="Too many failed sign-ins for this name.",
    ),
]

WRITE_LIMIT = limiter.shared_limit(
    setting("WRITE_RATE_LIMIT"),
    scope="writes",
    methods=WRITE_METHODS,
    error_message="Too many changes from your address.",
)


def limit_sign_in(view: F) -> F:
    """Apply the sign-in limits to a view that signs in (they count together across views)."""
    limited: Callable[..., Any] = view
    for limit in SIGN_IN_LIMITS:
        limited = limit(limited)
    return cast(F, limited)


def limit_writes(blueprint: Blueprint) -> None:
    """Apply the write limit to every write to `blueprint`'s routes."""
    WRITE_LIMIT(blueprint)


def lift_name_limit(name: str) -> None:
    """Forget the failed sign-ins counted for `name` from every address (`flask users
    unlock`); those counted per name and address expire by themselves."""
    for item in parse_many(current_app.config["SIGN_IN_FAILURES_PER_NAME"]):
        limiter.limiter.clear(item, name.lower(), PER_NAME_SCOPE)
