"""The journey in a real browser: Playwright drives Debian's Chromium against a live server.

Chromium is /usr/bin/chromium (or `chromium` on PATH; BLOG_CHROMIUM names another binary).
Playwright's own browser download is never used. Where Playwright or Chromium is missing,
these tests are reported as not run, by name, at the end of the run (tests/conftest.py);
with CI=true they fail instead. Screenshots go to $TEST_ARTIFACTS, else test-artifacts/.
"""

import itertools
import os
import re
import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from blog.models import Category
from blog.models import Post
from blog.models import utcnow
from tests.helpers import post_path

try:
    from playwright.sync_api import expect
    from playwright.sync_api import sync_playwright
except ImportError as error:  # reported as not run (or failed, in CI) by the fixtures below
    PLAYWRIGHT_MISSING = f"Playwright cannot be imported ({error}): pip install -e '.[test]'"
else:
    PLAYWRIGHT_MISSING = ""
    # Every wait is bounded: a broken page fails in seconds instead of hanging the run.
    expect.set_options(timeout=10_000)

if TYPE_CHECKING:
    from playwright.sync_api import Browser
    from playwright.sync_api import Page

# A real server, not pytest-flask's client; SQLite is enough for what a browser adds. CSRF is
# on, as in production: the browser posts the forms' own tokens.
pytestmark = [pytest.mark.engines("sqlite"), pytest.mark.options(WTF_CSRF_ENABLED=True)]

DEBIAN_CHROMIUM = "/usr/bin/chromium"
# Root on a closed network: no sandbox (it refuses root), nothing that phones home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
ARTIFACTS = Path(
    os.environ.get("TEST_ARTIFACTS") or Path(__file__).resolve().parent.parent / "test-artifacts"
)

JOURNEY_BODY = """## Packing list

Read [the packing guide](https://example.com/packing) first.

- passport
- charger
- umbrella
"""
# What a phone must not scroll sideways for: each piece is wider than 390 px unbroken.
LONG_WORD = "Donaudampfschifffahrtsgesellschaftskapitän" * 4
LONG_URL = "https://example.com/" + "a-very-long-path-segment/" * 8
WIDE_BODY = f"""# {LONG_WORD}

{LONG_WORD} and the bare address {LONG_URL} and the link <{LONG_URL}>.

```
{"print('a line of code far wider than any phone'); " * 4}
```

| {LONG_WORD} | column |
| --- | --- |
| {LONG_URL} | cell |
"""


# ---------------------------------------------------------------------------- the browser


def find_chromium() -> tuple[str | None, str]:
    """Chromium's path, or None and why there is none."""
    if configured := os.environ.get("BLOG_CHROMIUM"):
        if os.access(configured, os.X_OK):
            return configured, ""
        return None, f"BLOG_CHROMIUM={configured} is not an executable"
    if os.access(DEBIAN_CHROMIUM, os.X_OK):
        return DEBIAN_CHROMIUM, ""
    if found := shutil.which("chromium"):
        return found, ""
    return None, f"no Chromium at {DEBIAN_CHROMIUM} or on PATH (apt-get install chromium)"


@dataclass
class Chromium:
    """The module's browser, or why there is none: `missing` (a skip outside CI) or
    `broken` (always a failure: it is installed but does not start)."""

    browser: "Browser | None" = None
    missing: str = ""
    broken: str = ""


@pytest.fixture(scope="module")
def chromium():
    """One Chromium for this module's tests (starting it is the slowest step), closed after
    them: the rest of the run goes on without a browser in the background."""
    path, missing = find_chromium()
    if PLAYWRIGHT_MISSING or missing:
        yield Chromium(missing=PLAYWRIGHT_MISSING or missing)
        return
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(
                executable_path=path, args=CHROMIUM_ARGS, timeout=30_000
            )
        except Exception as error:  # said on each test, as a failure
            yield Chromium(broken=f"Chromium at {path} did not start: {error}")
            return
        yield Chromium(browser)
        browser.close()


@pytest.fixture
def browser(chromium, request):
    """The browser, for this test; records for the run's summary whether it ran, and in what."""
    properties = request.node.user_properties
    if chromium.broken:
        properties.append(("browser_not_run", chromium.broken.splitlines()[0]))
        pytest.fail(chromium.broken, pytrace=False)
    if chromium.missing:
        properties.append(("browser_not_run", chromium.missing))
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs the browser tests: {chromium.missing}", pytrace=False)
        pytest.skip(chromium.missing)
    properties.append(("chromium", chromium.browser.version))
    return chromium.browser


