"""What attention costs: the paper's formulas (Eq. 1-2), analytic MAC counts of whole models, and
operations counted by PyTorch.

The paper's "FLOPs" are multiply-accumulates (MACs). On an ``h x w`` map of ``C`` channels:

* ``Omega(MSA)   = 4 h w C^2 + 2 (h w)^2 C`` (global attention: quadratic in the number of tokens),
* ``Omega(W-MSA) = 4 h w C^2 + 2 M^2 h w C`` (window attention: linear in it, for a fixed ``M``).

``4 h w C^2`` is the ``qkv`` and output projections; the second term is ``Q K^T`` and ``A V``.

:func:`model_macs` counts a whole Swin the way the official code's ``flops()`` does: those two
terms per window, ``2 H W C * 4C`` for each MLP, one per element for each LayerNorm, and the patch
embedding, merging and head projections; biases, masks, softmax and GELU are left out.
:func:`counted_macs` lets ``torch.utils.flop_counter`` count the matrix products of a real forward
pass instead. It runs the explicit attention path, because on the CPU the flop counter counts zero
for ``scaled_dot_product_attention``.
"""

from __future__ import annotations

import contextlib
import math

import torch
from torch.utils.flop_counter import FlopCounterMode

from . import res2net as _res2net
from ._checks import check_count, check_hidden_width, check_pair, check_positive_int
from .attention import MultiHeadSelfAttention
from .swin import SwinTransformer
from .windows import window_grid

__all__ = [
    "msa_macs",
    "wmsa_macs",
    "window_attention_macs",
    "block_macs",
    "model_macs",
    "macs_by_part",
    "counted_macs",
    "explicit_attention",
    "stage_summary",
    "resnet50_stages",
    "bottle2neck_params",
    "bottle2neck_macs",
    "res2net_macs_by_part",
    "res2net_macs",
    "res2net_stage_summary",
]


def _sizes(**sizes) -> list[int]:
    return [check_positive_int(name, value) for name, value in sizes.items()]


def msa_macs(h: int, w: int, C: int) -> int:
    """Omega(MSA) = 4hwC^2 + 2(hw)^2 C: global multi-head self-attention on an ``h x w`` map (Eq. 1)."""
    h, w, C = _sizes(h=h, w=w, C=C)
    return 4 * h * w * C**2 + 2 * (h * w) ** 2 * C


def wmsa_macs(h: int, w: int, C: int, M: int) -> int:
    """Omega(W-MSA) = 4hwC^2 + 2M^2 hwC: attention inside ``M x M`` windows (Eq. 2).

    Exact when ``h`` and ``w`` are multiples of ``M``; a padded map costs ``wmsa_macs`` of its padded size.
    ``M`` must be at most ``min(h, w)``: a window larger than the map does not exist (a Swin block uses
    smaller windows on such a map; :func:`window_attention_macs` applies that rule and the padding).
    """
    h, w, C, M = _sizes(h=h, w=w, C=C, M=M)
    if M > min(h, w):
        raise ValueError(
            f"M must be at most min(h, w) = {min(h, w)}: a window of {M}x{M} tokens does not fit in the {h}x{w} map "
            f"(Eq. 2 would count {M * M} tokens per window where the map has {h * w}); a Swin block uses windows "
            f"of side min(h, w) on such a map, which swin_edu.complexity.window_attention_macs counts"
        )
    return 4 * h * w * C**2 + 2 * M**2 * h * w * C


def window_attention_macs(H: int, W: int, C: int, window_size: int) -> int:
    """MACs of a Swin block's (S)W-MSA on an ``H x W x C`` map as it is really computed: windows of
    side ``min(H, W)`` on a map no larger than the window (:func:`~swin_edu.windows.effective_window`),
    and Eq. 2 on the map zero-padded to multiples of the window (:func:`~swin_edu.windows.window_grid`)."""
    H, W, C = _sizes(H=H, W=W, C=C)
    grid = window_grid(H, W, window_size)
    return wmsa_macs(grid.padded_height, grid.padded_width, C, grid.window)


