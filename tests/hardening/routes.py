"""Every route of the URLconf, so that a new page is checked (CSRF, IDOR, odd paths) without
anyone remembering to add it to a list."""

from dataclasses import dataclass
from urllib.parse import quote

from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

#: Arguments whose converter accepts only a few words.
KNOWN_VALUES = {"app_label": "directory"}


@dataclass(frozen=True)
class Route:
    name: str
    params: tuple[str, ...]  # keyword names, or "0", "1"… for positional groups
    callback: object

    @property
    def positional(self) -> bool:
        return bool(self.params) and self.params[0].isdigit()

    def __str__(self) -> str:
        return self.name

    def url(self, **values) -> str:
        """The path for these values (they must match the route's converters)."""
        if self.positional:
            return reverse(self.name, args=[values[p] for p in self.params])
        return reverse(self.name, kwargs=values) if values else reverse(self.name)

    def placeholder_url(self) -> tuple[str, dict[str, str]]:
        """A path that resolves to this route, with a distinct placeholder in each argument."""
        for style in ("word", "number"):
            values = {
                p: (f"zqx{n}placeholder" if style == "word" else f"98765{n}")
                for n, p in enumerate(self.params)
            }
            try:
                return self.url(**values), values
            except NoReverseMatch:
                continue
        mixed = {
            p: KNOWN_VALUES.get(p)
            or (f"98765{n}" if "id" in p or p == "pk" else f"zqx{n}placeholder")
            for n, p in enumerate(self.params)
        }
        return self.url(**mixed), mixed

    def raw_url(self, value: str, param: str) -> str:
        """The path with ``param`` set to ``value`` (percent-encoded), whatever the converter
        allows: what an attacker can type into the address bar."""
        path, values = self.placeholder_url()
        return path.replace(values[param], quote(value, safe=""), 1)


def all_routes() -> list[Route]:
    found: dict[tuple, Route] = {}

    def walk(resolver, namespace: str, inherited: tuple[str, ...]):
        for pattern in resolver.url_patterns:
            params = inherited + _params(pattern.pattern)
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern, inner, params)
            elif isinstance(pattern, URLPattern) and pattern.name and "format" not in params:
                name = namespace + pattern.name
                found.setdefault((name, params), Route(name, params, pattern.callback))

    walk(get_resolver(), "", ())
    return sorted(found.values(), key=lambda r: (r.name, r.params))


def _params(pattern) -> tuple[str, ...]:
    converters = getattr(pattern, "converters", None)
    if converters:
        return tuple(converters)
    regex = pattern.regex
    if regex.groupindex:
        return tuple(sorted(regex.groupindex, key=regex.groupindex.get))
    return tuple(str(n) for n in range(regex.groups))