@pytest.fixture
def open_page(browser, site):
    """`open_page(viewport)`: a page in a fresh context (no cookies), on `site`."""
    contexts = []

    def open_page(viewport=DESKTOP) -> "Page":
        context = browser.new_context(base_url=site, viewport=viewport)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page):
    return open_page()


@pytest.fixture
def artifact(request):
    """`artifact(page, name)`: a full-page screenshot in the artifacts folder; its path."""

    def screenshot(page: "Page", name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=path, full_page=True)
        request.node.user_properties.append(("artifact", str(path)))
        print(f"screenshot: {path}")
        return path

    return screenshot


# --------------------------------------------------------------------------------- helpers


def sign_in(page: "Page", account) -> None:
    page.goto("/auth/sign-in")
    page.get_by_label("Name", exact=True).fill(account.name)
    page.get_by_label("Password", exact=True).fill(account.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("status")).to_have_text(f"Signed in as {account.name}.")


def sign_out(page: "Page") -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("Signed out.")


def reads(page: "Page") -> int:
    """The read count the post page shows ("1 read", "3 reads")."""
    text = page.locator("article.post .reads").inner_text()
    match = re.fullmatch(r"(\d+) reads?", text)
    assert match, f"unexpected read count {text!r}"
    return int(match.group(1))


def first_summary(page: "Page"):
    return page.locator("ol.posts > li.post-summary").first


WRITE_LINKS = ("New post", "New category", "Edit", "Delete", "Rename")


