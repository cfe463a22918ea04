"""Slides and pages of the course that open from the local disk, with no network at all.

``make slides`` builds a reveal.js deck ``build/present/<name>.slides.html`` for every notebook in
``notebooks/``, ``make pages`` an HTML page ``build/present/<name>.html``; ``make present`` builds both. The Chinese
edition (``notebooks/zh/``) gets ``<name>.zh.slides.html`` and ``<name>.zh.html`` beside them, with its explorers
drawn in Chinese. They are
made from the committed notebooks (nothing is re-executed) with nbconvert and two small templates in
``tools/present/`` that load everything from ``build/present/assets/``, copied there from pip packages:

- reveal.js (its ``dist/`` and the speaker-notes plugin) from the ``sphinx-revealjs`` wheel;
- MathJax 2 from the ``jupyter-server-mathjax`` wheel (with its STIX web fonts).

require.js, jQuery, mermaid and the ipywidgets renderer, which nbconvert's own templates load from the web,
are left out: nothing in the course needs them once the widgets are replaced. A widget output cannot work
without a kernel (a slider rendered from the saved state moves, but its picture does not), so
:class:`StandIns` replaces each one before export:

- an explorer of :mod:`swin_edu.widgets` becomes a *stand-in*: its saved control values are set on a fresh
  explorer, one control is swept over a few values (``SWEEPS``), and the pictures and captions it draws are
  stored in the page with a plain HTML range input that switches between them. Every picture was drawn by the
  explorer for the value the input shows; a note under it names the live version (``make lab``);
- a tqdm progress bar becomes its final line as text;
- any other widget becomes its text form, with the same note.

Usage: ``python tools/present.py {slides,pages,all} [NOTEBOOK.ipynb ...] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import base64
import copy
import html
import importlib.util
import io
import json
import os
import pathlib
import shutil
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
TEMPLATES = pathlib.Path(__file__).resolve().parent / "present"
OUT = ROOT / "build" / "present"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
REFERENCE = "IPY_MODEL_"
LIVE = "make lab"  # the one command that opens the course with a kernel

# explorer class -> (the control the stand-in sweeps, the values it takes given the explorer as saved)
SWEEPS = {
    "ShiftExplorer": ("shift_size", lambda e: range(e.controls["shift_size"].min, e.controls["shift_size"].max + 1)),
    "MaskExplorer": ("window", lambda e: range(0, e.controls["window"].max + 1)),
    "ComplexityExplorer": ("preset", lambda e: list(e.presets)),
    "RelativePositionExplorer": ("query_row", lambda e: range(0, e.controls["query_row"].max + 1)),
    "ReceptiveFieldExplorer": ("blocks", lambda e: range(0, 7)),
    "HierarchyExplorer": ("variant", lambda e: [value for _, value in e.controls["variant"].options]),
    "MultiScaleExplorer": ("scale", lambda e: range(1, 9)),
}
MAX_FRAMES = 16  # a sweep is cut to this many pictures (the page carries every one of them)


# --- assets ------------------------------------------------------------------------------------------------


def _package_dir(name: str) -> pathlib.Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(
            f"the package {name!r} is missing: install the course with `pip install -c constraints.txt -e '.[present]'`"
            " (make slides does it)"
        )
    return pathlib.Path(list(spec.submodule_search_locations)[0])


def asset_sources() -> dict[str, pathlib.Path]:
    """Folder under ``assets/`` -> the installed package folder it is copied from."""
    return {
        "reveal": _package_dir("sphinx_revealjs") / "_static" / "revealjs",
        "mathjax": _package_dir("jupyter_server_mathjax") / "static",
    }


# the parts of reveal.js a deck loads: the white theme, whose fonts come with it (other themes import web fonts)
THEME = "white"
REVEAL_FILES = [
    "LICENSE",
    "dist/reveal.js",
    "dist/reveal.css",
    "dist/reset.css",
    f"dist/theme/{THEME}.css",
    "dist/theme/fonts/source-sans-pro",
    "plugin/notes/notes.js",
]


def copy_assets(out: pathlib.Path) -> pathlib.Path:
    """Copy reveal.js and MathJax into ``out/assets`` (once: a stamp names the copied package versions)."""
    from importlib.metadata import version

    assets = out / "assets"
    stamp = assets / "VERSIONS.json"
    versions = {name: version(name) for name in ("sphinx-revealjs", "jupyter-server-mathjax")}
    if stamp.exists() and json.loads(stamp.read_text()) == versions:
        return assets
    shutil.rmtree(assets, ignore_errors=True)
    sources = asset_sources()
    reveal = sources["reveal"]
    for part in REVEAL_FILES:
        source, target = reveal / part, assets / "reveal" / part
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    shutil.copytree(sources["mathjax"], assets / "mathjax")
    stamp.write_text(json.dumps(versions, indent=1) + "\n")
    return assets


# --- widget stand-ins --------------------------------------------------------------------------------------


def _models(nb) -> dict:
    return nb.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})


def _ref(value: str) -> str:
    return value[len(REFERENCE) :] if isinstance(value, str) and value.startswith(REFERENCE) else value


def _explorer_class(model: dict) -> str | None:
    """The swin_edu.widgets class a saved VBox was (from its CSS classes), or None."""
    from swin_edu import widgets

    for css in model.get("state", {}).get("_dom_classes", []):
        for name in widgets.__all__:
            if css == f"swin-edu-{name.lower()}" and name in SWEEPS:
                return name
    return None


def _saved_controls(models: dict, model: dict) -> list[dict] | None:
    """The saved states of an explorer's controls, in order (the first child of its VBox is their row)."""
    children = model["state"].get("children", [])
    row = models.get(_ref(children[0])) if children else None
    if row is None or row.get("model_name") != "HBoxModel":
        return None
    states = [models.get(_ref(c)) for c in row["state"].get("children", [])]
    return None if any(s is None for s in states) else [s["state"] | {"_model": s["model_name"]} for s in states]


