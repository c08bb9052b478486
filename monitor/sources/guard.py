"""The address guard: URLs that servers hand us may not reach the operator's own network.

A feed item link, a listing link, a sitemap <loc>, an advertised feed, a child sitemap and
every redirect hop come from a server, not from the operator. Fetched blindly, one of them
pointing at 127.0.0.1, 10.0.0.5 or 169.254.169.254 (a cloud's metadata service) would put an
internal admin page or a credential into an alert. So such requests are checked where the
connection is made, against the addresses the host name resolves to: the address checked is
the address connected to, so a name that resolves to a public address for a check and to a
private one a moment later (DNS rebinding) gains nothing. Odd spellings of an address
(2130706434, 0x7f000001, 127.1, ::ffff:127.0.0.1) are resolved by the system resolver like
any name, then checked in their canonical form.

The policy travels with each request (an httpx request extension) and is read by the
connection layer, so one connection pool serves requests of every trust. Requests to a URL
the operator configured, and to its host, carry no policy and are not checked; the rest
carry the policy of their source. This relies on connections not being reused across
requests (see fetch.make_clients: no keep-alive), since a kept connection was checked for
the request that opened it.

The standard library's `ipaddress` classifies the addresses; no maintained guard exists for
httpx (advocate wraps requests only and has not been released since 2020), and the check is
a few lines on top of `ipaddress`, the same shape as Miniflux's.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

__all__ = ["AddressPolicy", "AddressRefused", "GuardedTransport", "POLICY_EXTENSION",
           "refusal"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

POLICY_EXTENSION = "news_monitor.address_policy"  # httpx request extension carrying a policy
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT: not global, not "private"
# IANA special-purpose blocks that Python 3.11's tables still call global
_SPECIAL = tuple(ipaddress.ip_network(n) for n in ("192.0.0.0/24", "192.88.99.0/24",
                                                   "64:ff9b:1::/48"))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # well-known NAT64 prefix: an IPv4 inside
_DNS_THREADS = 4  # lookups that hang (a dead resolver) wait here, not in the shared pool
_UNSET: Any = object()


class AddressRefused(Exception):
    """A request was refused by the guard; str() says what and why, short and safe to store."""


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """Which non-public addresses untrusted URLs may reach.

    `allowed` lists networks the operator opened (`poll.allow_private`); `private_ok` is a
    source's own `allow_private: true`, which opens loopback, private, shared (CGNAT) and
    unique-local addresses but not link-local ones: that is where cloud metadata services
    live, and an intranet feed has no business there (list it in `allowed` if it must).
    """

    allowed: tuple[IPNetwork, ...] = ()
    private_ok: bool = False

    @classmethod
    def of(cls, allowed: Iterable[str] = (), private_ok: bool = False) -> AddressPolicy:
        return cls(tuple(ipaddress.ip_network(a, strict=False) for a in allowed), private_ok)

    def refuses(self, address: IPAddress) -> str | None:
        """Why `address` may not be reached under this policy; None when it may."""
        why = refusal(address)
        if why is None or any(address in net or _embedded(address) in net
                              for net in self.allowed):  # `in` is False across families
            return None
        if self.private_ok and why in ("loopback", "private", "shared (CGNAT)"):
            return None
        return why


def _embedded(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, NAT64), else the address itself."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or address.sixtofour
        if inner is None and address in _NAT64:
            inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if inner is not None:
            return inner
    return address


def refusal(address: IPAddress) -> str | None:
    """What kind of non-public address this is ("loopback", "private", …), or None when it
    is a public one. An IPv6 address carrying an IPv4 one is judged by the IPv4 one."""
    address = _embedded(address)
    checks = (("unspecified", address.is_unspecified), ("loopback", address.is_loopback),
              ("link-local", address.is_link_local), ("multicast", address.is_multicast),
              ("shared (CGNAT)", address in _SHARED if address.version == 4 else False),
              ("private", address.is_private), ("reserved", address.is_reserved),
              ("reserved", any(address in net for net in _SPECIAL
                               if net.version == address.version)))
    for name, hit in checks:
        if hit:
            return name
    return None if address.is_global else "not globally routable"


_POLICY: ContextVar[AddressPolicy | None] = ContextVar("news_monitor_address_policy",
                                                       default=None)


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves and checks before it connects, then connects to a checked address only."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._inner = inner or httpcore.AnyIOBackend()
        self._dns = ThreadPoolExecutor(_DNS_THREADS, thread_name_prefix="dns")

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None,
                          ) -> httpcore.AsyncNetworkStream:
        policy = _POLICY.get()
        if policy is None:  # the operator's own URL: connect as asked
            return await self._inner.connect_tcp(host, port, timeout, local_address,
                                                 socket_options)
        addresses = await self._resolve(host, port)
        for address in addresses:
            why = policy.refuses(address)
            if why is not None:
                shown = host if host == str(address) else f"{host} ({address})"
                raise AddressRefused(f"refused {shown}: a {why} address")
        failure: Exception | None = None
        for address in addresses:  # every address is allowed: the first that answers
            try:
                return await self._inner.connect_tcp(str(address), port, timeout,
                                                     local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as err:
                failure = err
        raise failure or httpcore.ConnectError(f"no address for {host}")

    async def _resolve(self, host: str, port: int) -> list[IPAddress]:
        try:
            return [ipaddress.ip_address(host.strip("[]"))]
        except ValueError:
            pass
        loop = asyncio.get_running_loop()
        try:
            found = await loop.run_in_executor(self._dns, socket.getaddrinfo, host, port, 0,
                                               socket.SOCK_STREAM)
        except (OSError, UnicodeError) as err:
            raise httpcore.ConnectError(f"cannot resolve {host}: {err}") from None
        addresses = list(dict.fromkeys(
            ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in found))
        if not addresses:
            raise httpcore.ConnectError(f"no address for {host}")
        return addresses

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[Any] | None = None,
                                  ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused("refused a Unix socket")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)

    def close(self) -> None:
        self._dns.shutdown(wait=False, cancel_futures=True)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with the guard at its connection layer.

    A request's policy comes from its POLICY_EXTENSION: an AddressPolicy for untrusted
    URLs, None for the operator's own. A request without one gets `default`, so nothing is
    unchecked by accident. httpx builds its connection pool in its transport's constructor
    without a way to pass a network backend; the pool is built again here with one (the
    same arguments httpx passes), which tests/test_guard.py proves effective.
    """

    def __init__(self, *, limits: httpx.Limits, default: AddressPolicy) -> None:
        super().__init__(limits=limits, trust_env=False)
        self._default = default
        self._backend = _GuardedBackend()
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=self._backend)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        policy = request.extensions.get(POLICY_EXTENSION, _UNSET)
        token = _POLICY.set(self._default if policy is _UNSET else policy)
        try:
            return await super().handle_async_request(request)
        finally:
            _POLICY.reset(token)

    async def aclose(self) -> None:
        await super().aclose()
        self._backend.close()
