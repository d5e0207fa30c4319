"""Admin page: upload an HSDS 3.0 package (``/admin/directory/initiative/import-hsds/``)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from directory.hsds.importer import import_hsds
from directory.hsds.package import PackageError, read_package
from directory.models import Source


class HSDSImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "An HSDS 3.0 package: JSON, or a zip of its CSV files (see docs/hsds.md)."
        ),
    )
    source = forms.ChoiceField(
        choices=[
            (Source.IMPORT, gettext_lazy("Imported by a curator")),
            (Source.PARTNER, gettext_lazy("Submitted by a partner site")),
        ],
        label=gettext_lazy("Where it comes from"),
    )


def hsds_import_view(request):
    """Everything lands as pending; nothing is saved if any record has a problem."""
    if not request.user.has_perm("directory.moderate"):
        raise PermissionDenied
    form = HSDSImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            data = read_package(upload.read(), upload.name)
            result = import_hsds(
                data,
                by=request.user.email or request.user.get_username(),
                source=form.cleaned_data["source"],
            )
        except PackageError as exc:
            form.add_error("file", str(exc))
        else:
            if not result.errors:
                count = len(result.created)
                messages.success(
                    request,
                    ngettext(
                        "Imported %(count)s listing, pending review.",
                        "Imported %(count)s listings, pending review.",
                        count,
                    )
                    % {"count": count},
                )
    context = {
        **admin.site.each_context(request),
        "form": form,
        "result": result,
        "title": _("Import an HSDS package"),
    }
    return TemplateResponse(request, "admin/directory/import_hsds.html", context)
