"""Which peer may say who the client is: ``X-Forwarded-For`` only from configured proxies.

The audit log records a request's source address. Any client can send ``X-Forwarded-For: 1.2.3.4``;
believing it let a caller write whatever address it liked into the log. This WSGI middleware
believes the header only when the connection itself comes from an address in the configured list
(``$SAFERANK_TRUSTED_PROXIES``: addresses or networks, separated by commas or spaces; default none).

Then, like werkzeug's ``ProxyFix`` but keyed on the peer rather than a hop count, it reads the
header from the right: each address appended by a trusted proxy is skipped, and the first one that
is not a trusted proxy is the client. ``X-Forwarded-Proto`` (``http``/``https``) from a trusted
proxy sets the request scheme. From any other peer the ``X-Forwarded-*`` and ``Forwarded`` headers
are removed before the application sees them, so nothing downstream can read them by mistake.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from typing import Any

from analytics.contract.errors import UserError

ENVIRONMENT_VARIABLE = "SAFERANK_TRUSTED_PROXIES"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_FORWARDED_HEADERS = ("HTTP_FORWARDED", "HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
                      "HTTP_X_FORWARDED_PORT", "HTTP_X_FORWARDED_PREFIX", "HTTP_X_FORWARDED_BY")


def parse_trusted(value: str | Iterable[str] | None) -> tuple[Network, ...]:
    """The networks in ``value`` ("10.0.0.5, 192.168.1.0/24" or a list of such strings)."""
    if value is None:
        return ()
    items = re.split(r"[,\s]+", value) if isinstance(value, str) else [str(item) for item in value]
    networks = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as error:
            raise UserError(
                f"{ENVIRONMENT_VARIABLE} 中的 {item!r} 不是 IP 地址或网段（如 10.0.0.5 或 10.0.0.0/24）。",
                f"{item!r} in {ENVIRONMENT_VARIABLE} is not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/24).",
            ) from error
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:  # "::ffff:10.0.0.5"
        return address.ipv4_mapped
    return address


def _trusted(address: Any, networks: tuple[Network, ...]) -> bool:
    return address is not None and any(address.version == n.version and address in n for n in networks)


def client_address(peer: str | None, forwarded_for: str | None, networks: tuple[Network, ...]) -> str | None:
    """The client's address: ``peer`` unless it is a trusted proxy, else the right-most address of
    ``forwarded_for`` that is not a trusted proxy (an unreadable entry stops the walk at the hop that
    reported it)."""
    current = _address(peer or "")
    if not _trusted(current, networks) or not forwarded_for:
        return peer
    client = str(current)
    for hop in reversed(forwarded_for.split(",")):
        address = _address(hop)
        if address is None:
            break
        client = str(address)
        if not _trusted(address, networks):
            break
    return client


class TrustedProxies:
    """WSGI middleware: the client address and scheme from trusted proxies' headers, nothing from
    anyone else's."""

    def __init__(self, app: Callable, trusted: tuple[Network, ...]) -> None:
        self.app = app
        self.trusted = trusted

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        peer = environ.get("REMOTE_ADDR")
        if _trusted(_address(peer or ""), self.trusted):
            environ["saferank.proxy_peer"] = peer
            environ["REMOTE_ADDR"] = client_address(peer, environ.get("HTTP_X_FORWARDED_FOR"), self.trusted)
            scheme = environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[-1].strip().lower()
            if scheme in ("http", "https"):
                environ["wsgi.url_scheme"] = scheme
        else:
            for header in _FORWARDED_HEADERS:
                environ.pop(header, None)
        return self.app(environ, start_response)
