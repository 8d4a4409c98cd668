"""The template helpers: the layout's fixed links, built once per mount point, and the
timestamp filter."""

from datetime import UTC
from datetime import datetime

import pytest
from flask import render_template_string


def test_fixed_links_follow_the_mount_point(client):
    at_root = client.get("/").text
    mounted = client.get("/", environ_overrides={"SCRIPT_NAME": "/blog"}).text
    assert 'href="/posts/"' in at_root and 'href="/static/style.css' in at_root
    assert 'href="/blog/posts/"' in mounted and 'href="/blog/static/style.css' in mounted
    # Cached per mount point: the first one's links are still its own.
    assert 'href="/posts/"' in client.get("/").text


@pytest.mark.parametrize(
    ("moment", "machine"),
    [
        (datetime(2026, 11, 22, 1, 2, tzinfo=UTC), "2026-11-22T01:02:00+00:00"),
        (datetime(2026, 11, 22, 1, 2, 59, 999999, tzinfo=UTC), "2026-11-22T01:02:59.999999+00:00"),
    ],
)
def test_a_moment_is_shown_to_the_minute_and_given_in_full(app, moment, machine):
    with app.test_request_context():
        html = render_template_string("{{ moment|time_tag }}", moment=moment)
    assert html == f'<time datetime="{machine}">2026-11-22 01:02 UTC</time>'
