"""Evidence you can see, in a real browser (Playwright driving Debian's Chromium): the application page
shows the signature block's crop and the decision paragraph as images that load, and the viewer shows
page 2 of the PDF form.  Writes docs/screenshots/evidence.png and viewer.png (the README shows them)."""
from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT
from tests.evidence import FORM, evidence_installation, vejle_reference
from tests.browser import chromium, expect
from tests.web import PASSWORD, USER, Server

SHOTS = ROOT / "docs" / "screenshots"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = Server.start(evidence_installation(tmp_path_factory.mktemp("evidence-web")))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def page():
    with chromium() as browser:
        context = browser.new_context(locale="da-DK", viewport={"width": 1360, "height": 900})
        yield context.new_page()


def loaded(img) -> int:
    """The image's natural width once the browser has it decoded (0: it did not load)."""
    img.scroll_into_view_if_needed()
    return int(img.evaluate("i => i.decode().then(() => i.naturalWidth, () => 0)"))


def test_the_evidence_pictures_and_the_viewer(page, server):
    page.goto(server.url + "/")
    page.fill("input[name=username]", USER)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Log ind')")
    reference = vejle_reference(server.inst)
    page.goto(f"{server.url}/applications/{reference}")
    expect(page.locator("h1 .ref")).to_have_text(reference)

    signature = page.locator("#check-director_signature img[data-purpose=signature]")
    expect(signature).to_have_count(1)
    expect(signature).to_have_attribute("alt", re.compile(rf"^Underskriftsfeltet i {re.escape(FORM)}, side 1"))
    assert loaded(signature) > 100
    decision = page.locator("#check-political_backing img[data-purpose=decision]")
    expect(decision).to_have_count(1)
    expect(decision).to_have_attribute("alt", re.compile(r"^Beslutningen i .*side 3.*Godkendt"))
    assert loaded(decision) > 100
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#tjek").screenshot(path=str(SHOTS / "evidence.png"))

    page.locator(f"#mails li:has(a.filename:text-is('{FORM}')) a.view-link").click()
    expect(page.locator("#page-of")).to_have_text(re.compile(r"^Side 1 af \d+$"))
    page.click("a[rel=next]")
    expect(page).to_have_url(re.compile(r"/attachments/\d+/view\?page=2$"))
    expect(page.locator("#page-of")).to_have_text(re.compile(r"^Side 2 af \d+$"))
    image = page.locator("img.page-image")
    expect(image).to_have_attribute("alt", re.compile(rf"^Side 2 af \d+ i {re.escape(FORM)}$"))
    assert loaded(image) > 500
    expect(page.locator("a[rel=prev]")).to_have_count(1)
    page.screenshot(path=str(SHOTS / "viewer.png"), full_page=True)
