"""Where webhooks may go: public internet addresses only (unless the setting allows others).

An endpoint is checked twice: when it is registered (its URL, without a DNS look-up, so that
registering sends no traffic anywhere) and before every attempt (every address its host name
resolves to must be public; the connection is then made to that checked address, so a name
that changes its answer between the check and the request cannot reach an internal service).
``WEBHOOK_ALLOW_PRIVATE_ADDRESSES`` lifts both checks, for tests and local development.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

#: host names that are never on the public internet
PRIVATE_NAMES = ("localhost", "localhost.localdomain")
PRIVATE_SUFFIXES = (".localhost", ".local", ".localdomain", ".internal", ".home.arpa", ".lan")


class UnsafeAddress(ValueError):
    """The endpoint's host is (or resolves to) a loopback, private or otherwise local address."""


def private_allowed() -> bool:
    return settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES


def is_public(address: str) -> bool:
    """Whether an IP address is a global unicast one (no loopback, private, link-local …)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a webhook endpoint, or None. Looks nothing up."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018  (raises ValueError for a port out of range)
    except ValueError:
        return _("Enter a valid URL.")
    if parts.scheme not in ("http", "https") or not host:
        return _("Enter an http or https URL.")
    if parts.username or parts.password:
        return _("A webhook URL may not hold a user name or password; deliveries are signed.")
    if private_allowed():
        return None
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        return None if is_public(host) else _("This address is not on the public internet.")
    name = host.rstrip(".").lower()
    if name in PRIVATE_NAMES or name.endswith(PRIVATE_SUFFIXES) or "." not in name:
        return _("This address is not on the public internet.")
    return None


def public_address(host: str, port: int) -> str:
    """The address to connect to: ``host`` resolved, every answer checked to be public."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeAddress(f"cannot resolve {host}: {exc}") from exc
    # IPv4 first: a host without IPv6 connectivity would otherwise fail every attempt.
    addresses = [answer[4][0] for answer in sorted(answers, key=lambda a: a[0] != socket.AF_INET)]
    if not addresses:
        raise UnsafeAddress(f"{host} has no address")
    if not private_allowed():
        refused = [address for address in addresses if not is_public(address)]
        if refused:
            raise UnsafeAddress(f"{host} resolves to a non-public address ({refused[0]})")
    return addresses[0]
