"""What a newcomer meets first: `make test` sets up what the suite needs or says what is missing,
the API answers JSON everywhere under /api/, and no generated cache is tracked."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_make_test_checks_its_system_tools_before_any_set_up():
    # As a newcomer types it: not inside another make (CI runs the suite from `make test`).
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    plan = subprocess.run(
        ["make", "--no-print-directory", "-n", "test"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout.splitlines()
    assert plan[0] == "bash scripts/test_deps.sh chromium java xgettext"
    assert any("pytest" in line for line in plan[1:])


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("runuser"), reason="needs root")
def test_without_root_a_missing_tool_stops_with_one_message():
    # An empty machine as an ordinary user sees it: bash and id, none of the tools (in a folder
    # that user can read, with a copy of the script).
    folder = Path(tempfile.mkdtemp(prefix="mpdb-deps-"))
    try:
        folder.chmod(0o755)
        for tool in ("bash", "id", "env"):
            (folder / tool).symlink_to(shutil.which(tool))
        shutil.copy(ROOT / "scripts" / "test_deps.sh", folder / "test_deps.sh")
        result = subprocess.run(
            [
                "runuser",
                "-u",
                "nobody",
                "--",
                str(folder / "env"),
                f"PATH={folder}",
                "bash",
                str(folder / "test_deps.sh"),
                "chromium",
                "java",
                "xgettext",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
    finally:
        shutil.rmtree(folder)
    assert result.returncode == 1
    assert result.stdout == ""
    message = result.stderr
    assert "chromium default-jre-headless gettext" in message
    assert "sudo apt-get install chromium default-jre-headless gettext" in message


def test_with_every_tool_present_the_check_passes_quietly():
    result = subprocess.run(
        ["bash", "scripts/test_deps.sh", "chromium", "java", "xgettext"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert shutil.which("chromium") and shutil.which("java") and shutil.which("xgettext")


def test_ci_reaches_the_browser_only_through_make_test():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make browser-deps" not in ci
    assert "make test" in ci


def test_the_schemathesis_cache_is_not_tracked():
    tracked = subprocess.run(
        ["git", "ls-files", ".schemathesis"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    assert tracked == ""
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", ".schemathesis/default/cache/entries.jsonl"], cwd=ROOT
    )
    assert ignored.returncode == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/api/v1/role-groups/.exe/", "/api/v1/no-such-endpoint/", "/api/nothing"]
)
def test_every_path_under_api_answers_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


@pytest.mark.django_db
def test_pages_keep_their_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
