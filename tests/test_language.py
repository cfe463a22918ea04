"""The library's language setting (swin_edu.language): English by default, every marked message translated in
the Chinese catalogues with the same placeholders, every translation drawable with the bundled font, and the
checks of every exercise speaking Chinese after ``set_language("zh")`` (and English again after ``"en"``)."""

from __future__ import annotations

import ast
import re
import string
import warnings

import matplotlib
import pytest
from helpers import ROOT, load_tool

import swin_edu
from swin_edu import language
from swin_edu.exercises._feedback import Exercise

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

i18n = load_tool("i18n")
CJK = re.compile(r"[\u4e00-\u9fff]")
CATALOGUES = sorted(language.LOCALE.glob("zh/*.po"))
#: Words the Chinese keeps in English (the glossary keeps token, patch, softmax; names of layers and counts)
KEPT = {"token", "tokens", "patch", "patches", "softmax", "MSA", "W-MSA", "SW-MSA", "ViT", "Swin", "Swin-T", "MACs",
        "GMACs", "FLOPs", "LN", "MLP", "Linear", "Conv2d", "ResNet", "Res2Net", "epoch", "x", "s", "M", "C"}


@pytest.fixture
def chinese():
    """The library in Chinese for one test, then English again (with matplotlib's fonts as they were)."""
    with matplotlib.rc_context():
        swin_edu.set_language("zh")
        try:
            yield
        finally:
            swin_edu.set_language("en")


def test_english_is_the_default_and_comes_back():
    assert swin_edu.get_language() == "en"
    assert language._("your function") == "your function"
    with matplotlib.rc_context():
        swin_edu.set_language("zh")
        assert language._("your function") == "你的函数"
        assert matplotlib.rcParams["font.family"][0] == language.CJK_FAMILY
        swin_edu.set_language("en")
        assert language.CJK_FAMILY not in matplotlib.rcParams["font.family"]
    assert language._("your function") == "your function"


@pytest.mark.parametrize("bad", ["fr", "ZH", "", None, 1])
def test_an_unknown_language_is_refused_and_changes_nothing(bad):
    with pytest.raises(ValueError, match=r"language must be one of 'en' \(English\), 'zh'"):
        swin_edu.set_language(bad)
    assert swin_edu.get_language() == "en"


def test_every_library_message_has_a_current_translation():
    """A marked message that is new or changed since the catalogue, fuzzy, or whose translation lost or gained
    a {placeholder} (which would make ``.format`` fail in a Chinese notebook) is a failure."""
    assert CATALOGUES
    assert i18n.library_problems() == []


def _marked_calls():
    for source in sorted((ROOT / "swin_edu").rglob("*.py")):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "N_"):
                yield source.relative_to(ROOT), node


def test_messages_are_marked_as_whole_literals():
    """gettext finds a message by its English: ``_()`` gets one literal (or a constant marked ``N_`` where it is
    declared), never an f-string, a sum of strings or a call's result, which no catalogue could hold."""
    calls = list(_marked_calls())
    assert len(calls) > 100
    for where, node in calls:
        assert len(node.args) == 1 and not node.keywords, f"{where}:{node.lineno}"
        (arg,) = node.args
        literal = isinstance(arg, ast.Constant) and isinstance(arg.value, str)
        if node.func.id == "N_":
            assert literal, f"{where}:{node.lineno}: N_() takes a literal string"
        else:
            built = [n for n in ast.walk(arg) if isinstance(n, (ast.JoinedStr, ast.BinOp, ast.Call))]
            assert literal or not built, (
                f"{where}:{node.lineno}: _() takes a literal string or a marked constant, not a string built here"
            )


def _translations():
    for path in CATALOGUES:
        for message in i18n.read(path):
            if message.id:
                yield path.stem, message.id, str(message.string)


@pytest.mark.parametrize("part", [p.stem for p in CATALOGUES])
def test_translations_keep_formulas_and_code(part):
    for _part, english, chinese in _translations():
        if _part != part:
            continue
        assert re.findall(r"\$[^$]+\$", chinese) == re.findall(r"\$[^$]+\$", english), english
        assert sorted(re.findall(r"`[^`]+`", chinese)) == sorted(re.findall(r"`[^`]+`", english)), english
        words = set(re.findall(r"[A-Za-z][\w-]*", re.sub(r"\{[^}]*\}|\$[^$]*\$|`[^`]*`", "", english)))
        assert CJK.search(chinese) or words <= KEPT, f"{part}: {english!r} has no Chinese in its translation"


