"""Res2Net (Gao et al., "Res2Net: A New Multi-scale Backbone Architecture", TPAMI 2021), the companion
paper of the course: multi-scale features *inside one residual block*, where Swin builds them across stages.

Reading order, as in the paper (Sec. 3, Fig. 2):

* :func:`split_scales`: cut a feature map's channels into ``s`` equal groups ``x_1 .. x_s``.
* :class:`Bottle2neck`: the Res2Net block. A 1x1 convolution widens to ``w * s`` channels, the groups go
  through a chain of 3x3 convolutions ``y_i = K_i(x_i + y_{i-1})``, so that group ``i`` has seen ``i``
  stacked 3x3 kernels (receptive fields 3, 5, 7, ...), the groups are concatenated again and a 1x1
  convolution mixes them; a residual connection adds the input, as in ResNet's bottleneck.
* :class:`Res2Net`: ResNet-50's skeleton (7x7 stem, max pool, four stages of 3, 4, 6, 3 blocks, average
  pool, linear classifier) with every bottleneck replaced by a :class:`Bottle2neck`;
  :func:`res2net50_26w_4s` (the paper's main model) and :func:`res2net50_14w_8s` build two published ones.

**Official code, not the figure.** This module follows the official code
(github.com/Res2Net/Res2Net-PretrainedModels, ``res2net.py``), which timm's ``res2net50_26w_4s`` reproduces,
so that its checkpoints load. Where the code and the paper's Fig. 2 differ, the code wins:

* Fig. 2 passes the *first* group through unchanged and convolves ``x_2 .. x_s``. The code convolves
  ``x_1 .. x_{s-1}`` (``y_1 = K_1(x_1)``, ``y_i = K_i(x_i + y_{i-1})``) and passes the *last* group through.
  The two differ only in the order of the groups, which the surrounding 1x1 convolutions could absorb; the
  weights do not.
* The first block of every stage (``stype="stage"``) has no hierarchy: each ``x_i`` goes through its own
  ``K_i`` without ``y_{i-1}`` added, the convolutions carry the stage's stride, and the last group is
  average-pooled (3x3, padding 1, the same stride) instead of passed through. This holds for stage 1 too,
  whose pool has stride 1: there it is a 3x3 blur of the last group.
* ``scale = 1`` is allowed and gives one 3x3 convolution over all ``w`` channels and no group passed
  through: a plain ResNet bottleneck of width ``w``. With ``base_width=64`` and ``scale=1``, :class:`Res2Net`
  is exactly ResNet-50 (torchvision's, with the stride in the 3x3 convolution), under other names.

The width of one group is ``w = floor(planes * base_width / 64)``: ``26w`` gives 26, 52, 104 and 208
channels per group in stages 1-4 (``planes`` = 64, 128, 256, 512), and each block outputs ``4 * planes``.

Parameter and buffer names are those of the official checkpoints (``conv1.weight``, ``bn1.*``,
``layer1.0.convs.0.weight``, ``layer1.0.bns.0.*``, ``layer1.0.conv3.weight``, ``layer1.0.downsample.0.weight``,
``fc.weight`` and so on), so ``model.load_state_dict(official_state_dict)`` loads with ``strict=True``.

Images may have any height and width of at least :data:`MIN_IMAGE_SIDE` pixels; odd sides round up at every
stride-2 step (``ceil(H / 2)``), as in the official code.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn as nn

from ._checks import check_count, check_positive_int

__all__ = [
    "split_scales",
    "group_width",
    "Bottle2neck",
    "Res2Net",
    "res2net50_26w_4s",
    "res2net50_14w_8s",
    "CONFIGS",
    "MIN_IMAGE_SIDE",
    "block_plan",
]

#: the builders' configurations: ``layers`` (blocks per stage), ``base_width`` and ``scale``
CONFIGS = {
    "res2net50_26w_4s": dict(layers=(3, 4, 6, 3), base_width=26, scale=4),
    "res2net50_14w_8s": dict(layers=(3, 4, 6, 3), base_width=14, scale=8),
}

#: The smallest image side :class:`Res2Net` takes. The network halves its map five times (the stem's
#: convolution, its max pool, and the first block of stages 2, 3 and 4); from a side of 17 pixels every one of
#: those steps still shrinks the map (17 -> 9 -> 5 -> 3 -> 2 -> 1), while from 16 pixels or fewer stage 4's
#: stride-2 block would meet a 1x1 map that it cannot shrink any further.
MIN_IMAGE_SIDE = 17

EXPANSION = 4  # a bottleneck's output has 4 * planes channels (ResNet-50's rule)
STEM_CHANNELS = 64


def group_width(planes: int, base_width: int) -> int:
    """The channels of one scale group, ``w = floor(planes * base_width / 64)`` (official code).

    ``base_width`` is the width the group has in stage 1 (``planes = 64``): the "26w" of Res2Net-50 26w x 4s.
    """
    planes = check_positive_int("planes", planes)
    base_width = check_positive_int("base_width", base_width)
    width = planes * base_width // 64
    if width < 1:
        raise ValueError(
            f"planes={planes} and base_width={base_width} give each scale group floor({planes} * {base_width} / 64) "
            f"= 0 channels; a group needs at least 1, so base_width must be at least {math.ceil(64 / planes)} "
            f"for planes={planes}"
        )
    return width


def split_scales(x: torch.Tensor, scale: int) -> tuple[torch.Tensor, ...]:
    """Split a map ``(B, C, H, W)`` into ``scale`` groups ``x_1 .. x_s`` of ``C / scale`` channels each
    (Sec. 3.1: "evenly split into s feature map subsets"), in channel order. The groups are views, not copies.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor of shape (B, C, H, W), got {type(x).__name__}")
    if x.dim() != 4:
        raise ValueError(f"x must be a feature map of shape (B, C, H, W) (4 dimensions), got {tuple(x.shape)}")
    scale = check_positive_int("scale", scale)
    channels = x.shape[1]
    if channels % scale:
        divisors = [s for s in range(1, channels + 1) if channels % s == 0]
        raise ValueError(
            f"the {channels} channels of x do not split into scale={scale} equal groups; "
            f"scale must divide the channels: one of {divisors}"
        )
    return torch.split(x, channels // scale, dim=1)  # s x (B, C/s, H, W)


def _check_stype(stype) -> str:
    if stype not in ("normal", "stage"):
        raise ValueError(
            f"stype must be 'normal' (a block inside a stage) or 'stage' (the first block of a stage), got {stype!r}"
        )
    return stype


class Bottle2neck(nn.Module):
    """The Res2Net block (Sec. 3.1, Fig. 2b), in the official code's order and names.

    ``x (B, inplanes, H, W)`` becomes ``(B, 4 * planes, H', W')`` with ``H' = ceil(H / stride)``:

    1. ``conv1`` (1x1) + ``bn1`` + ReLU: ``w * s`` channels, split into ``s`` groups of ``w``;
    2. for ``i = 1 .. n`` with ``n = s - 1`` (``n = 1`` when ``s = 1``): ``y_i = K_i(x_i + y_{i-1})``, where
       ``K_i`` is ``convs[i-1]`` (3x3, the block's stride) + ``bns[i-1]`` + ReLU and ``y_0`` is nothing; in a
       ``"stage"`` block nothing is added, ``y_i = K_i(x_i)``;
    3. the last group ``x_s`` joins unchanged (``"normal"``) or average-pooled 3x3 with the stride
       (``"stage"``); with ``s = 1`` there is no such group;
    4. concatenation of ``y_1 .. y_n`` and the last group, ``conv3`` (1x1) + ``bn3`` to ``4 * planes`` channels;
    5. plus the shortcut (``downsample``: 1x1 convolution with the stride + BatchNorm, or the input itself),
       then ReLU.

    Args:
        inplanes: input channels.
        planes: the bottleneck's base channels; the output has ``4 * planes``.
        stride: 1, or 2 for the first block of stages 2-4 (needs ``stype="stage"``).
        base_width: the group width in stage 1; each group has ``w = floor(planes * base_width / 64)`` channels.
        scale: the number of groups ``s`` (the paper's scale dimension); 1 gives a plain ResNet bottleneck.
        stype: ``"normal"`` or ``"stage"`` (the first block of a stage, see the module's docstring).
        downsample: whether the shortcut is a projection; ``None`` (default) decides as the official code does,
            a projection exactly when ``stride > 1`` or ``inplanes != 4 * planes``.
    """

    expansion = EXPANSION

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int = 1,
        base_width: int = 26,
        scale: int = 4,
        stype: str = "normal",
        downsample: bool | None = None,
    ):
        super().__init__()
        self.inplanes = check_positive_int("inplanes", inplanes)
        self.planes = check_positive_int("planes", planes)
        self.stride = check_positive_int("stride", stride)
        self.scale = check_positive_int("scale (the number of groups; 1 is a plain bottleneck)", scale)
        self.base_width = check_positive_int("base_width", base_width)
        self.stype = _check_stype(stype)
        self.width = width = group_width(planes, base_width)  # w: channels of one group
        outplanes = planes * self.expansion
        if self.stride > 1 and self.stype != "stage" and self.scale > 1:
            raise ValueError(
                f"stride={stride} needs stype='stage': in a 'normal' block the last group is passed through "
                "unchanged and would keep its size while the convolved groups shrink"
            )
        needed = self.stride > 1 or inplanes != outplanes
        if downsample is None:
            downsample = needed
        elif not isinstance(downsample, bool):
            raise ValueError(f"downsample must be True, False or None (decide), got {downsample!r}")
        elif needed and not downsample:
            raise ValueError(
                f"this block needs a projection shortcut (downsample=True or None): its input has {inplanes} "
                f"channels and stride {stride}, its output {outplanes} channels, so the input cannot be added as it is"
            )
        self.n_convs = max(1, self.scale - 1)  # n: the official code's `nums`

        self.conv1 = nn.Conv2d(inplanes, width * self.scale, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width * self.scale)
        # K_1 .. K_n: one 3x3 convolution (+ BatchNorm) per convolved group
        self.convs = nn.ModuleList(
            nn.Conv2d(width, width, kernel_size=3, stride=self.stride, padding=1, bias=False)
            for _ in range(self.n_convs)
        )
        self.bns = nn.ModuleList(nn.BatchNorm2d(width) for _ in range(self.n_convs))
        # a stage's first block pools its last group with the block's stride (no parameters)
        if self.stype == "stage" and self.scale > 1:
            self.pool = nn.AvgPool2d(kernel_size=3, stride=self.stride, padding=1)
        else:
            self.pool = None
        self.conv3 = nn.Conv2d(width * self.scale, outplanes, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(outplanes)
        self.relu = nn.ReLU()
        if downsample:
            self.downsample = nn.Sequential(
                nn.Conv2d(inplanes, outplanes, kernel_size=1, stride=self.stride, bias=False),
                nn.BatchNorm2d(outplanes),
            )
        else:
            self.downsample = None

    def extra_repr(self) -> str:
        return f"width={self.width}, scale={self.scale}, stype={self.stype!r}"

    def multi_scale(self, groups: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        """Step 2-3: the hierarchical chain on the groups ``x_1 .. x_s`` (each ``(B, w, H, W)``); returns the
        ``s`` outputs ``y_1 .. y_s`` (each ``(B, w, H', W')``) in the order they are concatenated."""
        outputs = []
        y = None
        for i, (conv, bn) in enumerate(zip(self.convs, self.bns)):
            x_i = groups[i]  # (B, w, H, W)
            if y is not None and self.stype == "normal":
                x_i = x_i + y  # the hierarchical residual-like connection: y_{i-1} feeds K_i
            y = self.relu(bn(conv(x_i)))  # y_i = K_i(...): (B, w, H', W')
            outputs.append(y)
        if self.scale > 1:
            last = groups[-1]  # x_s: no convolution of its own
            outputs.append(self.pool(last) if self.pool is not None else last)  # (B, w, H', W')
        return outputs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, inplanes, H, W)`` -> ``(B, 4 * planes, ceil(H / stride), ceil(W / stride))``."""
        if not isinstance(x, torch.Tensor) or x.dim() != 4 or x.shape[1] != self.inplanes:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"this block takes maps of shape (B, {self.inplanes}, H, W), got {shape}")
        out = self.relu(self.bn1(self.conv1(x)))  # (B, w*s, H, W)
        groups = split_scales(out, self.scale)  # s x (B, w, H, W)
        out = torch.cat(self.multi_scale(groups), dim=1)  # (B, w*s, H', W')
        out = self.bn3(self.conv3(out))  # (B, 4*planes, H', W')
        shortcut = x if self.downsample is None else self.downsample(x)  # (B, 4*planes, H', W')
        return self.relu(out + shortcut)


def _check_layers(layers) -> tuple[int, int, int, int]:
    if isinstance(layers, (str, bytes)) or not isinstance(layers, Sequence) or len(layers) != 4:
        raise ValueError(
            "layers must give the number of blocks of each of the four stages, e.g. (3, 4, 6, 3) for Res2Net-50 "
            f"or (3, 4, 23, 3) for Res2Net-101, got {layers!r}"
        )
    return tuple(check_positive_int(f"layers[{i}]", n) for i, n in enumerate(layers))


def block_plan(layers: Sequence[int] = (3, 4, 6, 3)) -> list[list[dict]]:
    """The blocks of a Res2Net, stage by stage: for each block the keyword arguments ``inplanes``,
    ``planes``, ``stride`` and ``stype`` that :class:`Bottle2neck` is built with (the rest, ``base_width`` and
    ``scale``, are the model's). Stage ``i`` (0-based) has ``planes = 64 * 2**i``; its first block is a
    ``"stage"`` block with stride 2 (stride 1 in stage 1, which follows the stem's max pool)."""
    layers = _check_layers(layers)
    plan, inplanes = [], STEM_CHANNELS
    for i, n_blocks in enumerate(layers):
        planes = 64 * 2**i
        stage = [dict(inplanes=inplanes, planes=planes, stride=1 if i == 0 else 2, stype="stage")]
        inplanes = planes * EXPANSION
        stage += [dict(inplanes=inplanes, planes=planes, stride=1, stype="normal") for _ in range(n_blocks - 1)]
        plan.append(stage)
    return plan


class Res2Net(nn.Module):
    """Res2Net: ResNet's skeleton with :class:`Bottle2neck` blocks (Sec. 3; Res2Net-50 in Sec. 4.2).

    * stem: ``conv1`` (7x7, stride 2, 64 channels) + ``bn1`` + ReLU + ``maxpool`` (3x3, stride 2): stride 4;
    * ``layer1`` .. ``layer4``: ``layers[i]`` blocks each, ``4 * 64 * 2**i`` = 256, 512, 1024, 2048 channels at
      strides 4, 8, 16, 32 (see :func:`block_plan`);
    * head: global average pool and ``fc`` (``2048 -> num_classes``).

    Args:
        layers: blocks per stage; (3, 4, 6, 3) is Res2Net-50.
        base_width: the group width ``w`` in stage 1 (26 in "26w x 4s"); doubled in each later stage.
        scale: the number of groups ``s`` per block (4 in "26w x 4s"); 1 gives ResNet bottlenecks.
        num_classes: classifier outputs; 0 gives no classifier (``forward`` returns the pooled 2048 features).
        in_chans: image channels.
    """

    def __init__(
        self,
        layers: Sequence[int] = (3, 4, 6, 3),
        base_width: int = 26,
        scale: int = 4,
        num_classes: int = 1000,
        in_chans: int = 3,
    ):
        super().__init__()
        plan = block_plan(layers)  # checks layers
        self.layers = tuple(len(stage) for stage in plan)
        self.base_width = check_positive_int("base_width", base_width)
        self.scale = check_positive_int("scale (the number of groups; 1 is a plain bottleneck)", scale)
        self.num_classes = check_count("num_classes (0: no classifier)", num_classes)
        self.in_chans = check_positive_int("in_chans", in_chans)
        self.num_features = plan[-1][-1]["planes"] * EXPANSION  # 2048

        self.conv1 = nn.Conv2d(in_chans, STEM_CHANNELS, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(STEM_CHANNELS)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        for i, stage in enumerate(plan):
            blocks = [Bottle2neck(base_width=base_width, scale=scale, **kwargs) for kwargs in stage]
            self.add_module(f"layer{i + 1}", nn.Sequential(*blocks))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(self.num_features, num_classes) if num_classes > 0 else nn.Identity()
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        """The official initialization: He-normal (fan out) convolutions, BatchNorm weight 1 and bias 0;
        the classifier keeps PyTorch's default."""
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)

    @property
    def stages(self) -> list[nn.Sequential]:
        """``[layer1, layer2, layer3, layer4]``."""
        return [self.layer1, self.layer2, self.layer3, self.layer4]

    def check_images(self, x) -> None:
        """Refuse anything but images ``(B, in_chans, H, W)`` with both sides at least :data:`MIN_IMAGE_SIDE`."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"images must be a torch.Tensor of shape (B, {self.in_chans}, H, W), got {type(x).__name__}")
        if x.dim() != 4 or x.shape[1] != self.in_chans:
            raise ValueError(f"images must have shape (B, {self.in_chans}, H, W), got {tuple(x.shape)}")
        H, W = x.shape[-2:]
        if min(H, W) < MIN_IMAGE_SIDE:
            raise ValueError(
                f"a {H}x{W} image is too small for Res2Net: both sides must be at least {MIN_IMAGE_SIDE} pixels, "
                "so that each of the network's five stride-2 steps (stem convolution, max pool, stages 2-4) still "
                "shrinks the map"
            )

    def stem(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 3, H, W)`` -> ``(B, 64, ceil(H / 4), ceil(W / 4))``."""
        x = self.relu(self.bn1(self.conv1(x)))  # (B, 64, H/2, W/2)
        return self.maxpool(x)  # (B, 64, H/4, W/4)

    def forward_features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The four stage maps ``(B, C_i, H_i, W_i)``: strides 4, 8, 16, 32 and 256, 512, 1024, 2048 channels
        (ResNet's C2-C5), the pyramid an FPN or U-Net takes. (timm's ``forward_features`` returns only the last.)"""
        self.check_images(x)
        x = self.stem(x)
        maps = []
        for stage in self.stages:
            x = stage(x)
            maps.append(x)
        return maps

    def forward_head(self, last_map: torch.Tensor) -> torch.Tensor:
        """Global average pool and classifier: ``(B, 2048, h, w)`` -> ``(B, num_classes)``."""
        x = self.avgpool(last_map).flatten(1)  # (B, 2048)
        return self.fc(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits ``(B, num_classes)`` of images ``(B, 3, H, W)``."""
        return self.forward_head(self.forward_features(x)[-1])


def res2net50_26w_4s(*, num_classes: int = 1000, **kwargs) -> Res2Net:
    """Res2Net-50 26w x 4s, the paper's main model: 4 groups of 26 channels in stage 1; 25,699,120 parameters
    with 1000 classes. Other keywords go to :class:`Res2Net`."""
    return Res2Net(**{**CONFIGS["res2net50_26w_4s"], "num_classes": num_classes, **kwargs})


def res2net50_14w_8s(*, num_classes: int = 1000, **kwargs) -> Res2Net:
    """Res2Net-50 14w x 8s: 8 groups of 14 channels in stage 1, about the same cost as 26w x 4s;
    25,059,816 parameters with 1000 classes. Other keywords go to :class:`Res2Net`."""
    return Res2Net(**{**CONFIGS["res2net50_14w_8s"], "num_classes": num_classes, **kwargs})
