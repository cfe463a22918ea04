"""The explorers in a real browser: JupyterLab serves notebooks/explorers.ipynb, Chromium runs it through
Playwright, and for each explorer one control is moved and its picture must change.

Needs Debian's Chromium (``apt-get install -y chromium``) and the ``playwright`` package (in the ``test``
extra; never run ``playwright install``: it downloads a browser). Without Chromium the test is skipped,
except under CI (``CI=true``), where that is a failure. Screenshots of every explorer after its change are
written to ``build/browser/`` (or ``$SWIN_EDU_SCREENSHOTS``); when the test fails, a screenshot of the whole page
and JupyterLab's log are written there too.

Every wait is for a condition, with its own time limit (never a sleep). The kernel counts as ready only when
JupyterLab reports it connected and idle (read from ``window.jupyterapp``) and a probe cell has run and printed
its token: the idle status in the toolbar alone is not enough, since on a loaded machine it reads idle before a
kernel is attached, and a Run All clicked then runs nothing (or opens the "Select Kernel" dialog). Run All is
done when every code cell shows its execution count; a redraw is done when the picture's source has changed and
the new image is decoded. The limits are generous, so that a loaded machine is only slower, never red.
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
import urllib.error
import urllib.request

import nbformat
import pytest

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # the chromium fixture skips (or fails under CI) with a clear message
    PlaywrightTimeout = TimeoutError

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


def wait_until_serving(status_url: str, server: subprocess.Popen, log_path: pathlib.Path, name: str) -> None:
    """Return once ``status_url`` answers (any HTTP answer, an error status included, means the server is up);
    raise with the server's log if it exits first or does not answer within 60 s."""
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(status_url, timeout=2)
            return
        except urllib.error.HTTPError:  # an answer: the server is up
            return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start; its log:\n{log_path.read_text()}")
            time.sleep(0.3)  # polling interval of a condition with a deadline, not a wait for time to pass


def stop_server(server: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL if it has not exited after 20 s."""
    os.kill(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.kill(server.pid, signal.SIGKILL)
        server.wait()


READY_TOKEN = "swin-edu-kernel-ready"
# the time limits of the waits (seconds); a loaded 2-core machine needs far less than these
KERNEL_READY_S = 240  # JupyterLab loaded, kernel started, probe cell printed its token
PROBE_RETRY_S = 20  # re-send the probe if its token has not appeared by then
RUN_ALL_S = 300  # every cell of the explorers notebook executed
REDRAW_S = 90  # one explorer redrawn after one move


def _fresh_copy(folder: pathlib.Path) -> pathlib.Path:
    """The explorers notebook without outputs, so that nothing on the page is left from an earlier run, and
    with a first cell that prints READY_TOKEN: the probe that tells the kernel runs cells."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.metadata.pop("widgets", None)
    nb.cells.insert(0, nbformat.v4.new_code_cell(f"print({READY_TOKEN!r})"))
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
         "--ServerApp.token=", "--ServerApp.password=", "--allow-root", f"--ServerApp.root_dir={root}",
         "--LabApp.expose_app_in_browser=True"],  # window.jupyterapp: the test can ask for the kernel's state
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(f"{url}/api/status", server, base / "lab.log", "JupyterLab")
        yield url, base / "lab.log"
    finally:
        stop_server(server)  # stops its kernels too
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
    "multiscaleexplorer": (lambda e: _set_slider(e, "scale s (groups)", 8), "scale s: 4 -> 8"),
}


KERNEL_CONNECTED = """() => {
    const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const kernel = panel && panel.sessionContext && panel.sessionContext.session && panel.sessionContext.session.kernel;
    return Boolean(kernel) && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
}"""


def _accept_kernel_dialog(page) -> None:
    """If JupyterLab asks which kernel to start (it does when a cell runs before a kernel is attached), take
    the proposed one, as a reader would."""
    dialog = page.locator(".jp-Dialog")
    if dialog.count() and dialog.first.is_visible():
        dialog.locator(".jp-mod-accept").first.click()  # "Select": the kernel the notebook names


