"""Full-page screenshots of the main pages on a phone and a desktop, for people to look at.

They go to ``SCREENSHOT_DIR`` (a temporary directory if unset). With ``DOCS_SCREENSHOTS=1`` a
chosen few are also copied into ``docs/screenshots/``, reduced to 256 colours so each stays small
(off by default, so that running the suite never changes files in the repository).
"""

import os
import struct
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
PAGES = {
    "home": ("/", "Democracy is being rebuilt"),
    "initiatives": ("/initiatives/?near=80302&radius=50&include_national=true", "Initiatives"),
    "initiative": ("/initiatives/{initiative}/", "How to get involved"),
    "role": ("/roles/facilitators/", "Facilitators"),
}
FOR_DOCS = ["home-desktop", "initiatives-phone", "initiative-desktop"]
DOCS_LIMIT_BYTES = 400 * 1024


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


@pytest.fixture
def screenshot_dir(tmp_path_factory) -> Path:
    configured = os.environ.get("SCREENSHOT_DIR")
    folder = Path(configured) if configured else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def seeded_directory(transactional_db):
    """What `make run` shows: the taxonomy, the paper's organizations and the research set."""
    call_command("seed", verbosity=0)
    from directory.models import Initiative

    return Initiative.objects.published().filter(is_demo=False, city="Boulder").first()


def test_phone_and_desktop_screenshots_of_the_main_pages(
    new_context, seeded_directory, screenshot_dir
):
    assert seeded_directory is not None, "the research set has no initiative in Boulder"
    taken = {}
    for device, viewport in VIEWPORTS.items():
        context = new_context(viewport=viewport, device_scale_factor=1)
        page = context.new_page()
        for name, (url, expected_text) in PAGES.items():
            page.goto(url.format(initiative=seeded_directory.slug))
            expect(page.locator("main")).to_contain_text(expected_text)
            # A phone-first layout never scrolls sideways.
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            assert scroll_width <= viewport["width"], f"{name} is too wide on a {device}"
            path = screenshot_dir / f"{name}-{device}.png"
            page.screenshot(path=path, full_page=True, animations="disabled")
            width, height = png_size(path)
            assert width == viewport["width"] and height >= viewport["height"] // 2
            assert path.stat().st_size > 20_000, f"{path.name} looks blank"
            taken[path.stem] = path
        context.close()

    assert len(taken) == len(PAGES) * len(VIEWPORTS)
    if os.environ.get("DOCS_SCREENSHOTS") == "1":
        copy_for_docs(taken)


def copy_for_docs(taken: dict[str, Path]) -> None:
    from PIL import Image  # only needed to refresh docs/screenshots/

    docs = Path(settings.BASE_DIR) / "docs" / "screenshots"
    docs.mkdir(parents=True, exist_ok=True)
    for stem in FOR_DOCS:
        target = docs / f"{stem}.png"
        with Image.open(taken[stem]) as image:
            small = image.convert("RGB").quantize(256, dither=Image.Dither.NONE)
            small.save(target, optimize=True)
        size = target.stat().st_size
        assert size < DOCS_LIMIT_BYTES, f"{target} is {size // 1024} KB"