def expect_signed_out(page: "Page") -> None:
    """No way to write from this page: only a Sign in link."""
    for name in WRITE_LINKS:
        expect(page.get_by_role("link", name=name, exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    expect(page.get_by_role("link", name="Sign in", exact=True)).to_be_visible()


def focus_by_tab(page: "Page", locator, limit: int = 20) -> int:
    """Press Tab until `locator` has the focus; the number of presses (fails after `limit`)."""
    for presses in range(limit + 1):
        if locator.evaluate("element => element === document.activeElement"):
            return presses
        page.keyboard.press("Tab")
    raise AssertionError(f"{locator} not reached with {limit} presses of Tab")


# ---------------------------------------------------------------------------------- tests


def test_journey(page, make_user, save, artifact):
    """Sign in, write, read, edit; another author may not change it; delete; sign out."""
    ada, bob = make_user("ada"), make_user("bob")
    # An older post, so "first on the list" means newest first, not "the only one".
    save(Post(title="An older post", body="Old news.", author_id=bob.id,
              created_at=utcnow() - timedelta(days=1)))  # fmt: skip

    sign_in(page, ada)

    # A category, through its form.
    page.get_by_role("link", name="New category").click()
    page.get_by_label("Name", exact=True).fill("Travel")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Category “Travel” created.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Travel")

    # A post in it, in Markdown.
    page.get_by_role("link", name="New post").click()
    page.get_by_label("Title").fill("Packing for Lisbon")
    page.get_by_label("Body").fill(JOURNEY_BODY)
    page.get_by_label("Category").select_option(label="Travel")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Post “Packing for Lisbon” created.")

    # First on the list, with its category; the older post after it.
    assert page.url.rstrip("/").endswith("/posts")
    summaries = page.locator("ol.posts > li.post-summary")
    expect(summaries.locator("h2")).to_have_text(["Packing for Lisbon", "An older post"])
    expect(first_summary(page).locator(".meta a")).to_have_text("Travel")
    expect(first_summary(page).locator(".reads")).to_have_text("0 reads")
    artifact(page, "journey-list")

    # Opened three times: one read each, counted by the server.
    first_summary(page).get_by_role("link", name="Packing for Lisbon").click()
    expect(page).to_have_url(re.compile(r"/posts/packing-for-lisbon$"))  # its slug
    post_url = page.url
    counts = [reads(page)]
    for _ in range(2):
        page.reload()
        counts.append(reads(page))
    assert counts == [1, 2, 3]
    expect(page.locator("article.post .reads")).to_have_text("3 reads")
    expect(page.locator("article.post .meta a")).to_have_text("Travel")

    # The Markdown, rendered: a heading, a link and a list inside the body.
    body = page.locator("article.post .body.markdown")
    expect(body.locator("h2")).to_have_text("Packing list")
    link = body.get_by_role("link", name="the packing guide")
    expect(link).to_have_attribute("href", "https://example.com/packing")
    expect(body.locator("ul > li")).to_have_text(["passport", "charger", "umbrella"])
    expect(body).not_to_contain_text("##")  # no Markdown left as text
    # Laid out as HTML: the source's newlines between blocks are no blank lines on the page.
    line = body.evaluate("body => parseFloat(getComputedStyle(body).lineHeight)")
    tops = body.locator("ul > li").evaluate_all(
        "items => items.map(item => item.getBoundingClientRect().top)"
    )
    assert all(b - a < 1.5 * line for a, b in itertools.pairwise(tops)), (line, tops)
    artifact(page, "journey-post")

    # Edited by its author.
    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.get_by_label("Title")).to_have_value("Packing for Lisbon")
    page.get_by_label("Title").fill("Packing for Lisbon, revised")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Post updated.")
    assert page.url == post_url  # a new title, the same URL: the slug stays
    expect(page.get_by_role("heading", level=1)).to_have_text("Packing for Lisbon, revised")

    # Its edit and delete pages are at its id; a link to the id leads to the slug's page.
    edit_url = page.get_by_role("link", name="Edit", exact=True).get_attribute("href")
    post_id = re.fullmatch(r"/posts/(\d+)/edit", edit_url).group(1)
    page.goto(f"/posts/{post_id}")
    assert page.url == post_url

    # Another author sees no way to change it, and is refused at the edit URL itself.
    sign_out(page)
    sign_in(page, bob)
    page.goto(post_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Packing for Lisbon, revised")
    expect(page.get_by_role("link", name="Edit", exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="Delete", exact=True)).to_have_count(0)
    for action in ("edit", "delete"):
        response = page.goto(f"/posts/{post_id}/{action}")
        assert response.status == 403
        expect(page.get_by_role("heading", level=1)).to_have_text("403 Forbidden")
        expect(page.get_by_text("Only the author of this post can change it.")).to_be_visible()

    # Deleted by its author, after confirming.
    sign_out(page)
    sign_in(page, ada)
    page.goto(post_url)
    page.get_by_role("link", name="Delete", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Delete “Packing for Lisbon, revised”?"
    )
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status")).to_have_text("Post “Packing for Lisbon, revised” deleted.")
    expect(page.locator("ol.posts h2")).to_have_text(["An older post"])
    assert page.goto(post_url).status == 404

    # Signed out, no page offers a way to write.
    sign_out(page)
    expect_signed_out(page)
    page.get_by_role("link", name="An older post").click()
    expect_signed_out(page)
    page.goto("/categories/")
    page.get_by_role("link", name="Travel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Travel")
    expect_signed_out(page)


def no_sideways_scroll(page: "Page", what: str) -> None:
    """The page fits the viewport's width; else name the elements that stick out."""
    widths = page.evaluate(
        """() => ({
            scroll: document.documentElement.scrollWidth,
            inner: window.innerWidth,
            wide: Array.from(document.querySelectorAll("body *"))
                .filter(el => el.getBoundingClientRect().right > window.innerWidth + 0.5)
                .filter(el => !el.parentElement.closest("pre, table"))  // they scroll inside
                .map(el => el.tagName.toLowerCase() + (el.className ? "." + el.className : ""))
                .slice(0, 8),
        })"""
    )
    assert widths["scroll"] <= widths["inner"], (
        f"{what} scrolls sideways: {widths['scroll']} px of content in {widths['inner']} px;"
        f" too wide: {widths['wide']}"
    )


def test_phone_width_needs_no_sideways_scrolling(app, open_page, make_user, save, artifact):
    """At 390 px: the list, a post full of long words, the sign-in page and the post form."""
    ada = make_user("ada")
    [post_id] = save(
        Post(title=LONG_WORD, body=WIDE_BODY, author_id=ada.id,
             category=Category(name=LONG_WORD[:64]))
    )  # fmt: skip
    page = open_page(PHONE)
    assert page.evaluate("window.innerWidth") == PHONE["width"]

    page.goto("/")
    expect(first_summary(page)).to_be_visible()
    no_sideways_scroll(page, "the list")
    artifact(page, "phone-list")

    page.goto(post_path(app, post_id))
    body = page.locator("article.post .body")
    expect(body.locator("pre code")).to_be_visible()
    expect(body.locator("table")).to_be_visible()
    no_sideways_scroll(page, "the post page")
    # The code keeps its lines (it scrolls inside its own box), but the page does not move.
    assert body.locator("pre").evaluate("pre => pre.scrollWidth > pre.clientWidth")
    artifact(page, "phone-post")

    page.goto("/auth/sign-in")
    no_sideways_scroll(page, "the sign-in page")

    sign_in(page, ada)
    page.goto("/posts/new")
    expect(page.get_by_label("Category")).to_be_visible()
    no_sideways_scroll(page, "the new post form")
    page.goto(f"/posts/{post_id}/edit")
    no_sideways_scroll(page, "the edit form, with the long post in it")


def test_keyboard_alone_signs_in_and_writes_a_post(page, make_user, save):
    """Tab from the top of the page to each field, type, Enter: no mouse needed."""
    ada = make_user("ada")
    save(Category(name="Travel"))

    page.goto("/auth/sign-in")
    name = page.get_by_label("Name", exact=True)
    expect(name).to_be_focused()  # autofocus: the one field everyone needs first
    # From the start of the page, as someone arriving by keyboard would: the header's links,
    # then the form.
    page.mouse.click(1, 1)
    assert page.evaluate("document.activeElement === document.body")
    assert focus_by_tab(page, name) > 0
    page.keyboard.type(ada.name)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    page.keyboard.type(ada.password)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text(f"Signed in as {ada.name}.")

    page.goto("/posts/new")
    assert page.evaluate("document.activeElement === document.body")
    focus_by_tab(page, page.get_by_label("Title"))
    page.keyboard.type("Typed, not clicked")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Body")).to_be_focused()
    page.keyboard.type("Every key on the keyboard.\n\n- one\n- two")
    page.keyboard.press("Tab")
    category = page.get_by_label("Category")
    expect(category).to_be_focused()
    page.keyboard.press("ArrowDown")  # from "No category" to the first category
    expect(category.locator("option:checked")).to_have_text("Travel")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Save")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_have_text("Post “Typed, not clicked” created.")
    expect(first_summary(page).locator("h2")).to_have_text("Typed, not clicked")
    expect(first_summary(page).locator(".meta a")).to_have_text("Travel")
    first_summary(page).get_by_role("link", name="Typed, not clicked").click()
    expect(page.locator("article.post .body li")).to_have_text(["one", "two"])


UNLABELLED_FIELDS = """() => Array.from(document.querySelectorAll("input, select, textarea"))
    .filter(el => !["hidden", "submit", "button", "reset", "image"].includes(el.type))
    .filter(el => el.getClientRects().length > 0)
    .map(el => ({name: el.name, labelled: el.labels.length > 0}))"""


def test_every_form_field_has_a_label(page, make_user, save):
    """On every form page, each visible field has a <label> of its own."""
    ada = make_user("ada")
    [category_id] = save(Category(name="Travel"))
    [post_id] = save(Post(title="Labelled", body="Text.", author_id=ada.id))
    # The fields each page must have: a page that lost its form fails here too.
    pages = {
        "/auth/sign-in": ["name", "password"],
        "/posts/new": ["title", "body", "category_id"],
        f"/posts/{post_id}/edit": ["title", "body", "category_id"],
        f"/posts/{post_id}/delete": [],
        "/categories/new": ["name"],
        f"/categories/{category_id}/edit": ["name"],
        f"/categories/{category_id}/delete": [],
    }
    failures = {}
    for url, names in pages.items():
        if url == "/posts/new":  # the first page behind the sign-in
            sign_in(page, ada)
        response = page.goto(url)
        assert response.status == 200, url
        fields = page.evaluate(UNLABELLED_FIELDS)
        assert [field["name"] for field in fields] == names, url
        if unlabelled := [field["name"] for field in fields if not field["labelled"]]:
            failures[url] = unlabelled
        if names == []:  # a confirmation: its button must still say what it does
            expect(page.locator("main").get_by_role("button", name="Delete")).to_be_visible()

    # And a form sent back with its errors keeps them labelled.
    page.goto("/posts/new")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".has-errors")).to_have_count(2)
    for field in page.evaluate(UNLABELLED_FIELDS):
        if not field["labelled"]:
            failures.setdefault("/posts/new with errors", []).append(field["name"])

    assert not failures, f"fields without a label: {failures}"
