"""The offline decks and pages (`make slides`, `make pages`: tools/present.py) and the live presenting path (Voilà),
in Chromium.

Decks and pages are built once per run (into a temporary folder) from notebooks 04 (math and three explorers) and
explorers (all seven), then opened from ``file://`` with the network blocked: every request that is not for a local
file is aborted and recorded, and none may be made. Checked: the math is typeset (MathJax's output is there, no
``$...$`` is left in the text), no output is empty, and moving a stand-in's slider changes its picture. The live path
serves the explorers notebook with Voilà (a kernel behind the page), moves one control and waits for the new picture.

Every wait is for a signal, with a generous limit: the page marks ``<html data-swin-edu-math="done">`` when MathJax has
finished and ``data-swin-edu-deck="ready"`` when reveal.js has; a picture has changed when its ``src`` differs and
the new image is decoded. Screenshots go to ``build/browser/`` (or ``$SWIN_EDU_SCREENSHOTS``).
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import subprocess
import sys

import nbformat
import pytest
from test_explorers_in_jupyterlab import (  # noqa: F401 (chromium: a fixture)
    CHROMIUM_FLAGS,
    _free_port,
    chromium,
    stop_server,
    wait_until_serving,
)

ROOT = pathlib.Path(__file__).resolve().parents[2]
NOTEBOOKS = [ROOT / "notebooks" / "04_shifted_windows.ipynb", ROOT / "notebooks" / "explorers.ipynb"]
LOAD_S = 120  # a page or deck loaded and its math typeset
CHANGE_S = 30  # a stand-in's picture switched
VOILA_S = 300  # Voilà started, the explorers notebook executed and its widgets shown
REDRAW_S = 90  # a live explorer redrawn after one move


def _present():
    spec = importlib.util.spec_from_file_location("present", ROOT / "tools" / "present.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["present"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The decks and pages of NOTEBOOKS, built by tools/present.py as `make present` builds them."""
    out = tmp_path_factory.mktemp("present")
    result = _present().build(["slides", "pages"], NOTEBOOKS, out)
    print(f"built {len(result['written'])} files in {result['seconds']:.1f} s")
    return out


@pytest.fixture(scope="module")
def shots() -> pathlib.Path:
    path = pathlib.Path(os.environ.get("SWIN_EDU_SCREENSHOTS", ROOT / "build" / "browser"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def offline(chromium):
    """A page in a browser context that aborts every request not for a local file; yields (page, attempts)."""
    from playwright.sync_api import sync_playwright

    attempts: list[str] = []

    def route(request_route):
        url = request_route.request.url
        if url.startswith(("file:", "data:")):
            request_route.continue_()
        else:
            attempts.append(url)
            request_route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 860})
            context.route("**/*", route)
            page = context.new_page()
            page.set_default_timeout(CHANGE_S * 1000)
            yield page, attempts
        finally:
            browser.close()


def _open(page, path: pathlib.Path, deck: bool) -> None:
    page.goto(path.as_uri(), timeout=LOAD_S * 1000)
    signal_ = "document.documentElement.getAttribute('data-swin-edu-math') === 'done'"
    if deck:
        signal_ += " && document.documentElement.getAttribute('data-swin-edu-deck') === 'ready'"
    page.wait_for_function(signal_, timeout=LOAD_S * 1000)


def _assert_math_typeset(page) -> None:
    assert page.locator(".MathJax, .MathJax_Display").count() > 0, "no MathJax output in the page"
    raw = page.evaluate(
        r"""() => [...document.querySelectorAll('.jp-RenderedMarkdown')]
                 .map(e => e.innerText).filter(t => /\$[^$\n]+\$/.test(t))"""
    )
    assert raw == [], f"untypeset math left in the text: {raw[:3]}"
    assert page.locator(".MathJax_Error, .MathJax .merror").count() == 0, "MathJax reported an error"


def _assert_no_empty_output(page) -> None:
    empty = page.evaluate(
        """() => [...document.querySelectorAll('.jp-OutputArea-output')]
                 .filter(o => !o.innerText.trim() && !o.querySelector('img, svg, canvas, table'))
                 .map(o => o.outerHTML.slice(0, 200))"""
    )
    assert empty == [], f"{len(empty)} empty outputs, e.g. {empty[:2]}"
    assert page.locator("[data-mime-type='application/vnd.jupyter.widget-view+json']").count() == 0


def _move_standin(page, standin, shots: pathlib.Path | None = None, name: str = "") -> None:
    """Move the stand-in's slider one step with the keyboard; its picture, caption and readout must follow."""
    image = standin.locator("img.swin-edu-standin-picture")
    slider = standin.locator("input[type=range]")
    standin.scroll_into_view_if_needed()
    image.evaluate("el => el.decode()")
    before_src, before_pixels = image.get_attribute("src"), image.screenshot()
    before_readout = standin.locator("output").inner_text()
    value, top = int(slider.get_attribute("value")), int(slider.get_attribute("max"))
    slider.focus()
    page.keyboard.press("ArrowLeft" if value > 0 else "ArrowRight")
    page.wait_for_function(
        "([el, old]) => el.src !== old && el.complete && el.naturalWidth > 0",
        arg=[image.element_handle(), before_src],
        timeout=CHANGE_S * 1000,
    )
    image.evaluate("el => el.decode()")
    assert 0 <= int(slider.input_value()) <= top
    assert standin.locator("output").inner_text() != before_readout, "the readout did not follow the slider"
    assert image.screenshot() != before_pixels, f"{name}: the picture did not change when its slider moved"
    if shots is not None:
        standin.screenshot(path=shots / f"standin-{name}.png")


