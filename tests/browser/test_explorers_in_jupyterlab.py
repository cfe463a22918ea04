"""The explorers in a real browser: JupyterLab serves notebooks/explorers.ipynb, Chromium runs it through
Playwright, and for each explorer one control is moved and its picture must change.

Needs Debian's Chromium (``apt-get install -y chromium``) and the ``playwright`` package (in the ``test``
extra; never run ``playwright install``: it downloads a browser). Without Chromium the test is skipped,
except under CI (``CI=true``), where that is a failure. Screenshots of every explorer after its change are
written to ``build/browser/`` (or ``$SWIN_EDU_SCREENSHOTS``).
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "explorers.ipynb"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LAB_SETTINGS = {  # no news toast, no autosave: nothing but the test touches the page or the files
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    # every cell in the page, also those scrolled out of view (JupyterLab 4 renders only the visible ones)
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; under CI the browser test must run (.ci/run installs Chromium with apt)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        _unavailable("Chromium is not installed: install it with `sudo apt-get install -y chromium` (Debian/Ubuntu)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("the playwright package is missing: `pip install -e '.[test]'` (never `playwright install`)")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fresh_copy(folder: pathlib.Path) -> pathlib.Path:
    """The explorers notebook without outputs, so that nothing on the page is left from an earlier run."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.metadata.pop("widgets", None)
    path = folder / NOTEBOOK.name
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def lab(tmp_path_factory, chromium):
    """A JupyterLab server on 127.0.0.1 with its own config, settings and workspace folders."""
    base = tmp_path_factory.mktemp("lab")
    root, settings = base / "root", base / "settings"
    root.mkdir()
    _fresh_copy(root)
    for name, values in LAB_SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(base / "config"),
        JUPYTER_RUNTIME_DIR=str(base / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"),
    )
    port = _free_port()
    log = (base / "lab.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         "--ServerApp.token=", "--ServerApp.password=", "--allow-root", f"--ServerApp.root_dir={root}"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not start; its log:\n{(base / 'lab.log').read_text()}")
                time.sleep(0.3)
        yield url
    finally:
        os.kill(server.pid, signal.SIGTERM)  # stops its kernels too
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def _set_slider(explorer, description: str, value: int) -> None:
    """Type a value into an IntSlider's editable readout, as a reader can."""
    slider = explorer.locator(".widget-slider", has=explorer.page.get_by_text(description, exact=True))
    readout = slider.locator(".widget-readout")
    readout.click()
    readout.press("Control+a")
    readout.type(str(value))
    readout.press("Enter")


# explorer class name -> (what the reader does, a description of it)
MOVES = {
    "shiftexplorer": (lambda e: _set_slider(e, "shift s", 1), "shift s: 2 -> 1"),
    "maskexplorer": (
        lambda e: e.get_by_role("button", name="Swin-T stage 1: 56x56, M=7").click(),
        "preset: Swin-T stage 1",
    ),
    "complexityexplorer": (
        lambda e: e.get_by_role("button", name="Swin-T stage 3: 14x14, C=384").click(),
        "preset: Swin-T stage 3",
    ),
    "relativepositionexplorer": (lambda e: _set_slider(e, "query row", 6), "query row: 3 -> 6"),
    "receptivefieldexplorer": (lambda e: e.get_by_role("checkbox").click(), "shift off"),
    "hierarchyexplorer": (lambda e: e.get_by_role("button", name="Swin-L").click(), "variant: Swin-L"),
}


def test_every_explorer_redraws_when_a_control_moves(lab, chromium):
    from playwright.sync_api import sync_playwright

    shots = pathlib.Path(os.environ.get("SWIN_EDU_SCREENSHOTS", ROOT / "build" / "browser"))
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(60_000)
            page.goto(f"{lab}/lab/tree/{NOTEBOOK.name}?reset")
            panel = page.locator(".jp-NotebookPanel:visible")
            panel.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for()
            panel.locator(".jp-Cell").first.click()  # the notebook is the current widget: Run acts on it
            page.locator(".lm-MenuBar-item", has_text="Run").first.click()
            page.locator("li.lm-Menu-item[data-command='runmenu:run-all']:not(.lm-mod-disabled)").click()
            for name in MOVES:
                panel.locator(f".swin-edu-{name} img").wait_for(state="attached")
            assert panel.locator(".swin-edu-explorer").count() == len(MOVES)

            for name, (move, what) in MOVES.items():
                explorer = panel.locator(f".swin-edu-{name}")
                explorer.scroll_into_view_if_needed()
                image = explorer.locator("img")
                source, pixels = image.get_attribute("src"), image.screenshot()
                move(explorer)
                page.wait_for_function(
                    "([el, old]) => el.src !== old", arg=[image.element_handle(), source], timeout=20_000
                )
                explorer.locator(".widget-html").first.wait_for()
                assert image.screenshot() != pixels, f"{name}: the picture did not change after {what}"
                explorer.screenshot(path=shots / f"{name}.png")
        finally:
            browser.close()
