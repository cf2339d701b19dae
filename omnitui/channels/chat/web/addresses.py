"""Who is on the other end of a request, and how much each address may do.

Behind a reverse proxy every request comes from the proxy, so the address that counts is taken
from `X-Forwarded-For` — but only when the peer is a proxy the shop named: anybody else could
write any address into that header and dodge the per-address limits.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from omnitui.channels.chat.limits import RateLimiter

ADDRESS_WINDOW = 60.0  # seconds: `web_address_limit` counts per minute


def client_address(peer: str | None, forwarded_for: str | None,
                   trusted: Iterable[str]) -> str:
    """The peer, or the last `X-Forwarded-For` hop that is not a trusted proxy."""
    trusted_set = {_normal(t) for t in trusted}
    address = _normal(peer or "") or "unknown"
    if address not in trusted_set or not forwarded_for:
        return address
    for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
        hop = _normal(hop)
        if not hop:
            return address  # a malformed hop: trust nothing to its left
        address = hop
        if hop not in trusted_set:
            return hop
    return address


def _normal(text: str) -> str:
    text = text.strip().strip("[]")
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return ""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return str(ip)


class AddressLimits:
    """Requests per address per minute, and open WebSocket connections per address."""

    def __init__(self, per_minute: int, connections: int) -> None:
        self.requests = RateLimiter(per_minute, ADDRESS_WINDOW)
        self.max_connections = connections
        self._open: dict[str, int] = {}

    def allow_request(self, address: str) -> bool:
        return self.requests.allow(address)

    def open(self, address: str) -> bool:
        """Count one connection if the address has room for it."""
        count = self._open.get(address, 0)
        if count >= self.max_connections:
            return False
        self._open[address] = count + 1
        return True

    def close(self, address: str) -> None:
        count = self._open.get(address, 0) - 1
        if count > 0:
            self._open[address] = count
        else:
            self._open.pop(address, None)
