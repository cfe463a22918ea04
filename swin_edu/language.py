"""The language of swin_edu's messages: English by default, Chinese for the Chinese edition of the course.

What the library shows inside a notebook (the verdicts and hints of the exercise checks, the titles, axis labels
and legends of the figures drawn for the notebooks, the explorers' controls) is written in English and looked up
in a gettext catalogue when another language is chosen::

    import swin_edu
    swin_edu.set_language("zh")   # the first code cell of every notebook in notebooks/zh/
    swin_edu.set_language("en")   # back to English

The catalogues are ``swin_edu/locale/zh/*.po`` (standard gettext files, read with Babel), one per part of the
library; ``python tools/i18n.py library`` extracts the messages from the code and updates them, and
``tests/test_language.py`` fails when a message has no current translation. In the code a message is marked ``_("...")``
where it is used, or ``N_("...")`` where it is declared before the language can be known (a module constant) and
translated with ``_`` where it is shown. Placeholders are ``str.format`` fields, the same in both languages.

Figures in Chinese need a font with those characters: ``set_language("zh")`` puts the subset of Noto Sans CJK SC
(regular and bold; SIL Open Font License) that ships in ``swin_edu/locale/fonts/`` first among matplotlib's fonts,
so the figures need no font installed on the machine.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

#: The languages of the messages, by code.
LANGUAGES = {"en": "English", "zh": "中文 (简体)"}

LOCALE = Path(__file__).resolve().parent / "locale"
#: The bundled subset of Noto Sans CJK SC, regular and bold: every character of the catalogues (tools/i18n.py font).
CJK_FONT = LOCALE / "fonts" / "swin-edu-cjk-subset.otf"
CJK_FONT_BOLD = LOCALE / "fonts" / "swin-edu-cjk-subset-bold.otf"
CJK_FAMILY = "swin-edu CJK subset"

_language = "en"


def get_language() -> str:
    """The code of the language the library speaks now (``"en"`` unless :func:`set_language` changed it)."""
    return _language


def set_language(code: str) -> None:
    """Make the library's messages and figure text ``code``: ``"en"`` (the default) or ``"zh"`` (Simplified Chinese)."""
    global _language
    if not isinstance(code, str) or code not in LANGUAGES:
        allowed = ", ".join(f"{key!r} ({name})" for key, name in LANGUAGES.items())
        raise ValueError(f"language must be one of {allowed}; got {code!r}")
    if code != "en":
        _catalogue(code)  # a broken catalogue fails here, before anything is switched
    _use_font(code != "en")
    _language = code


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it (a constant declared at import time): the code
    that shows it translates it with :func:`_`."""
    return message


def _(message: str) -> str:
    """``message`` in the current language: its translation when there is one, the English otherwise."""
    if _language == "en" or not isinstance(message, str):
        return message
    return _catalogue(_language).get(message) or message


def count(n: int, one: str, many: str) -> str:
    """``n`` and a noun in the right number, in the current language: ``one`` and ``many`` are messages marked
    ``N_`` with a ``{n}`` field (``count(3, N_("{n} window"), N_("{n} windows"))`` is "3 windows" or "3 个窗口")."""
    return _(one if n == 1 else many).format(n=n)


_CJK_SPACE = re.compile(r"(?<=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]) (?=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])")


def tidy(text: str) -> str:
    """A composed message as the language writes it: in Chinese no space is left between two Chinese characters
    where a placeholder filled with a Chinese noun meets the text around it ("掩码 的形状" -> "掩码的形状");
    English text is returned as it is."""
    return _CJK_SPACE.sub("", text) if _language == "zh" else text


@functools.cache
def _catalogue(code: str) -> dict[str, str]:
    """Every translated, non-fuzzy message of ``locale/<code>/*.po``, English to translation."""
    from babel.messages.pofile import read_po

    found: dict[str, str] = {}
    for path in sorted((LOCALE / code).glob("*.po")):
        with open(path, "rb") as handle:
            for message in read_po(handle):
                if message.id and message.string and not message.fuzzy:
                    found[message.id] = message.string
    return found


@functools.cache
def _add_font() -> None:
    from matplotlib import font_manager

    for path in (CJK_FONT, CJK_FONT_BOLD):
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: python tools/i18n.py font")
        font_manager.fontManager.addfont(str(path))


def _use_font(chinese: bool) -> None:
    """Put the bundled font first among matplotlib's font families (``chinese``), or take it out again. It draws
    Latin letters and digits as well as every Chinese character of the catalogues; matplotlib takes a character
    that it lacks from the next family (DejaVu Sans), and math between ``$`` keeps its own fonts. Text that mixes
    Chinese and math is drawn with the first family alone, which is why it must come first."""
    import matplotlib as mpl

    families = [f for f in mpl.rcParams["font.family"] if f != CJK_FAMILY]
    if chinese:
        _add_font()
        families = [CJK_FAMILY] + families
    if families != list(mpl.rcParams["font.family"]):
        mpl.rcParams["font.family"] = families
