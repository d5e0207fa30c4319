"""Rate limits on public writes and mail, and what the site answers when one is reached."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_ratelimit.core import is_ratelimited
from django_ratelimit.decorators import ratelimit

from directory.forms.listings import max_pending_reached


def write_rate(group, request) -> str:
    return settings.WRITE_RATE


limit_writes = ratelimit(key="user_or_ip", rate=write_rate, method="POST", block=True)


def mail_sender_rate(group, request) -> str:
    return settings.MAIL_RATE_PER_SENDER


#: Forms that e-mail an address someone typed: few per person (or IP) …
limit_mail_senders = ratelimit(key="user_or_ip", rate=mail_sender_rate, method="POST", block=True)


def recipient_limited(request, kind: str, email: str) -> bool:
    """… and few to any one address, whoever asks (counts this one unless over the limit)."""
    return is_ratelimited(
        request,
        group=f"mail-to:{kind}",
        key=lambda group, request: email.strip().lower(),
        rate=settings.MAIL_RATE_PER_RECIPIENT,
        increment=True,
    )


def recipient_refused(form, field: str = "email") -> None:
    form.add_error(
        field,
        _(
            "We have already sent several e-mails to this address today. To protect its owner "
            "from unwanted mail, please try again tomorrow."
        ),
    )


def mail_form_status(request, form, kind: str) -> int:
    """The status of a page whose form e-mails the address typed in it: 200 shown, 400 not valid,
    429 when that address has had enough mail today (the form then says so and is not valid)."""
    if request.method != "POST":
        return 200
    if form.is_valid() and recipient_limited(request, kind, form.cleaned_data["email"]):
        recipient_refused(form)
        return 429
    return 400


def site_url(request) -> str:
    """The site's address as this request reached it (no trailing slash), for links in e-mail."""
    return request.build_absolute_uri("/").rstrip("/")


def rate_limited(request, exception=None):
    return render(request, "directory/rate_limited.html", status=429)


def too_many_pending(request) -> bool:
    if max_pending_reached(request.user):
        limit = settings.MAX_PENDING_PER_ACCOUNT
        messages.error(
            request,
            ngettext(
                "You already have %(count)s item waiting for review. "
                "Please wait for a curator before sending more.",
                "You already have %(count)s items waiting for review. "
                "Please wait for a curator before sending more.",
                limit,
            )
            % {"count": limit},
        )
        return True
    return False