def _restore(explorer, saved: list[dict]) -> bool:
    """Set the saved control values on a fresh explorer; False if its controls do not match the saved ones."""
    if len(saved) != len(explorer.controls):
        return False
    with explorer.hold():
        for (name, control), state in zip(explorer.controls.items(), saved):
            if name == "preset":
                continue  # pressed again by itself when the other controls hold a preset's values
            if "index" in state and state["_model"] in ("ToggleButtonsModel", "DropdownModel"):
                if state["index"] is not None:
                    control.index = state["index"]
            elif "value" in state:
                control.value = state["value"]
    return True


def _build_explorer(name: str, saved: list[dict]):
    """A fresh explorer with the saved values, or None when the build cannot make the one that was saved."""
    import torch

    from swin_edu import widgets

    cls = getattr(widgets, name)
    explorer = cls()
    if _restore(explorer, saved):
        return explorer
    if name == "RelativePositionExplorer":
        # saved with a model (stage, block and head sliders): notebooks/explorers.ipynb builds swin_t() after
        # torch.manual_seed(0), and so does the build, so that the bias shown is the one the notebook showed
        import swin_edu

        torch.manual_seed(0)
        from swin_edu.language import _

        window = next((s["value"] for s in saved if s.get("description") in ("window M", _("window M"))), 7)
        explorer = cls(window_size=window, query=(0, 0), model=swin_edu.swin_t())
        if _restore(explorer, saved):
            return explorer
    return None


