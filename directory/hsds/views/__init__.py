"""The HSDS 3.0 read API (``/api/hsds/``): published listings as Open Referral documents.

Read-only, with the rate limits and API keys of ``/api/v1/`` (the project's default throttle).
Endpoints, paging (``page``, ``per_page``; the ``Page`` header fields plus ``contents``) and
filters follow the HSDS 3.0 API reference; ``/locations`` is our addition. docs/hsds.md.

``base.py`` reads the parameters and shapes the answers, ``schema.py`` describes them for
OpenAPI; the endpoints are in ``listings.py`` (organizations, services and their places) and
``taxonomies.py`` (our goals and roles); what they serve is fetched by ``hsds/queries.py``.
"""
