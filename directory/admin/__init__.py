"""The admin, by capability: listings and sources, participation, refused mail, webhooks."""

from directory.admin import listings, mail, participation  # noqa: F401  (each registers its models)
from directory.webhooks import admin as webhooks_admin  # noqa: F401  (endpoints, deliveries)
