"""Production posture: deploy checks, secret key, security headers, framing, admin sign-in."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "a-real-production-secret-key-with-enough-entropy-0123456789-xyz",
    "DJANGO_ALLOWED_HOSTS": "mpdb.example.org",
    "DATABASE_URL": "sqlite:////tmp/mpdb-deploy-check.sqlite3",
}


def manage(*args, env_extra: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_nothing_in_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env_extra=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_real_secret_key():
    for key in ("", "short", "dev-only-insecure-key-do-not-use-in-production"):
        result = manage("check", env_extra={**PRODUCTION, "DJANGO_SECRET_KEY": key})
        assert result.returncode != 0
        assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/initiatives/", "/api/v1/goals/", "/accounts/login/"])
def test_every_page_sends_a_strict_content_security_policy(client, url):
    response = client.get(url)
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "geolocation=()" in response["Permissions-Policy"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/embed/initiatives/", "/embed/events/"])
def test_only_the_embeds_may_be_framed(client, url):
    response = client.get(url)
    assert "frame-ancestors *" in response["Content-Security-Policy"]
    assert "X-Frame-Options" not in response


@pytest.mark.django_db
def test_no_page_template_has_an_inline_script():
    import re

    inline = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/(ld\+)?json)[^>]*>", re.I)
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "templates").rglob("*.html")
        if inline.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


@pytest.mark.django_db
def test_the_admin_signs_in_through_the_rate_limited_account_login(client):
    response = client.get("/admin/login/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_api_docs_load_their_script_from_this_site(client):
    html = client.get("/api/docs/").content.decode()
    assert "<script>" not in html.replace(" ", "")
    assert "/api/docs/?script=" in html or "swagger-ui-init" in html or "script=" in html


STATIC_CHECK = r"""
import json, os, sys, tempfile
import django
from django.conf import settings
root = tempfile.mkdtemp()
django.setup()
settings.STATIC_ROOT = root
from django.core.management import call_command
call_command("collectstatic", interactive=False, verbosity=0)
from django.contrib.staticfiles.storage import staticfiles_storage
from django.test import Client
name = staticfiles_storage.url("css/site.css")
client = Client(HTTP_HOST="mpdb.example.org")
out = {"url": name, "files": sorted(os.listdir(os.path.join(root, "css")))}
for encoding in ("br", "gzip"):
    r = client.get(name, secure=True, HTTP_ACCEPT_ENCODING=encoding)
    out[encoding] = {"status": r.status_code, "encoding": r.get("Content-Encoding"),
                     "cache": r.get("Cache-Control"), "vary": r.get("Vary")}
print(json.dumps(out))
"""


@pytest.mark.database_independent  # a process of its own, without the suite's database
def test_static_files_are_hashed_compressed_and_cached_for_a_year():
    """Production: WhiteNoise serves content-hashed files, brotli or gzip, cached "forever"."""
    import json

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(PRODUCTION, DJANGO_SETTINGS_MODULE="mpdb.settings")
    result = subprocess.run(
        [sys.executable, "-c", STATIC_CHECK],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    hashed = out["url"].rsplit("/", 1)[-1]
    assert hashed.startswith("site.") and hashed != "site.css"  # e.g. site.3f2a9c1b.css
    assert {hashed, hashed + ".br", hashed + ".gz"} <= set(out["files"])
    for encoding, expected in (("br", "br"), ("gzip", "gzip")):
        answer = out[encoding]
        assert answer["status"] == 200
        assert answer["encoding"] == expected
        assert "max-age=315360000" in answer["cache"] and "immutable" in answer["cache"]
        assert "Accept-Encoding" in answer["vary"]


def test_behind_a_proxy_the_client_ip_is_the_trusted_hop(rf, settings):
    from mpdb.client_ip import client_ip

    settings.NUM_PROXIES = 1
    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9", REMOTE_ADDR="10.0.0.1")
    assert client_ip(request) == "203.0.113.9"
