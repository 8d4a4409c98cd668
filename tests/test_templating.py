"""The layout's fixed links, built once per mount point."""


def test_fixed_links_follow_the_mount_point(client):
    at_root = client.get("/").text
    mounted = client.get("/", environ_overrides={"SCRIPT_NAME": "/blog"}).text
    assert 'href="/posts/"' in at_root and 'href="/static/style.css' in at_root
    assert 'href="/blog/posts/"' in mounted and 'href="/blog/static/style.css' in mounted
    # Cached per mount point: the first one's links are still its own.
    assert 'href="/posts/"' in client.get("/").text
