"""allauth adaptations: an account is never lost because a verification e-mail failed, and the
e-mail itself is queued and sent again (``directory.services.mail``)."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib import messages
from django.contrib.sites.shortcuts import get_current_site
from django.utils import translation
from django.utils.translation import gettext as _

from directory.services.mail import deliver


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix, email, context):
        # As DefaultAccountAdapter.send_mail, but a refused message is queued to be sent again.
        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
        ctx.update(context)
        message = self.render_mail(template_prefix, email, ctx)
        # Every account e-mail may hold a code or a link that signs someone in or resets a
        # password: stored as sensitive, its text is never shown in the admin or logged.
        sent = deliver(
            message,
            template=template_prefix,
            sensitive=True,
            language=translation.get_language() or settings.LANGUAGE_CODE,
        )
        request = context.get("request") or request
        if not sent and request is not None:
            messages.warning(
                request,
                _(
                    "We could not send the e-mail just now. Your account is saved, and we will "
                    "send the e-mail again automatically in a few minutes."
                ),
            )
