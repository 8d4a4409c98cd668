"""The client's address behind a reverse proxy: X-Forwarded-For is believed only on
requests from the proxies in TRUSTED_PROXIES (config.py; none by default), which
werkzeug's ProxyFix then reads, TRUSTED_PROXY_HOPS of them deep. From any other peer, the
header changes nothing: anyone can send it."""

from collections.abc import Iterable
from ipaddress import IPv4Network
from ipaddress import IPv6Network
from ipaddress import ip_address
from typing import TYPE_CHECKING

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse
    from _typeshed.wsgi import WSGIApplication
    from _typeshed.wsgi import WSGIEnvironment


class TrustedProxyFix:
    """WSGI middleware: ProxyFix for requests from a trusted proxy, nothing for others."""

    def __init__(
        self,
        app: "WSGIApplication",
        trusted: Iterable[IPv4Network | IPv6Network],
        hops: int,
    ) -> None:
        self.app = app
        self.behind_proxy = ProxyFix(app, x_for=hops, x_proto=hops)
        self.trusted = tuple(trusted)

    def __call__(
        self, environ: "WSGIEnvironment", start_response: "StartResponse"
    ) -> Iterable[bytes]:
        if self.is_trusted(environ.get("REMOTE_ADDR")):
            return self.behind_proxy(environ, start_response)
        return self.app(environ, start_response)

    def is_trusted(self, peer: str | None) -> bool:
        try:
            address = ip_address(peer or "")
        except ValueError:  # a Unix socket's peer has no address
            return False
        # A server listening on [::] sees an IPv4 proxy as ::ffff:a.b.c.d.
        address = getattr(address, "ipv4_mapped", None) or address
        return any(address in network for network in self.trusted)


def register_proxy_fix(app: Flask) -> None:
    """Read client addresses from the trusted proxies' X-Forwarded-For, if there are any."""
    if app.config["TRUSTED_PROXIES"]:
        app.wsgi_app = TrustedProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, app.config["TRUSTED_PROXIES"], app.config["TRUSTED_PROXY_HOPS"]
        )
