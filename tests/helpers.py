"""Shared test helpers."""

import importlib.util
import sys
from pathlib import Path

import torch
import torch.nn as nn

ROOT = Path(__file__).resolve().parents[1]


def load_tool(name: str):
    """Import tools/<name>.py (tools/ is a folder of scripts, not a package) and register it as ``name``."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@torch.no_grad()
def randomize_(model: nn.Module) -> nn.Module:
    """Give every LayerNorm and relative position bias table random values.

    Freshly built models have LayerNorm weights 1 and biases 0 and small bias tables, and some mistakes
    (padding before the LayerNorm instead of after, say) only show with other values.
    """
    for module in model.modules():
        if isinstance(module, nn.LayerNorm):
            module.weight.normal_(1.0, 0.3)
            module.bias.normal_(0.0, 0.5)
    for name, param in model.named_parameters():
        if name.endswith("relative_position_bias_table"):
            param.normal_(0.0, 1.0)
    return model


class Kind(str):
    """Put among a verdict's phrases to assert the structured :class:`Mismatch` kind instead of a text."""


class Named(str):
    """Put among a verdict's phrases to assert which catalogued mistake was recognised (its name)."""


VALUES, SHAPE, DTYPE, TYPE, CRASH, MISSING, TIMEOUT = (
    Kind(k) for k in ("values", "shape", "dtype", "type", "crash", "missing", "timeout")
)


def verdict(capsys, result, ok: bool, *phrases: str, kind: str | None = None, mistake: str | None = None) -> str:
    """Assert an exercise check's verdict: the returned value, the printed mark (and the result's repr),
    the structured mismatch of a wrong answer (its ``kind`` and recognised ``mistake``, also given as
    :class:`Kind` / :class:`Named` phrases), and that the printed message names every other phrase;
    return the message."""
    from swin_edu.exercises import KINDS, Mismatch

    printed = capsys.readouterr().out
    assert bool(result) is ok
    assert printed.startswith("✓ " if ok else "✗ "), printed
    assert printed.count("\n") == 1, f"one line expected: {printed!r}"
    assert repr(result) == ("passed" if ok else "not yet")
    kinds = [p for p in phrases if isinstance(p, Kind)] + ([Kind(kind)] if kind else [])
    names = [p for p in phrases if isinstance(p, Named)] + ([Named(mistake)] if mistake else [])
    mismatch = getattr(result, "mismatch", None)
    if ok:
        assert mismatch is None
    else:
        assert isinstance(mismatch, Mismatch) and mismatch.kind in KINDS, mismatch
        assert printed == f"✗ {mismatch}\n", (printed, mismatch)
    for expected in kinds:
        assert mismatch.kind == expected, f"kind {mismatch.kind!r}, expected {expected!r}: {printed!r}"
    for expected in names:
        assert mismatch.mistake == expected, f"mistake {mismatch.mistake!r}, expected {expected!r}: {printed!r}"
    for phrase in phrases:
        if not isinstance(phrase, (Kind, Named)):
            assert phrase in printed, f"{phrase!r} not in {printed!r}"
    return printed


def stub(*args):
    """A learner's unfinished exercise: it returns nothing yet."""
    # your code here
    return None