def _png_uri(figure) -> str:
    from swin_edu import viz

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=viz.DPI)  # default compression: the page carries every frame
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def explorer_frames(name: str, saved: list[dict]) -> dict | None:
    """Pictures of one explorer for each value of its swept control, the other controls as saved.

    Returns ``{"explorer", "control", "label", "frames": [{"label", "src", "caption"}], "start", "width"}`` or
    None when the saved explorer cannot be rebuilt.
    """
    explorer = _build_explorer(name, saved)
    if explorer is None:
        return None
    control_name, values = SWEEPS[name]
    control = explorer.controls[control_name]
    start_value = control.value
    frames, drawn = [], []
    for value in list(values(explorer))[:MAX_FRAMES]:
        control.value = value
        if explorer.drawn is None or explorer.drawn.get(control_name) != value:
            continue  # a value the explorer refused: no picture for it
        label = control.label if getattr(control, "label", None) is not None else str(value)
        frames.append({"label": label, "src": _png_uri(explorer.figure), "caption": explorer.caption.value})
        drawn.append(value)
    if not frames:
        return None
    start = drawn.index(start_value) if start_value in drawn else 0
    description = getattr(control, "description", "") or control_name
    return {
        "explorer": name,
        "control": control_name,
        "label": description,
        "frames": frames,
        "start": start,
        "width": round(explorer.figure.get_figwidth() * 100),
    }


# the range input switches the picture, the caption and the readout to the chosen frame; the frames are parsed
# once and kept on the element (no global script: the handler lives in the attribute, so it also works in a
# deck whose sections reveal.js moves around)
_ONINPUT = (
    "var r=this.closest('.swin-edu-standin');"
    "r._frames=r._frames||JSON.parse(r.querySelector('script.swin-edu-frames').textContent);"
    "var f=r._frames[this.value];"
    "r.querySelector('img.swin-edu-standin-picture').src=f.src;"
    "r.querySelector('.swin-edu-standin-caption').innerHTML=f.caption;"
    "r.querySelector('output').textContent=f.label;"
)


#: The notes under a stand-in, in the notebook's language (``notebook`` is ``X.ipynb`` or ``zh/X.ipynb``).
NOTES = {
    "en": {
        "standin": "Drawn in advance by <code>swin_edu.widgets.{explorer}</code> for {control} = {values} (the other "
        "controls as saved). Every control, live: <code>{live}</code>, then open <code>notebooks/{notebook}</code>.",
        "still": "An interactive widget that needs a running kernel: <code>{live}</code>, then open "
        "<code>notebooks/{notebook}</code>.",
    },
    "zh": {
        "standin": "由 <code>swin_edu.widgets.{explorer}</code> 预先绘制，{control} = {values}（其他控件保持保存时的值）。"
        "要实时操作全部控件：运行 <code>{live}</code>，再打开 <code>notebooks/{notebook}</code>。",
        "still": "这是需要运行中的内核才能交互的控件：运行 <code>{live}</code>，再打开 <code>notebooks/{notebook}</code>。",
    },
}


def _language(notebook: str) -> str:
    return "zh" if notebook.startswith("zh/") else "en"


def standin_html(frames: dict, notebook: str) -> str:
    """The kernel-free explorer: a range input over pre-drawn pictures, with the note about the live version."""
    items, start = frames["frames"], frames["start"]
    first = items[start]
    data = json.dumps(items, ensure_ascii=False).replace("</", "<\\/")
    control = html.escape(frames["label"])
    if len(items) > 1:
        slider = (
            f"<label class='swin-edu-standin-control'>{control} "
            f"<input type='range' min='0' max='{len(items) - 1}' step='1' value='{start}' "
            f"aria-label='{control}' oninput=\"{html.escape(_ONINPUT)}\"> "
            f"<output>{html.escape(first['label'])}</output></label>"
        )
    else:
        readout = f"<output>{html.escape(first['label'])}</output>"
        slider = f"<span class='swin-edu-standin-control'>{control}: {readout}</span>"
    values = ", ".join(f["label"] for f in items)
    note = NOTES[_language(notebook)]["standin"].format(
        explorer=frames["explorer"], control=control, values=html.escape(values), live=LIVE,
        notebook=html.escape(notebook),
    )
    return (
        f"<div class='swin-edu-standin swin-edu-standin-{frames['explorer'].lower()}'>"
        f"{slider}"
        f"<div class='swin-edu-standin-caption'>{first['caption']}</div>"
        f"<img class='swin-edu-standin-picture' src='{first['src']}' width='{frames['width']}' "
        f"style='max-width: 100%; height: auto' alt='{html.escape(frames['explorer'])}: {control}'>"
        f"<div class='swin-edu-standin-note'>{note}</div>"
        f"<script type='application/json' class='swin-edu-frames'>{data}</script>"
        "</div>"
    )


