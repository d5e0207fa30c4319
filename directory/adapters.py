"""allauth adaptations: an account is never lost because a verification e-mail failed."""

import logging

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib import messages
from django.utils.translation import gettext as _

log = logging.getLogger("mpdb.mail")


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix, email, context):
        try:
            super().send_mail(template_prefix, email, context)
        except Exception:
            log.exception("Account e-mail %s to a user was not sent", template_prefix)
            request = context.get("request") or getattr(self, "request", None)
            if request is not None:
                messages.warning(
                    request,
                    _(
                        "We could not send the e-mail just now. Your account is saved; "
                        "use “resend” on the e-mail page in a few minutes."
                    ),
                )