def _wait_until_kernel_runs_cells(page, panel) -> None:
    """Wait until the notebook's kernel is connected and idle, then run the probe cell until its token
    appears: proof that the kernel accepts and executes cells."""
    page.wait_for_function(KERNEL_CONNECTED, timeout=KERNEL_READY_S * 1000)
    probe = panel.locator(".jp-CodeCell").first
    token = probe.locator(".jp-OutputArea-output", has_text=READY_TOKEN)
    deadline = time.monotonic() + KERNEL_READY_S
    while True:
        _accept_kernel_dialog(page)
        probe.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Control+Enter")  # run this cell, stay on it
        try:
            token.wait_for(timeout=PROBE_RETRY_S * 1000)
            return
        except PlaywrightTimeout:
            if time.monotonic() > deadline:
                raise AssertionError(f"the kernel did not run the probe cell within {KERNEL_READY_S} s") from None


def _run_all_and_wait(page, panel) -> None:
    """Run All from the menu, then wait until every code cell shows an execution count and the kernel is idle."""
    panel.locator(".jp-Cell").first.click()  # the notebook is the current widget: Run acts on it
    page.locator(".lm-MenuBar-item", has_text="Run").first.click()
    page.locator("li.lm-Menu-item[data-command='runmenu:run-all']:not(.lm-mod-disabled)").click()
    page.wait_for_function(
        """panel => {
            const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
            const idle = panel.querySelector(".jp-Notebook-ExecutionIndicator[data-status='idle']") !== null;
            return idle && prompts.length > 1 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
        }""",
        arg=panel.element_handle(),
        timeout=RUN_ALL_S * 1000,
    )


def _wait_for_new_picture(page, image, old_source: str) -> None:
    """Wait until the explorer's <img> shows another source and that image is decoded."""
    page.wait_for_function(
        "([el, old]) => el.src !== old && el.complete && el.naturalWidth > 0",
        arg=[image.element_handle(), old_source],
        timeout=REDRAW_S * 1000,
    )
    image.evaluate("el => el.decode()")  # resolves once the new picture can be painted


def test_every_explorer_redraws_when_a_control_moves(lab, chromium):
    from playwright.sync_api import sync_playwright

    url, lab_log = lab
    shots = pathlib.Path(os.environ.get("SWIN_EDU_SCREENSHOTS", ROOT / "build" / "browser"))
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.set_default_timeout(REDRAW_S * 1000)  # for clicks and typing; each wait below names its own
            page.goto(f"{url}/lab/tree/{NOTEBOOK.name}?reset", timeout=KERNEL_READY_S * 1000)
            panel = page.locator(".jp-NotebookPanel:visible")
            _wait_until_kernel_runs_cells(page, panel)
            _run_all_and_wait(page, panel)
            for name in MOVES:
                panel.locator(f".swin-edu-{name} img").wait_for(state="attached", timeout=REDRAW_S * 1000)
            assert panel.locator(".swin-edu-explorer").count() == len(MOVES)

            for name, (move, what) in MOVES.items():
                explorer = panel.locator(f".swin-edu-{name}")
                explorer.scroll_into_view_if_needed()
                image = explorer.locator("img")
                image.evaluate("el => el.decode()")
                source, pixels = image.get_attribute("src"), image.screenshot()
                move(explorer)
                _wait_for_new_picture(page, image, source)
                explorer.locator(".widget-html").first.wait_for(timeout=REDRAW_S * 1000)
                assert image.screenshot() != pixels, f"{name}: the picture did not change after {what}"
                explorer.screenshot(path=shots / f"{name}.png")
        except BaseException:
            shutil.copyfile(lab_log, shots / "failure-lab.log")
            try:
                page.screenshot(path=shots / "failure-page.png", full_page=True, timeout=30_000)
            except Exception as problem:  # keep the test's own error, not the screenshot's
                print(f"no failure screenshot: {problem}")
            raise
        finally:
            browser.close()
