"""A one-second cache of the post list, for visitors without a session.

The list is the page a crowd hits. Served from this cache, a page costs no query and no
rendering; the price is that a visitor may see it up to PAGE_CACHE_SECONDS old (a read
count behind, a new post a second late). Anyone with a session cookie (who has opened a
form, or has a message waiting) always gets a fresh page, so writers see their own
writes at once and no page with someone's message in it is ever stored.
"""

import time
from collections.abc import Callable
from functools import wraps

from flask import current_app
from flask import request

# Pages kept per worker: enough for the first pages of every category, a few MB at most.
MAX_PAGES = 256


def cached_for_visitors(view: Callable[..., str]) -> Callable[..., str]:
    """Serve `view`'s page from the cache when the visitor has no session cookie."""

    @wraps(view)
    def cached_view(*args: object, **kwargs: object) -> str:
        seconds = current_app.config["PAGE_CACHE_SECONDS"]
        if seconds <= 0 or current_app.config["SESSION_COOKIE_NAME"] in request.cookies:
            return view(*args, **kwargs)
        pages: dict[str, tuple[float, str]] = current_app.extensions.setdefault(
            "blog.web.page_cache", {}
        )
        now = time.monotonic()
        hit = pages.get(request.full_path)
        if hit is not None and hit[0] > now:
            return hit[1]
        page = view(*args, **kwargs)  # an error page is raised, never stored
        if len(pages) >= MAX_PAGES:
            pages.clear()
        pages[request.full_path] = (now + seconds, page)
        return page

    return cached_view