def block_macs(H: int, W: int, C: int, window_size: int, mlp_ratio: float = 4.0, norms: bool = True) -> int:
    """MACs of one Swin block on an ``H x W x C`` map with windows of side ``window_size``.

    The window attention runs on the map padded to multiples of the window (what is really computed,
    :func:`window_attention_macs`); LayerNorms count one per element when ``norms`` is true.
    """
    attention = window_attention_macs(H, W, C, window_size)  # checks H, W, C and window_size
    mlp = 2 * H * W * C * check_hidden_width(C, mlp_ratio)
    layernorms = 2 * H * W * C if norms else 0
    return attention + mlp + layernorms


def macs_by_part(
    model: SwinTransformer, img_size: int | tuple[int, int] | None = None, norms: bool = True
) -> dict[str, int]:
    """MACs of a Swin model's parts for one image: ``patch_embed``, ``stage1`` .. ``stage4`` (each with the
    patch merging at its end, as in the official layout) and ``head`` (final LayerNorm and classifier).

    Args:
        model: a :class:`~swin_edu.swin.SwinTransformer`.
        img_size: image side or ``(H, W)``; defaults to the size the model was built for.
        norms: count the LayerNorms (one MAC per element, as the official code does).
    """
    H, W = check_pair("img_size", model.img_size if img_size is None else img_size)
    p, C = model.patch_size, model.embed_dim
    if H % p or W % p:
        raise ValueError(f"image size {H}x{W} is not divisible by the patch size {p}")
    in_chans = model.patch_embed.in_chans
    H, W = H // p, W // p
    parts = {"patch_embed": H * W * C * in_chans * p * p + (H * W * C if norms else 0)}
    for i, layer in enumerate(model.layers):
        C = model.embed_dim * 2**i
        stage = 0
        for block in layer.blocks:
            m, _ = block.window_and_shift(H, W)
            stage += block_macs(H, W, C, m, model.mlp_ratio, norms)
        if layer.downsample is not None:
            H, W = math.ceil(H / 2), math.ceil(W / 2)
            stage += H * W * 4 * C * (1 if norms else 0) + H * W * 4 * C * 2 * C
        parts[f"stage{i + 1}"] = stage
    parts["head"] = (H * W * model.num_features if norms else 0) + model.num_features * model.num_classes
    return parts


def model_macs(model: SwinTransformer, img_size: int | tuple[int, int] | None = None, norms: bool = True) -> int:
    """Total MACs of a Swin model for one image, counted as the official ``flops()`` counts them.

    ``model_macs(swin_t()) / 1e9`` rounds to the paper's 4.5 (Table 1). For the final LayerNorm the
    official code counts ``8C * (H/4) * (W/4) / 2**4`` elements (the patch map divided by 16) instead of
    the ``8C * (H/32) * (W/32)`` it normalizes; here it is the real element count, which changes the
    total by less than 0.01%.
    """
    return sum(macs_by_part(model, img_size, norms).values())


def stage_summary(model: SwinTransformer, img_size: int | tuple[int, int] | None = None) -> list[dict]:
    """Per stage of a Swin model, for one image: the shapes and costs of the hierarchy (Fig. 3a).

    Returns one dict per stage with ``stage`` (1..4), ``stride`` (pixels per token), ``height``,
    ``width``, ``channels``, ``window`` (the side really used, see
    :func:`~swin_edu.windows.effective_window`), ``windows`` (their number, on the padded map),
    ``blocks`` and ``macs`` (as :func:`macs_by_part` counts them, patch merging included).
    """
    H, W = check_pair("img_size", model.img_size if img_size is None else img_size)
    macs = macs_by_part(model, (H, W))  # also checks the size against the patch size
    H, W = H // model.patch_size, W // model.patch_size
    rows = []
    for i, layer in enumerate(model.layers):
        m, _ = layer.blocks[0].window_and_shift(H, W)
        rows.append(
            dict(
                stage=i + 1,
                stride=model.patch_size * 2**i,
                height=H,
                width=W,
                channels=model.embed_dim * 2**i,
                window=m,
                windows=window_grid(H, W, m).n_windows,
                blocks=len(layer.blocks),
                macs=macs[f"stage{i + 1}"],
            )
        )
        H, W = math.ceil(H / 2), math.ceil(W / 2)
    return rows


