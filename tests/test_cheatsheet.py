"""The cheat sheet (``make cheatsheet``): one page, its numbers are the library's, and the committed PNG is current."""

import copy
import json
import pathlib
import re

import pytest
from matplotlib.testing.compare import compare_images

from swin_edu import ablation, cheatsheet, complexity, swin
from swin_edu.windows import shifted_window_mask

ROOT = pathlib.Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "figures" / "cheatsheet.png"

#: the parameter counts of the official checkpoints (1000 classes, 224x224), as in COURSE.md and swin.py
OFFICIAL_PARAMS = {"swin_t": 28_288_354, "swin_s": 49_606_258, "swin_b": 87_768_224, "swin_l": 196_532_476}


@pytest.fixture(scope="module")
def sheet():
    return cheatsheet.cheatsheet_picture()


def _texts(figure) -> str:
    """Every piece of text on the page: figure texts, axes titles and labels, joined by newlines."""
    pieces = [t.get_text() for t in figure.texts]
    for ax in figure.axes:
        pieces += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()] + [t.get_text() for t in ax.texts]
    return "\n".join(pieces)


def test_committed_png_is_current(tmp_path):
    assert COMMITTED.exists(), "figures/cheatsheet.png is missing: run `make cheatsheet` and commit it"
    paths = cheatsheet.save(tmp_path)
    difference = compare_images(str(COMMITTED), str(tmp_path / "cheatsheet.png"), tol=2)
    assert difference is None, f"figures/cheatsheet.png is out of date ({difference}): run `make cheatsheet`"
    assert [p.name for p in paths] == ["cheatsheet.pdf", "cheatsheet.png"]


def test_one_a4_landscape_page_in_pdf_and_png(tmp_path):
    pdf, png, extra = cheatsheet.save(tmp_path / "present", [tmp_path / "copy" / "sheet.png"])
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", data)) == 1  # /Pages does not match
    box = [float(v) for v in re.search(rb"/MediaBox\s*\[\s*([\d.\s]+)\]", data).group(1).split()]
    assert box[2:] == pytest.approx([11.69 * 72, 8.27 * 72], abs=0.5)  # A4 landscape, in points
    assert b"CreationDate" not in data  # no time stamp: the same library writes the same bytes
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and extra.read_bytes() == png.read_bytes()


def test_variants_are_counted_by_the_library(sheet):
    rows = sheet.data["variants"]
    assert [(r["variant"], r["img_size"]) for r in rows] == list(cheatsheet.VARIANTS)
    for row in rows:
        model = swin.meta_model(row["variant"], row["window"], row["img_size"])
        config = swin.CONFIGS[row["variant"]]
        assert (row["C"], row["depths"], row["heads"]) == (config["embed_dim"], config["depths"], config["num_heads"])
        assert row["params"] == sum(p.numel() for p in model.parameters())
        assert row["macs"] == complexity.model_macs(model, row["img_size"])
        assert row["window"] == (12 if row["img_size"] == 384 else 7)
        assert row["macs"] / 1e9 == pytest.approx(row["paper_gflops"], abs=0.11)  # the paper's FLOPs (B-384: 47.10)
        if row["img_size"] == 224:
            assert row["params"] == OFFICIAL_PARAMS[row["variant"]]
    assert sheet.data["head_dims"] == [32] and sheet.data["mlp_ratio"] == 4.0


def test_formulas_and_picture_are_computed_by_the_library(sheet):
    ex = sheet.data["example"]
    assert ex["msa"] == complexity.msa_macs(56, 56, 96) and ex["wmsa"] == complexity.wmsa_macs(56, 56, 96, 7)
    assert sheet.data["bias_rows"] == {7: 13 * 13, 12: 23 * 23}
    pic = sheet.data["picture"]
    assert (pic["mask"] == shifted_window_mask(8, 8, 4, 2)[-1]).all()
    assert (pic["n_naive"], pic["n_windows"], pic["open"], pic["mask_value"]) == (9, 4, 64, -100.0)
    stages = sheet.data["stages"]
    assert [(s["stride"], s["height"], s["channels"]) for s in stages] == [
        (4, 56, 96), (8, 28, 192), (16, 14, 384), (32, 7, 768)]


def test_paper_tables_are_quoted_from_one_place(sheet):
    assert sheet.data["table4"] is ablation.TABLE_4
    assert sheet.data["table5"] is cheatsheet.TABLE_5 and sheet.data["table6"] is cheatsheet.TABLE_6
    # notebooks 03 and 04 quote the same Table 5 and 6 numbers in their prose
    text = "".join("".join(c["source"]) for c in json.loads(
        (ROOT / "notebooks" / "03_window_attention.ipynb").read_text(encoding="utf-8"))["cells"])
    t5, t6 = cheatsheet.TABLE_5, cheatsheet.TABLE_6
    for quoted in (t5["sliding window (naive)"]["ms"][0], t5["sliding window (kernel)"]["ms"][0],
                   t5["shifted window (cyclic)"]["ms"][0]):
        assert f"{quoted} ms" in text
    assert f"{t6['sliding window']['top-1']}% top-1" in text and f"{t6['shifted window']['top-1']}%" in text


def test_the_page_shows_every_number_it_computed(sheet):
    text = _texts(sheet.figure)
    for row in sheet.data["variants"]:
        assert f"{row['params']:,}" in text and f"{row['macs'] / 1e9:.2f}" in text
    ex = sheet.data["example"]
    assert f"{ex['msa']:,}" in text and f"{ex['wmsa']:,}" in text and f"{ex['ratio']:.1f}×" in text
    assert f"{sheet.data['bias_rows'][7]} for M = 7" in text
    for row in sheet.data["table4"].values():
        assert all(f"{v:.1f}" in text for v in row.values())
    for name, row in sheet.data["table5"].items():
        assert name in text and all(f"{v:.1f}" in text for v in row["ms"]) and all(str(f) in text for f in row["fps"])
    for name, row in sheet.data["table6"].items():
        assert name in text and all(f"{v:.1f}" in text for v in row.values() if v is not None)


def test_the_page_is_drawn_from_its_data(sheet):
    """Change a number in the data and the page changes with it: nothing computed is typed into the drawing."""
    data = copy.deepcopy(sheet.data)
    data["variants"][0]["params"] = 12_345_678
    data["example"]["wmsa"] = 98_765_432
    data["picture"]["open"] = 77
    text = _texts(cheatsheet._draw(data))
    assert "12,345,678" in text and "98,765,432" in text and "77 of 256 pairs" in text
    assert f"{sheet.data['variants'][0]['params']:,}" not in text
