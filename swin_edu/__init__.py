"""swin_edu: the Swin Transformer built step by step, for the swin-edu course.

The public entry points are the model builders :func:`swin_t`, :func:`swin_s`, :func:`swin_b` and
:func:`swin_l`; the modules follow the course: ``attention`` -> ``vit`` -> ``windows`` -> ``swin``, with
``complexity`` (the paper's cost formulas and MAC counts), ``checkpoints`` (the official layout) and
``data`` (datasets made in code or shipped in a package) and ``train`` (a short training loop: :func:`fit`,
:func:`evaluate`), ``ablation`` (the paper's Table 4 rows as switches, and notebook 06's experiments); ``res2net`` is the companion paper's model (:func:`res2net50_26w_4s`, :func:`res2net50_14w_8s`).
:func:`set_language` switches the library's messages and figure text to Chinese (``"zh"``) and back (``"en"``).
"""

from . import ablation, attention, checkpoints, complexity, data, res2net, swin, train, vit, windows
from .res2net import Res2Net, res2net50_14w_8s, res2net50_26w_4s
from .language import get_language, set_language
from .swin import SwinTransformer, meta_model, swin_b, swin_l, swin_s, swin_t
from .train import History, evaluate, fit

__version__ = "0.1.0"

__all__ = [
    "SwinTransformer",
    "swin_t",
    "swin_s",
    "swin_b",
    "swin_l",
    "meta_model",
    "Res2Net",
    "res2net50_26w_4s",
    "res2net50_14w_8s",
    "fit",
    "evaluate",
    "History",
    "set_language",
    "get_language",
    "attention",
    "vit",
    "windows",
    "swin",
    "complexity",
    "checkpoints",
    "data",
    "train",
    "ablation",
    "res2net",
]