def test_offline_page_typesets_math_has_no_empty_output_and_its_stand_ins_move(built, offline, shots):
    page, attempts = offline
    _open(page, built / "04_shifted_windows.html", deck=False)
    page.screenshot(path=shots / "page-04-top.png")
    _assert_math_typeset(page)
    _assert_no_empty_output(page)
    standins = page.locator(".swin-edu-standin:not(.swin-edu-standin-still)")
    assert standins.count() == 3  # ShiftExplorer, MaskExplorer, ReceptiveFieldExplorer
    for i in range(standins.count()):
        _move_standin(page, standins.nth(i), shots, f"page-04-{i}")
    page.screenshot(path=shots / "page-04-standin.png")
    assert attempts == [], f"the page asked the network for {attempts}"


def test_offline_explorers_page_every_stand_in_changes_its_picture(built, offline, shots):
    page, attempts = offline
    _open(page, built / "explorers.html", deck=False)
    _assert_no_empty_output(page)
    standins = page.locator(".swin-edu-standin")
    names = standins.evaluate_all("els => els.map(e => [...e.classList].find(c => c.endsWith('explorer')))")
    assert len(names) == 7 and None not in names, names
    for i, name in enumerate(names):
        _move_standin(page, standins.nth(i), shots, name.removeprefix("swin-edu-standin-"))
    assert attempts == [], f"the page asked the network for {attempts}"


def test_offline_deck_has_slides_math_and_a_stand_in_that_moves(built, offline, shots):
    page, attempts = offline
    _open(page, built / "04_shifted_windows.slides.html", deck=True)
    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    slides = sum(c.metadata.get("slideshow", {}).get("slide_type") == "slide" for c in nb.cells)
    assert page.evaluate("swinEduDeck.getHorizontalSlides().length") >= max(slides, 1)
    page.screenshot(path=shots / "deck-04-first.png")
    _assert_math_typeset(page)
    # go to the slide of the first stand-in, as a presenter would with the arrow keys, and wait until it is shown
    page.evaluate(
        """() => new Promise(done => {
            const section = document.querySelector('.swin-edu-standin').closest('section');
            swinEduDeck.on('slidechanged', function shown() {
                if (swinEduDeck.getCurrentSlide() === section) { swinEduDeck.off('slidechanged', shown); done(); }
            });
            const at = swinEduDeck.getIndices(section);
            swinEduDeck.slide(at.h, at.v);
        })"""
    )
    standin = page.locator("section.present .swin-edu-standin").first
    standin.wait_for(state="visible", timeout=CHANGE_S * 1000)
    _move_standin(page, standin)
    page.screenshot(path=shots / "deck-04-standin.png")
    assert attempts == [], f"the deck asked the network for {attempts}"


# --- live: Voilà serves the explorers notebook with a kernel ---------------------------------------------------


@pytest.fixture(scope="module")
def voila(tmp_path_factory, chromium):
    """`voila explorers.ipynb` on 127.0.0.1 (the README's command), on a copy without stored outputs."""
    base = tmp_path_factory.mktemp("voila")
    nb = nbformat.read(ROOT / "notebooks" / "explorers.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, base / "explorers.ipynb")
    port = _free_port()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(base / "config"), JUPYTER_RUNTIME_DIR=str(base / "runtime"))
    log = (base / "voila.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "voila", str(base / "explorers.ipynb"), "--no-browser", f"--port={port}",
         "--Voila.ip=127.0.0.1"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=base,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_serving(f"{url}api/status", server, base / "voila.log", "Voilà")
        yield url, base / "voila.log"
    finally:
        stop_server(server)
        log.close()


def test_live_explorers_in_voila_redraw_when_a_control_moves(voila, chromium, shots):
    from playwright.sync_api import sync_playwright

    url, log = voila
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            # only the local server: Voilà's page also asks a CDN for icon fonts, which a projector may not reach
            context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(url) else r.abort())
            page = context.new_page()
            page.set_default_timeout(REDRAW_S * 1000)
            page.goto(url, timeout=VOILA_S * 1000)
            page.locator(".swin-edu-multiscaleexplorer img").wait_for(timeout=VOILA_S * 1000)  # the last explorer
            assert page.locator(".swin-edu-explorer").count() == 7
            explorer = page.locator(".swin-edu-shiftexplorer")
            explorer.scroll_into_view_if_needed()
            image = explorer.locator("img")
            image.evaluate("el => el.decode()")
            source, pixels = image.get_attribute("src"), image.screenshot()
            readout = explorer.locator(".widget-slider", has=page.get_by_text("shift s", exact=True)).locator(
                ".widget-readout"
            )
            readout.click()
            readout.press("Control+a")
            readout.type("1")
            readout.press("Enter")
            page.wait_for_function(
                "([el, old]) => el.src !== old && el.complete && el.naturalWidth > 0",
                arg=[image.element_handle(), source],
                timeout=REDRAW_S * 1000,
            )
            image.evaluate("el => el.decode()")
            assert "s=1" in explorer.locator(".widget-html").first.inner_text()
            assert image.screenshot() != pixels, "the live picture did not change after shift s: 2 -> 1"
            explorer.screenshot(path=shots / "voila-shiftexplorer.png")
        except BaseException:
            print(log.read_text()[-5000:])
            raise
        finally:
            browser.close()
