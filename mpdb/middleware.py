"""Per-request language override: ``?lang=es`` (after LocaleMiddleware)."""

import re

from django.conf import settings
from django.http import JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _

API_PREFIX = "/api/v1/"
# A link to another page of this site, as our templates write it: a path ("/events/x/") or
# only a query ("?page=2"); not "//host", "#main" or a static file.
_LOCAL_LINK = re.compile(r'href="((?!//)/(?!static/)[^"]*|\?[^"]*)"')
_HAS_LANG = re.compile(r"(?:\?|&amp;|&)lang=")


class QueryLanguageMiddleware:
    """Honour ``?lang=<code>`` for this one request.

    Partner sites ask the API for a language this way, and a shared link can carry it. Nothing is
    stored: the switcher's cookie and the browser's Accept-Language still decide the next request.

    On pages an unknown code is ignored, so a stray parameter never breaks a page a person opened.
    The API is a contract (the schema lists ``en`` and ``es``): there an unknown code is a 400
    with the field error, so a partner learns at once that it asked for something we do not have.
    An empty ``lang=`` means "not given" in both.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.codes = sorted(code for code, _name in settings.LANGUAGES)

    def __call__(self, request):
        raw = request.GET.get("lang", "")
        if request.path.startswith(API_PREFIX):
            if raw and raw not in self.codes:
                return JsonResponse(
                    {
                        "lang": [
                            _("Unknown language. Use one of: %(codes)s.")
                            % {"codes": ", ".join(self.codes)}
                        ]
                    },
                    status=400,
                )
            code = raw
        else:
            code = raw.strip().lower()
        if code in self.codes:
            translation.activate(code)
            request.LANGUAGE_CODE = code
        response = self.get_response(request)
        if code in self.codes:
            response.headers["Content-Language"] = code
            if _is_html_page(response):
                _keep_language_in_links(response, code)
        return response


def _is_html_page(response) -> bool:
    return not response.streaming and response.get("Content-Type", "").startswith("text/html")


def _keep_language_in_links(response, code: str) -> None:
    """Add ``lang=<code>`` to every link to this site on the page, so a page opened as
    ``?lang=es`` leads on to pages in Spanish too (nothing is stored, as above)."""

    def add(match: re.Match) -> str:
        url = match.group(1)
        if _HAS_LANG.search(url):
            return match.group(0)
        address, hash_, fragment = url.partition("#")
        if "?" not in address:
            separator = "?"
        elif address.endswith(("?", "&amp;", "&")):
            separator = ""
        else:
            separator = "&amp;"
        return f'href="{address}{separator}lang={code}{hash_}{fragment}"'

    charset = response.charset or "utf-8"
    response.content = _LOCAL_LINK.sub(add, response.content.decode(charset)).encode(charset)
    if response.has_header("Content-Length"):
        response.headers["Content-Length"] = str(len(response.content))
