"""Webhooks for partners: a partner's API key registers endpoints and the events it wants; a
change to the public set is recorded once it commits and sent, signed, by the task queue.

- ``events``: which changes happened (post_save/post_delete, sent on commit) → deliveries;
- ``tasks``: the ``deliver`` task: signed POST, retries with backoff, pause after a day;
- ``addresses``: endpoints may not point at loopback or private addresses;
- ``signing``: the signature partners check (docs/api.md, "Webhooks");
- ``services``: register, resume and ping an endpoint (the API and the admin call them);
- ``api``, ``admin``: the partner's API and the curators' view.

Models are in ``directory.models.webhooks``.
"""