def still_html(text: str, notebook: str) -> str:
    """A widget the build cannot redraw: its text form and where to get the live version."""
    return (
        "<div class='swin-edu-standin swin-edu-standin-still'>"
        f"<pre>{html.escape(text)}</pre>"
        "<div class='swin-edu-standin-note'>"
        + NOTES[_language(notebook)]["still"].format(live=LIVE, notebook=html.escape(notebook))
        + "</div></div>"
    )


def progress_text(models: dict, model: dict) -> str | None:
    """A tqdm bar (HBox of HTML, FloatProgress, HTML) as the line tqdm prints in a terminal, or None."""
    children = [models.get(_ref(c)) for c in model.get("state", {}).get("children", [])]
    kinds = [c and c.get("model_name") for c in children]
    if kinds != ["HTMLModel", "FloatProgressModel", "HTMLModel"]:
        return None
    left, bar, right = (c["state"] for c in children)
    fraction = float(bar.get("value") or 0) / float(bar.get("max") or 1)
    filled = round(10 * min(max(fraction, 0), 1))
    text = f"{left.get('value', '')}|{'█' * filled}{' ' * (10 - filled)}|{right.get('value', '')}"
    return html.unescape(text).replace("\u2007", " ")


class StandIns:
    """Replace every widget-view output of a notebook by a stand-in that works without a kernel (see the module
    docstring), and drop the saved widget state, so that no template loads the widget renderer from the web.

    Explorer pictures are cached by explorer and saved values, so a build of all notebooks draws each once.
    """

    def __init__(self):
        self.cache: dict[str, dict | None] = {}
        self.counts = {"explorer": 0, "progress": 0, "still": 0}

    def __call__(self, nb, notebook: str):
        nb = copy.deepcopy(nb)
        models = _models(nb)
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                if WIDGET_VIEW not in data:
                    continue
                model = models.get(data[WIDGET_VIEW].get("model_id"), {})
                output["data"] = {"text/html": self._standin(models, model, data, notebook)}
                output["metadata"] = {}
        nb.metadata.pop("widgets", None)
        return nb

    def _standin(self, models: dict, model: dict, data: dict, notebook: str) -> str:
        name = _explorer_class(model) if model else None
        saved = _saved_controls(models, model) if name else None
        if name and saved is not None:
            key = json.dumps([name, saved, _language(notebook)], sort_keys=True, default=str)
            if key not in self.cache:
                self.cache[key] = explorer_frames(name, saved)
            if self.cache[key] is not None:
                self.counts["explorer"] += 1
                return standin_html(self.cache[key], notebook)
        progress = progress_text(models, model) if model else None
        if progress is not None:
            self.counts["progress"] += 1
            return f"<pre class='swin-edu-progress'>{html.escape(progress)}</pre>"
        self.counts["still"] += 1
        text = data.get("text/plain", "")
        return still_html(text if isinstance(text, str) else "".join(text), notebook)