def test_every_translation_draws_with_the_bundled_font(chinese):
    """Matplotlib warns when a character has no glyph; every translated message, math included, draws without one
    (the font subset is made by `python tools/i18n.py font` from the catalogues)."""
    fig = plt.figure(figsize=(4, 1))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for part, english, chinese_text in _translations():
                text = fig.text(0, 0.5, chinese_text.replace("\n", " "))
                fig.canvas.draw()
                text.remove()
    finally:
        plt.close(fig)


def _exercises():
    for name in ("attention", "vit", "window_attention", "shifted_windows", "hierarchy", "training", "res2net",
                 "roadmap"):
        module = __import__(f"swin_edu.exercises.{name}", fromlist=["*"])
        for key, value in vars(module).items():
            if isinstance(value, Exercise):
                yield f"{name}.{key}", value


EXERCISES = list(_exercises())


@pytest.mark.parametrize("exercise", [e for _, e in EXERCISES], ids=[n for n, _ in EXERCISES])
def test_every_text_of_every_exercise_is_chinese(chinese, exercise):
    """The success line, what a missing return should give, and every hint (for the first case) read Chinese."""
    texts = [exercise.success, exercise.returns, exercise.what, exercise.missing]
    case = next(iter(exercise.cases()))
    case.name = "f"
    texts.append(case.where)
    for mistake in exercise.mistakes:
        try:
            texts.append(mistake.text(case, None))
        except Exception:  # a hint written for an answer, not for None: read it through its own check's tests
            continue
    for text in texts:
        if text and re.search(r"[A-Za-z]{3}", re.sub(r"\{[^}]*\}|\$[^$]*\$|`[^`]*`", "", text)):
            assert CJK.search(language._(text)), f"untranslated: {text!r}"


def _shared_checks():
    from tests.test_exercises_feedback import CHECKS, IDS

    return [(check, right) for check, right, *_ in CHECKS], IDS


SHARED, SHARED_IDS = _shared_checks()


def _line(capsys) -> str:
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 1, printed  # one verdict line, in Chinese as in English
    return printed[0]


@pytest.mark.parametrize("check, right", SHARED, ids=SHARED_IDS)
def test_every_check_speaks_chinese_and_still_judges_the_same(capsys, chinese, check, right):
    """Right, unfinished, crashing and junk answers: the same verdicts as in English, told in Chinese."""
    from tests.test_exercises_feedback import named

    assert check(named(right, "mine"))
    line = _line(capsys)
    assert line.startswith("✓ ") and CJK.search(line), line
    for answer in (lambda *a: None, lambda *a: 1 / 0, lambda *a: "junk", lambda *a: object()):
        result = check(named(answer, "mine"))
        line = _line(capsys)
        assert not result and line.startswith("✗ ") and CJK.search(line), line
        assert result.mismatch is not None


def test_an_english_message_has_one_translation_across_catalogues():
    """The catalogues are merged into one lookup: the same English must read the same in every one of them."""
    seen: dict[str, tuple[str, str]] = {}
    for part, english, chinese_text in _translations():
        if english in seen:
            assert seen[english][1] == chinese_text, (
                f"{english!r}: {seen[english][0]} says {seen[english][1]!r}, {part} says {chinese_text!r}"
            )
        seen[english] = (part, chinese_text)


def test_the_bundled_font_is_current():
    """Every character of the library's code and catalogues is in the bundled subset (or, failing that, in DejaVu
    Sans): after new messages, `python tools/i18n.py font` rebuilds it."""
    from fontTools.ttLib import TTFont
    from matplotlib import font_manager

    dejavu = TTFont(font_manager.findfont("DejaVu Sans"), lazy=True).getBestCmap()
    for path in (language.CJK_FONT, language.CJK_FONT_BOLD):
        cmap = TTFont(path, lazy=True).getBestCmap()
        missing = [c for c in i18n.font_characters() if ord(c) not in cmap and ord(c) not in dejavu]
        assert not missing, f"{path.name} lacks {''.join(missing)!r}: python tools/i18n.py font"
        assert TTFont(path, lazy=True)["name"].getDebugName(1) == language.CJK_FAMILY


def test_a_chinese_noun_in_a_placeholder_leaves_no_space_between_chinese_words(chinese):
    assert language.tidy("掩码 的形状是 (3,)，应当是 (24, 24)") == "掩码的形状是 (3,)，应当是 (24, 24)"
    assert language.tidy("mine 的形状是 (3,)") == "mine 的形状是 (3,)"  # a code name keeps its space


def test_english_messages_are_never_tidied():
    assert language.tidy("掩码 的形状 a b") == "掩码 的形状 a b"