def resnet50_stages(img_size: int | tuple[int, int] = 224) -> list[dict]:
    """ResNet-50's four stages (conv2_x .. conv5_x, He et al. 2016, Table 1) for comparison with Swin's.

    Strides 4, 8, 16, 32 and 256, 512, 1024, 2048 channels; every stride-2 step (the 7x7 stem, the max
    pool and the first block of stages 3-5) rounds an odd side up, so a side ``H`` becomes
    ``ceil(H / stride)``.
    """
    H, W = check_pair("img_size", img_size)
    rows = []
    for i, channels in enumerate((256, 512, 1024, 2048)):
        stride = 4 * 2**i
        rows.append(dict(stage=i + 1, stride=stride, height=-(-H // stride), width=-(-W // stride), channels=channels))
    return rows


@contextlib.contextmanager
def explicit_attention(module: torch.nn.Module):
    """Within this context, every attention layer in ``module`` runs the explicit path."""
    layers = [m for m in module.modules() if isinstance(m, MultiHeadSelfAttention)]
    saved = [m.fused_attn for m in layers]
    try:
        for m in layers:
            m.fused_attn = False
        yield module
    finally:
        for m, fused in zip(layers, saved):
            m.fused_attn = fused


def counted_macs(module: torch.nn.Module, *inputs, **kwargs) -> int:
    """MACs of ``module(*inputs, **kwargs)`` as counted by ``torch.utils.flop_counter.FlopCounterMode``.

    The counter sees matrix products and convolutions (2 FLOPs per MAC, halved here) and nothing else:
    no LayerNorm, softmax, GELU or additions. Attention runs the explicit path while counting.
    """
    with explicit_attention(module), torch.no_grad(), FlopCounterMode(display=False) as counter:
        module(*inputs, **kwargs)
    return counter.get_total_flops() // 2


# ---- Res2Net (the companion paper, swin_edu.res2net) -----------------------------------------------------------
#
# Counted as torch.utils.flop_counter counts a forward pass, so that the two agree exactly: every convolution
# (output positions x output channels x input channels x kernel area) and the classifier's matrix product, one
# MAC each; BatchNorm, ReLU, the additions, the max and average pools are not counted. Every stride-2 step of the
# network (7x7 with padding 3, 3x3 with padding 1, 1x1 without, the pools) maps a side H to ceil(H / 2).


def _ceil_div(side: int, stride: int) -> int:
    return -(-side // stride)


def _shortcut_projects(inplanes: int, planes: int, stride: int, downsample) -> bool:
    """Whether a Bottle2neck's shortcut is a projection (the official rule when ``downsample`` is None)."""
    needed = stride > 1 or inplanes != planes * _res2net.EXPANSION
    if downsample is None:
        return needed
    if not isinstance(downsample, bool):
        raise ValueError(f"downsample must be True, False or None (decide), got {downsample!r}")
    if needed and not downsample:
        raise ValueError(
            f"a block with {inplanes} input channels, stride {stride} and {planes * _res2net.EXPANSION} output "
            "channels needs a projection shortcut (downsample=True or None)"
        )
    return downsample


def bottle2neck_params(
    inplanes: int, planes: int, base_width: int = 26, scale: int = 4, stride: int = 1, downsample: bool | None = None
) -> int:
    """Parameters of one :class:`~swin_edu.res2net.Bottle2neck` (its BatchNorms' weights and biases included),
    with the block's own arguments. With ``w = floor(planes * base_width / 64)`` and ``n = max(1, s - 1)``:
    ``inplanes * w s`` (1x1 in) ``+ n * 9 w^2`` (the 3x3 chain) ``+ w s * 4 planes`` (1x1 out), plus the
    projection shortcut ``inplanes * 4 planes`` if any, plus two per BatchNorm channel."""
    inplanes, planes, stride = _sizes(inplanes=inplanes, planes=planes, stride=stride)
    scale = check_positive_int("scale", scale)
    width = _res2net.group_width(planes, base_width)  # checks base_width
    n, out = max(1, scale - 1), planes * _res2net.EXPANSION
    weights = inplanes * width * scale + n * 9 * width * width + width * scale * out
    norm_channels = width * scale + n * width + out
    if _shortcut_projects(inplanes, planes, stride, downsample):
        weights += inplanes * out
        norm_channels += out
    return weights + 2 * norm_channels


def bottle2neck_macs(
    H: int,
    W: int,
    inplanes: int,
    planes: int,
    base_width: int = 26,
    scale: int = 4,
    stride: int = 1,
    downsample: bool | None = None,
) -> int:
    """MACs of one :class:`~swin_edu.res2net.Bottle2neck` on an ``H x W`` input map, with the block's own
    arguments (``downsample=None`` decides as the block does). The output map is ``H' x W'``,
    ``H' = ceil(H / stride)``; with ``w = floor(planes * base_width / 64)`` and ``n = max(1, s - 1)``:

    ``H W * inplanes * w s`` (1x1 in) ``+ n * H' W' * 9 w^2`` (the chain of 3x3 convolutions, Sec. 3.1)
    ``+ H' W' * w s * 4 planes`` (1x1 out) ``+ H' W' * inplanes * 4 planes`` (projection shortcut, if any).

    Compared with a ResNet bottleneck of width ``w s`` (one 3x3 convolution over all of it, ``9 (w s)^2``),
    the chain costs ``9 (s - 1) w^2``: about ``1/s`` of it, which is how Res2Net affords wider blocks.
    """
    H, W, inplanes, planes, stride = _sizes(H=H, W=W, inplanes=inplanes, planes=planes, stride=stride)
    scale = check_positive_int("scale", scale)
    width = _res2net.group_width(planes, base_width)  # checks base_width
    n, out = max(1, scale - 1), planes * _res2net.EXPANSION
    Ho, Wo = _ceil_div(H, stride), _ceil_div(W, stride)
    macs = H * W * inplanes * width * scale  # conv1, before the stride
    macs += n * Ho * Wo * 9 * width * width  # convs: K_1 .. K_n
    macs += Ho * Wo * width * scale * out  # conv3
    if _shortcut_projects(inplanes, planes, stride, downsample):
        macs += Ho * Wo * inplanes * out  # downsample.0
    return macs


def _res2net_config(model_or_config) -> dict:
    """The keyword arguments of a :class:`~swin_edu.res2net.Res2Net`: from a model, from a dict of them
    (missing ones take Res2Net's defaults), or the defaults (Res2Net-50 26w x 4s) for None."""
    defaults = dict(layers=(3, 4, 6, 3), base_width=26, scale=4, num_classes=1000, in_chans=3)
    if model_or_config is None:
        return defaults
    if isinstance(model_or_config, _res2net.Res2Net):
        m = model_or_config
        return dict(
            layers=m.layers, base_width=m.base_width, scale=m.scale, num_classes=m.num_classes, in_chans=m.in_chans
        )
    if isinstance(model_or_config, dict):
        unknown = set(model_or_config) - set(defaults)
        if unknown:
            raise ValueError(f"unknown Res2Net settings {sorted(unknown)}; allowed: {sorted(defaults)}")
        config = {**defaults, **model_or_config}
        config["num_classes"] = check_count("num_classes (0: no classifier)", config["num_classes"])
        config["in_chans"] = check_positive_int("in_chans", config["in_chans"])
        config["scale"] = check_positive_int("scale", config["scale"])
        config["base_width"] = check_positive_int("base_width", config["base_width"])
        return config
    raise ValueError(
        "model_or_config must be a swin_edu Res2Net, a dict of Res2Net's keyword arguments or None, "
        f"got {type(model_or_config).__name__}"
    )


def _res2net_image(img_size) -> tuple[int, int]:
    H, W = check_pair("img_size", img_size)
    if min(H, W) < _res2net.MIN_IMAGE_SIDE:
        raise ValueError(
            f"img_size {H}x{W} is too small for Res2Net: both sides must be at least {_res2net.MIN_IMAGE_SIDE} "
            "pixels (see swin_edu.res2net.MIN_IMAGE_SIDE)"
        )
    return H, W


def res2net_macs_by_part(model_or_config=None, img_size: int | tuple[int, int] = 224) -> dict[str, int]:
    """MACs of a Res2Net's parts for one image: ``stem`` (the 7x7 convolution), ``stage1`` .. ``stage4``
    (:func:`bottle2neck_macs` of each block) and ``head`` (the classifier; 0 without one).

    Args:
        model_or_config: a :class:`~swin_edu.res2net.Res2Net`, a dict of its keyword arguments (``layers``,
            ``base_width``, ``scale``, ``num_classes``, ``in_chans``; the rest default), or None for
            Res2Net-50 26w x 4s. A dict costs a model without building it.
        img_size: image side or ``(H, W)``, each at least :data:`~swin_edu.res2net.MIN_IMAGE_SIDE`.
    """
    config = _res2net_config(model_or_config)
    H, W = _res2net_image(img_size)
    H, W = _ceil_div(H, 2), _ceil_div(W, 2)  # conv1, stride 2
    parts = {"stem": H * W * _res2net.STEM_CHANNELS * config["in_chans"] * 7 * 7}
    H, W = _ceil_div(H, 2), _ceil_div(W, 2)  # max pool, stride 2
    for i, stage in enumerate(_res2net.block_plan(config["layers"])):
        total = 0
        for block in stage:
            total += bottle2neck_macs(
                H, W, block["inplanes"], block["planes"], config["base_width"], config["scale"], block["stride"]
            )
            H, W = _ceil_div(H, block["stride"]), _ceil_div(W, block["stride"])
        parts[f"stage{i + 1}"] = total
    features = _res2net.block_plan(config["layers"])[-1][-1]["planes"] * _res2net.EXPANSION
    parts["head"] = features * config["num_classes"]
    return parts


def res2net_macs(model_or_config=None, img_size: int | tuple[int, int] = 224) -> int:
    """Total MACs of a Res2Net for one image (:func:`res2net_macs_by_part`), as ``torch.utils.flop_counter``
    counts them. At 224 x 224: 4.26 G for Res2Net-50 26w x 4s and 4.18 G for 14w x 8s, the paper's "4.2 G
    FLOPs" for both (which are MACs)."""
    return sum(res2net_macs_by_part(model_or_config, img_size).values())


def res2net_stage_summary(model_or_config=None, img_size: int | tuple[int, int] = 224) -> list[dict]:
    """Per stage of a Res2Net, for one image: ``stage`` (1..4), ``stride``, ``height``, ``width``,
    ``channels``, ``blocks``, ``group_width`` (``w`` of that stage), ``scale`` and ``macs``
    (:func:`res2net_macs_by_part`): the pyramid to set beside Swin's :func:`stage_summary`."""
    config = _res2net_config(model_or_config)
    macs = res2net_macs_by_part(config, img_size)  # also checks the size
    H, W = check_pair("img_size", img_size)
    rows = []
    for i, stage in enumerate(_res2net.block_plan(config["layers"])):
        stride = 4 * 2**i
        planes = stage[0]["planes"]
        rows.append(
            dict(
                stage=i + 1,
                stride=stride,
                height=_ceil_div(H, stride),
                width=_ceil_div(W, stride),
                channels=planes * _res2net.EXPANSION,
                blocks=len(stage),
                group_width=_res2net.group_width(planes, config["base_width"]),
                scale=config["scale"],
                macs=macs[f"stage{i + 1}"],
            )
        )
    return rows
