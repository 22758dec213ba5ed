"""Who the client is behind a reverse proxy: `X-Forwarded-For` (or RFC 7239 `Forwarded`) from trusted proxies only.

Anyone can send these headers, so they are read only when the connection comes from an address in
`settings.trusted_proxies` (`Settings.trusted_networks`), and then from the right: each trusted proxy appends
the address it was connected from, so the first hop from the right that is not a trusted proxy is the client.
Whatever lies to its left was written by the client and is never believed. With no trusted proxies the peer's
own address is the client. Only the header named by `settings.proxy_header` is read: a proxy that sets one
passes the other through from the client untouched.

    trusted 10.0.0.0/8, peer 10.0.0.2, X-Forwarded-For "6.6.6.6, 203.0.113.7, 10.0.0.9"  →  203.0.113.7
    nothing trusted,   peer 203.0.113.7, X-Forwarded-For "6.6.6.6"                       →  203.0.113.7
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_FOR = re.compile(r'(?:^|;)\s*for\s*=\s*("[^"]*"|[^;,\s]*)', re.IGNORECASE)


def _address(text: str) -> Address | None:
    """An address as a hop is written: '203.0.113.7', '203.0.113.7:4711', '[2001:db8::1]:4711', '"…"'."""
    text = text.strip().strip('"').strip()
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:  # IPv4 with a port; a bare IPv6 address has several colons
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    # a dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d: the same client as a.b.c.d
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return mapped or address


def forwarded_hops(header: str, values: Sequence[str]) -> list[str]:
    """The hops a header lists, client side first (several header lines read as one list, in order)."""
    joined = ",".join(values)
    if header == "forwarded":
        return [m.group(1) for part in joined.split(",") for m in [_FOR.search(part)] if m]
    return [hop for hop in (h.strip() for h in joined.split(",")) if hop]


def _trusted(address: Address | None, networks: Sequence[Network]) -> bool:
    return address is not None and any(address.version == n.version and address in n for n in networks)


def client_address(peer: str | None, header: str, values: Sequence[str], networks: Sequence[Network]) -> str:
    """The client's address: the peer's, or behind trusted proxies the rightmost hop that is not one of them.

    A hop that is not an address ('unknown', a client's junk reached only through a misconfigured proxy)
    ends the walk at the nearest trusted hop: a client must never choose its own key for throttling.
    """
    peer_address = _address(peer or "")
    if peer is None or not networks or not _trusted(peer_address, networks):
        return peer or "unknown"
    current = str(peer_address)
    for hop in reversed(forwarded_hops(header, values)):
        address = _address(hop)
        if address is None:
            break
        current = str(address)
        if not _trusted(address, networks):
            break
    return current
