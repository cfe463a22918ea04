"""Import peer libraries (timm, torchvision) that serve as independent references in tests and benchmarks.

Why a helper: on machines whose torchvision wheel was built for another torch than the one installed (here a
local CPU build of torch 2.13 beside torchvision 0.28 from the registry), ``import torchvision`` -- and so
``import timm``, which imports it -- fails with ``RuntimeError: operator torchvision::nms does not exist``.
torchvision's compiled operators (nms, roi_align, ...) are not registered for this torch, and the failure
comes from ``torchvision/_meta_registrations.py``, which registers fake (meta) kernels for them with the
decorator ``torch.library.register_fake``. Model code (timm's Res2Net and Swin, ``torchvision.models``) uses
none of those operators.

What :func:`import_peer` does:

1. it tries the plain import; on a machine whose torchvision matches its torch, that is all;
2. only if that fails with the error above, it removes the partially imported ``torchvision*`` and ``timm*``
   entries from ``sys.modules`` and imports again with ``torch.library.register_fake`` replaced by a
   decorator that registers nothing, for the duration of that import only: the original is put back in a
   ``finally`` block, so nothing else in the process ever sees the replacement.

Any other import error is raised as it is, and so is a failure of the second attempt: a test that needs the
peer then fails (it is never skipped). The shim lives here, in the tests, never in the library.
Self-contained (standard library and torch only), so that benchmarks can import it as well.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from types import ModuleType

import torch

__all__ = ["import_peer", "import_timm", "import_torchvision_models", "prepare_transformers", "SHIMMED", "MISMATCH_MESSAGE"]

#: the text of the error that the fallback handles (torchvision's operators missing in this torch build)
MISMATCH_MESSAGE = "operator torchvision::"

#: names of the peers that needed the fallback in this process (for reports)
SHIMMED: set[str] = set()

_PEER_PACKAGES = ("torchvision", "timm")


def _is_operator_mismatch(error: BaseException) -> bool:
    """Whether ``error`` (or an error it was raised from) is torchvision's missing-operator error."""
    while error is not None:
        if isinstance(error, RuntimeError) and MISMATCH_MESSAGE in str(error) and "does not exist" in str(error):
            return True
        error = error.__cause__ or error.__context__
    return False


def _register_nothing(op, func=None, /, *args, **kwargs):
    """Stands in for ``torch.library.register_fake(op, func=None, ...)``: registers nothing and returns the
    kernel unchanged (used as a decorator, it returns a decorator that does the same)."""
    if func is not None:
        return func
    return lambda kernel: kernel


@contextlib.contextmanager
def _fake_kernels_skipped():
    """Within this context ``torch.library.register_fake`` registers nothing; the original comes back after."""
    original = torch.library.register_fake
    torch.library.register_fake = _register_nothing
    try:
        yield
    finally:
        torch.library.register_fake = original


def _forget_partial_imports(packages) -> None:
    """Drop ``packages`` and their submodules from ``sys.modules`` so that the next import starts afresh."""
    for name in list(sys.modules):
        if any(name == package or name.startswith(package + ".") for package in packages):
            del sys.modules[name]


def import_peer(name: str) -> ModuleType:
    """Import the module ``name`` (``"timm"``, ``"torchvision"``, ``"torchvision.models"``, ...), falling back to
    skipping torchvision's fake-kernel registrations if, and only if, the plain import fails with the
    missing-operator error (see the module docstring)."""
    try:
        return importlib.import_module(name)
    except Exception as error:
        if not _is_operator_mismatch(error):
            raise
    top_level = name.split(".", 1)[0]
    _forget_partial_imports(set(_PEER_PACKAGES) | {top_level})
    with _fake_kernels_skipped():
        module = importlib.import_module(name)
    SHIMMED.add(top_level)
    return module


def import_timm() -> ModuleType:
    """``timm``, imported through :func:`import_peer`."""
    return import_peer("timm")


def import_torchvision_models() -> ModuleType:
    """``torchvision.models``, imported through :func:`import_peer`."""
    return import_peer("torchvision.models")


def prepare_transformers() -> None:
    """Make ``transformers``' Swin importable beside a mismatched torchvision.

    ``transformers`` imports torchvision whenever it is installed (for its image processors), and then fails with
    "Could not import module 'SwinForImageClassification'", raised from the missing-operator error. Importing
    torchvision first through :func:`import_peer` puts a working torchvision in ``sys.modules``, which
    ``transformers`` then reuses. Without torchvision installed there is nothing to do.
    """
    try:
        import_peer("torchvision")
    except ModuleNotFoundError as error:
        if error.name != "torchvision":
            raise