# What both templates put in <head>: MathJax from assets/ (STIX web fonts: the wheel ships no others; when it is
# done, <html data-swin-edu-math="done">, the signal the browser test waits for) and the stand-ins' style.
HEAD = r"""<script type="text/x-mathjax-config">
MathJax.Hub.Config({
  tex2jax: {inlineMath: [["$", "$"], ["\\(", "\\)"]], displayMath: [["$$", "$$"], ["\\[", "\\]"]],
            processEscapes: true, processEnvironments: true},
  TeX: {equationNumbers: {autoNumber: "AMS", useLabelIds: true}},
  "HTML-CSS": {availableFonts: [], preferredFont: null, webFont: "STIX-Web", imageFont: null,
               linebreaks: {automatic: true}},
  displayAlign: "center",
  messageStyle: "none"
});
MathJax.Hub.Queue(function () { document.documentElement.setAttribute("data-swin-edu-math", "done"); });
</script>
<script src="assets/mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"></script>
<style>
.swin-edu-standin { border-left: 3px solid #4a7ab5; padding: 4px 0 4px 10px; margin: 4px 0; }
.swin-edu-standin-control { display: inline-flex; align-items: center; gap: 8px; font-size: 0.9em; }
.swin-edu-standin-control input[type=range] { width: 260px; }
.swin-edu-standin-caption { font-size: 0.85em; margin: 4px 0; }
.swin-edu-standin-note { font-size: 0.75em; color: #555; margin-top: 2px; }
.reveal .swin-edu-standin-caption table { font-size: 0.8em; }
pre.swin-edu-progress { font-size: 0.8em; }
</style>"""


# --- export ------------------------------------------------------------------------------------------------


def _exporters():
    from nbconvert import HTMLExporter, SlidesExporter
    from traitlets.config import Config

    config = Config()
    config.SlidesExporter.reveal_url_prefix = "assets/reveal"
    config.SlidesExporter.reveal_scroll = True  # a tall slide scrolls instead of being cut off
    config.SlidesExporter.reveal_number = "c/t"
    config.SlidesExporter.reveal_theme = THEME
    for exporter in ("SlidesExporter", "HTMLExporter"):
        config[exporter].embed_images = True  # images of markdown cells go into the file, as outputs do
        config[exporter].extra_template_basedirs = [str(TEMPLATES)]
    slides = SlidesExporter(config=config, template_name="swin_slides")
    page = HTMLExporter(config=config, template_name="swin_page")
    return {"slides": (slides, ".slides.html"), "pages": (page, ".html")}


def build(kinds: list[str], notebooks: list[pathlib.Path], out: pathlib.Path = OUT) -> dict:
    """Build decks and/or pages of ``notebooks`` into ``out``; returns what was written and how long it took."""
    import nbformat

    import swin_edu

    os.environ.setdefault("MPLBACKEND", "Agg")
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    copy_assets(out)
    exporters = _exporters()
    standins = StandIns()
    written = []
    for path in notebooks:
        notebook = f"zh/{path.name}" if path.parent.name == "zh" else path.name  # as the notes name it
        swin_edu.set_language(_language(notebook))  # the explorers draw in the notebook's language
        try:
            nb = standins(nbformat.read(path, as_version=4), notebook)
        finally:
            swin_edu.set_language("en")
        for kind in kinds:
            exporter, suffix = exporters[kind]
            resources = {"metadata": {"name": path.stem, "path": str(path.parent)}, "swin_edu_head": HEAD}
            body, _ = exporter.from_notebook_node(nb, resources=resources)
            target = out / f"{path.stem}{'.zh' if _language(notebook) == 'zh' else ''}{suffix}"
            target.write_text(body, encoding="utf-8")
            written.append(target)
    return {"written": written, "seconds": time.perf_counter() - started, "standins": standins.counts}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["slides", "pages", "all"])
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path, help="default: notebooks/*.ipynb, notebooks/zh/*.ipynb")
    parser.add_argument("--out", type=pathlib.Path, default=OUT)
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted(
        (ROOT / "notebooks" / "zh").glob("*.ipynb")
    )
    kinds = ["slides", "pages"] if args.what == "all" else [args.what]
    result = build(kinds, notebooks, args.out)
    for path in result["written"]:
        print(f"  {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}  ({path.stat().st_size // 1024} KiB)")
    counts = result["standins"]
    print(
        f"==> {len(result['written'])} files in {result['seconds']:.1f} s; widget outputs replaced: "
        f"{counts['explorer']} explorers, {counts['progress']} progress bars, {counts['still']} others. "
        f"Open them from the disk, e.g. {args.out / 'explorers.html'}"
    )
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))  # swin_edu, when run without installing the course
    raise SystemExit(main())
