"""Per-request language override: ``?lang=es`` (after LocaleMiddleware)."""

from django.conf import settings
from django.http import JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _

API_PREFIX = "/api/v1/"


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
        return response
