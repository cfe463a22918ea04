"""Res2Net (issue 11): swin_edu.res2net against timm 1.0.31, the official counts and the paper.

- Same weights in, same logits out as timm's ``res2net50_26w_4s`` / ``res2net50_14w_8s`` (which follow the
  official code, github.com/Res2Net/Res2Net-PretrainedModels), loaded with ``strict=True`` from timm's own
  state dict, at 224 x 224 and at an odd size. timm is imported through tests/peers.py; if it cannot be
  imported these tests fail, they are never skipped.
- Parameter counts of the official code; MACs from complexity.res2net_macs equal to torch's flop counter,
  on our model and on timm's.
- scale = 1 is a plain ResNet bottleneck: Res2Net(base_width=64, scale=1) is torchvision's ResNet-50.
- The block's structure (which group sees which, receptive fields 3, 5, 7), shapes and parameter counts as
  properties, and clear errors for bad input.

Run with ``-rP`` (or ``-s``) to see the printed differences and the table beside the paper.
"""

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from peers import import_peer, import_timm, import_torchvision_models

import swin_edu
from swin_edu import complexity
from swin_edu.res2net import MIN_IMAGE_SIDE, Bottle2neck, Res2Net, res2net50_14w_8s, res2net50_26w_4s, split_scales

BUILDERS = {"res2net50_26w_4s": res2net50_26w_4s, "res2net50_14w_8s": res2net50_14w_8s}

# The official code's counts (1000 classes).
PARAMS = {"res2net50_26w_4s": 25_699_120, "res2net50_14w_8s": 25_059_816}

# The paper's numbers. Res2Net paper (Gao et al., TPAMI 2019), the ImageNet table of Res2Net-50 at different
# scales (rows "Res2Net-50 ... 26w x 4s" and "14w x 8s", preserved complexity) gives 4.2 G FLOPs for both; the
# official repository's README table "Pretrained models" gives #Params 25.70M and 25.06M and MACCs 4.2 for
# Res2Net-50-26w-4s and Res2Net-50-14w-8s. (The table number in the paper could not be checked from here:
# only secondary copies of the paper's text were reachable.)
PAPER = {"res2net50_26w_4s": (25.70e6, 4.2e9), "res2net50_14w_8s": (25.06e6, 4.2e9)}

ODD = (97, 113)  # an odd size: every stride-2 step rounds up


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    """Full-size forwards on one thread: on a 2-core machine that is busy with anything else, torch's two
    threads wait on each other and a 224 x 224 forward took 5-8 s instead of 0.3 s (measured). Under
    ``make test`` (pytest-xdist) every worker already computes on one thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _timm():
    return import_timm()  # raises (the test fails) when timm cannot be imported at all


@torch.no_grad()
def _calibrated_(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Give every BatchNorm random affine weights, then running statistics measured on random images, so that
    eval-mode activations stay near unit scale (logits of a few units) and a mistake anywhere shows."""
    generator = torch.Generator().manual_seed(seed)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.weight.copy_(torch.rand(module.weight.shape, generator=generator) * 0.5 + 0.5)
            module.bias.copy_(torch.randn(module.bias.shape, generator=generator) * 0.2)
            module.momentum = 1.0  # the next training-mode batch sets the running statistics
    model.train()
    model(torch.randn(4, 3, 64, 64, generator=generator))
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.momentum = 0.1
    return model.eval()


@pytest.fixture(scope="module", params=list(BUILDERS))
def pair(request):
    """(name, ours, timm's) with timm's calibrated weights copied into ours, both in eval mode."""
    name = request.param
    torch.manual_seed(0)
    reference = _calibrated_(_timm().create_model(name, pretrained=False))
    ours = BUILDERS[name]()
    ours.load_state_dict(reference.state_dict(), strict=True)  # the same keys, every one of them
    return name, ours.eval(), reference


# ---- the official layout and counts ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(BUILDERS))
def test_parameter_counts_are_the_official_ones(name):
    assert sum(p.numel() for p in BUILDERS[name]().parameters()) == PARAMS[name]


def test_state_dict_keys_are_the_official_layout(pair):
    name, ours, reference = pair
    keys = set(ours.state_dict())
    assert keys == set(reference.state_dict())
    for key in [
        "conv1.weight",
        "bn1.weight",
        "bn1.running_var",
        "layer1.0.conv1.weight",
        "layer1.0.bn1.bias",
        "layer1.0.convs.0.weight",
        "layer1.0.bns.0.running_mean",
        "layer1.0.conv3.weight",
        "layer1.0.bn3.weight",
        "layer1.0.downsample.0.weight",
        "layer1.0.downsample.1.weight",
        "layer4.2.convs.0.weight",
        "fc.weight",
        "fc.bias",
    ]:
        assert key in keys, key
    scale = swin_edu.res2net.CONFIGS[name]["scale"]
    assert f"layer1.0.convs.{scale - 2}.weight" in keys and f"layer1.0.convs.{scale - 1}.weight" not in keys
    assert "layer1.1.downsample.0.weight" not in keys  # only a stage's first block projects its shortcut


# ---- equal to timm ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(224, 224), ODD], ids=["224x224", "97x113"])
def test_logits_equal_timm(pair, size):
    name, ours, reference = pair
    images = torch.randn(2, 3, *size, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        got, expected = ours(images), reference(images)
    difference = (got - expected).abs().max().item()
    print(f"{name} {size[0]}x{size[1]}: largest |logit difference| against timm = {difference:.3g} "
          f"(logits up to {expected.abs().max().item():.3g})")  # fmt: skip
    assert got.shape == expected.shape == (2, 1000)
    assert 0.5 < expected.abs().max().item() < 1e3  # calibrated weights: a meaningful comparison
    assert difference <= 1e-5


def test_stage_maps_equal_timm_intermediates(pair):
    """forward_features gives the four stage maps; each equals timm's stage output (strides 4-32, odd size)."""
    name, ours, reference = pair
    images = torch.randn(1, 3, *ODD, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        maps = ours.forward_features(images)
        x = reference.maxpool(reference.act1(reference.bn1(reference.conv1(images))))
        for i, stage in enumerate([reference.layer1, reference.layer2, reference.layer3, reference.layer4]):
            x = stage(x)
            torch.testing.assert_close(maps[i], x, atol=1e-5, rtol=0)
    rows = complexity.res2net_stage_summary(ours, ODD)
    assert [tuple(m.shape[1:]) for m in maps] == [(r["channels"], r["height"], r["width"]) for r in rows]
    assert [(r["height"], r["width"]) for r in rows] == [(25, 29), (13, 15), (7, 8), (4, 4)]  # ceil(97/4)...


def test_timm_is_importable_and_register_fake_is_restored():
    original = torch.library.register_fake
    timm = _timm()
    assert torch.library.register_fake is original
    assert hasattr(timm, "create_model")
    assert import_peer("timm") is timm  # a second call returns the module already imported


def test_import_peer_raises_other_import_errors_unchanged():
    with pytest.raises(ModuleNotFoundError):
        import_peer("swin_edu_no_such_peer")


def test_the_shim_restores_register_fake_even_when_the_import_fails():
    import peers

    original = torch.library.register_fake
    with pytest.raises(ZeroDivisionError):
        with peers._fake_kernels_skipped():
            assert torch.library.register_fake is peers._register_nothing
            assert peers._register_nothing("torchvision::nms")(len) is len  # decorator form: kernel unchanged
            1 / 0
    assert torch.library.register_fake is original
    mismatch = RuntimeError("operator torchvision::nms does not exist")
    try:
        try:
            raise mismatch
        except RuntimeError as error:
            raise ImportError("while importing timm") from error
    except ImportError as wrapped:
        assert peers._is_operator_mismatch(wrapped)  # found through the chain of causes
    assert not peers._is_operator_mismatch(RuntimeError("operator foo::bar does not exist"))


# ---- MACs ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(224, 224), ODD, (MIN_IMAGE_SIDE, MIN_IMAGE_SIDE)], ids=["224", "97x113", "17"])
def test_analytic_macs_equal_the_flop_counter(pair, size):
    name, ours, reference = pair
    images = torch.zeros(1, 3, *size)
    analytic = complexity.res2net_macs(ours, size)
    assert analytic == complexity.res2net_macs(swin_edu.res2net.CONFIGS[name], size)  # a config costs the same
    assert complexity.counted_macs(ours, images) == analytic
    if size == (224, 224):
        assert complexity.counted_macs(reference, images) == analytic


def test_table_beside_the_paper(pair):
    """Parameters and MACs at 224 x 224: swin_edu, timm and the paper (see PAPER)."""
    name, ours, reference = pair
    params = sum(p.numel() for p in ours.parameters())
    timm_params = sum(p.numel() for p in reference.parameters())
    macs = complexity.res2net_macs(ours, 224)
    timm_macs = complexity.counted_macs(reference, torch.zeros(1, 3, 224, 224))
    paper_params, paper_macs = PAPER[name]
    print(f"\n{'model':<18}{'':>4}{'swin_edu':>14}{'timm':>14}{'paper':>10}")
    print(f"{name:<18}{'params':>4}{params:>14,}{timm_params:>14,}{paper_params / 1e6:>9.2f}M")
    print(f"{'':<18}{'MACs':>4}{macs / 1e9:>13.3f}G{timm_macs / 1e9:>13.3f}G{paper_macs / 1e9:>9.1f}G")
    assert params == timm_params == PARAMS[name]
    assert round(params / 1e6, 2) == round(paper_params / 1e6, 2)
    assert macs == timm_macs
    assert abs(macs - paper_macs) < 0.1e9  # the paper rounds to one decimal (4.26 G and 4.18 G here)


def test_stage_summary_sums_to_the_total():
    rows = complexity.res2net_stage_summary()
    parts = complexity.res2net_macs_by_part()
    assert [r["stride"] for r in rows] == [4, 8, 16, 32]
    assert [r["channels"] for r in rows] == [256, 512, 1024, 2048]
    assert [r["group_width"] for r in rows] == [26, 52, 104, 208]
    assert [(r["height"], r["width"]) for r in rows] == [(56, 56), (28, 28), (14, 14), (7, 7)]
    assert sum(r["macs"] for r in rows) + parts["stem"] + parts["head"] == complexity.res2net_macs()
    assert parts["head"] == 2048 * 1000
    assert complexity.res2net_macs({"num_classes": 0}) == complexity.res2net_macs() - 2048 * 1000


# ---- scale = 1: a plain ResNet bottleneck ---------------------------------------------------------------------


def test_scale_one_with_base_width_64_is_torchvision_resnet50():
    """The official code gives scale = 1 a single 3x3 convolution over the whole width and no group passed
    through; with base_width 64 that is ResNet-50 exactly (names aside): same parameters, same logits."""
    models = import_torchvision_models()
    reference = _calibrated_(models.resnet50())
    ours = Res2Net(base_width=64, scale=1)
    state = {}
    for key, value in reference.state_dict().items():
        key = key.replace(".conv2.", ".convs.0.").replace(".bn2.", ".bns.0.")
        state[key] = value
    ours.load_state_dict(state, strict=True)
    ours.eval()
    assert sum(p.numel() for p in ours.parameters()) == 25_557_032  # torchvision's ResNet-50
    images = torch.randn(1, 3, 64, 80, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        torch.testing.assert_close(ours(images), reference(images), atol=1e-5, rtol=0)


# ---- the block: which group sees which, receptive fields ---------------------------------------------------------


def _block(stype="normal", scale=4, stride=1, inplanes=32, planes=8, base_width=32):
    torch.manual_seed(0)
    return _calibrated_block_(Bottle2neck(inplanes, planes, stride, base_width, scale, stype))


@torch.no_grad()
def _calibrated_block_(block):
    for module in block.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.normal_(0, 0.1)
            module.running_var.uniform_(0.5, 1.5)
            module.bias.fill_(1.0)  # ReLUs open: every path carries gradient
    return block.eval()


def _dependencies(block, size=15):
    """deps[i][j]: whether output group i (of multi_scale) depends on input group j, and each output group's
    receptive field (side of the input square its centre pixel sees)."""
    s, w = block.scale, block.width
    x = torch.randn(1, w * s, size, size, requires_grad=True)
    groups = split_scales(x, s)
    outputs = block.multi_scale(groups)
    deps, fields = [], []
    c = size // 2
    for y in outputs:
        (grad,) = torch.autograd.grad(y[0, :, c, c].sum(), x, retain_graph=True, allow_unused=True)
        grad = torch.zeros_like(x) if grad is None else grad
        per_group = grad[0].abs().view(s, w, size, size).sum(dim=1)  # (s, size, size)
        deps.append([bool(per_group[j].sum() > 0) for j in range(s)])
        seen = per_group.sum(0) > 0
        rows = seen.any(1).nonzero()
        fields.append(int(rows.max() - rows.min() + 1))
    return deps, fields


def test_normal_block_chains_groups_in_the_official_order():
    """y_1 = K_1(x_1), y_i = K_i(x_i + y_{i-1}), the last group passed through: group i sees groups 1..i, and
    its receptive field is 3, 5, 7 (i stacked 3x3 kernels); the last group only itself, 1x1."""
    deps, fields = _dependencies(_block("normal", scale=4))
    assert deps == [
        [True, False, False, False],
        [True, True, False, False],
        [True, True, True, False],
        [False, False, False, True],
    ]
    assert fields == [3, 5, 7, 1]


def test_stage_block_has_no_hierarchy_and_pools_the_last_group():
    deps, fields = _dependencies(_block("stage", scale=4))
    assert deps == [[i == j for j in range(4)] for i in range(4)]
    assert fields == [3, 3, 3, 3]  # three 3x3 convolutions and a 3x3 average pool
    block = _block("stage", scale=4)
    x = torch.randn(1, 4 * block.width, 9, 9)
    last = block.multi_scale(split_scales(x, 4))[-1]
    torch.testing.assert_close(last, torch.nn.functional.avg_pool2d(split_scales(x, 4)[-1], 3, 1, 1))


def test_scale_one_block_has_one_convolution_over_all_channels():
    block = Bottle2neck(64, 64, base_width=64, scale=1)
    assert len(block.convs) == 1 and block.convs[0].in_channels == 64 and block.pool is None
    deps, fields = _dependencies(_calibrated_block_(block), size=9)
    assert deps == [[True]] and fields == [3]


# ---- properties -----------------------------------------------------------------------------------------------


@st.composite
def block_args(draw):
    planes = draw(st.integers(1, 12))
    base_width = draw(st.integers(math.ceil(64 / planes), math.ceil(64 / planes) + 40))
    scale = draw(st.integers(1, 6))
    stride = draw(st.sampled_from([1, 2]))
    stype = "stage" if stride > 1 else draw(st.sampled_from(["normal", "stage"]))
    inplanes = draw(st.integers(1, 24))
    return dict(inplanes=inplanes, planes=planes, stride=stride, base_width=base_width, scale=scale, stype=stype)


@given(args=block_args(), H=st.integers(1, 9), W=st.integers(1, 9))
def test_any_valid_block_has_the_right_shape_parameters_and_macs(args, H, W):
    block = Bottle2neck(**args).eval()
    planes, scale, inplanes, stride = args["planes"], args["scale"], args["inplanes"], args["stride"]
    w = planes * args["base_width"] // 64
    n = max(1, scale - 1)
    projects = stride > 1 or inplanes != 4 * planes
    assert block.width == w and len(block.convs) == n and (block.downsample is not None) == projects
    expected = (
        inplanes * w * scale + n * 9 * w * w + w * scale * 4 * planes + (inplanes * 4 * planes if projects else 0)
    ) + 2 * (w * scale + n * w + 4 * planes + (4 * planes if projects else 0))
    assert sum(p.numel() for p in block.parameters()) == expected
    cost_args = {k: v for k, v in args.items() if k != "stype"}
    assert complexity.bottle2neck_params(**cost_args) == expected
    x = torch.randn(2, inplanes, H, W)
    with torch.no_grad():
        y = block(x)
    assert y.shape == (2, 4 * planes, -(-H // stride), -(-W // stride))
    assert complexity.counted_macs(block, x[:1]) == complexity.bottle2neck_macs(H, W, **cost_args)


@given(channels=st.integers(1, 48), scale=st.integers(1, 12))
def test_split_scales_splits_exactly_when_scale_divides(channels, scale):
    x = torch.randn(1, channels, 2, 3)
    if channels % scale:
        with pytest.raises(ValueError, match=f"scale={scale}.*one of"):
            split_scales(x, scale)
    else:
        groups = split_scales(x, scale)
        assert len(groups) == scale and all(g.shape == (1, channels // scale, 2, 3) for g in groups)
        torch.testing.assert_close(torch.cat(groups, 1), x, rtol=0, atol=0)


# ---- bad input --------------------------------------------------------------------------------------------------


def _refused(call, *phrases, error=ValueError):
    with pytest.raises(error) as caught:
        call()
    for phrase in phrases:
        assert phrase in str(caught.value), f"{phrase!r} not in {caught.value!r}"


@pytest.mark.parametrize("scale", [0, -1, 1.5, True, None, "4"])
def test_bad_scale_is_refused(scale):
    _refused(lambda: Res2Net(scale=scale), "scale", "positive integer")
    _refused(lambda: Bottle2neck(64, 64, scale=scale), "scale")
    _refused(lambda: complexity.bottle2neck_macs(8, 8, 64, 64, scale=scale), "scale")
    _refused(lambda: complexity.res2net_macs({"scale": scale}), "scale")


@pytest.mark.parametrize("base_width", [0, -26, 2.5, None])
def test_bad_width_is_refused(base_width):
    _refused(lambda: Res2Net(base_width=base_width), "base_width", "positive integer")
    _refused(lambda: res2net50_26w_4s(base_width=base_width), "base_width")
    _refused(lambda: complexity.bottle2neck_params(64, 64, base_width=base_width), "base_width")


def test_groups_without_a_channel_are_refused():
    _refused(lambda: Bottle2neck(16, 8, base_width=7), "= 0 channels", "base_width must be at least 8")


@pytest.mark.parametrize("layers", [(3, 4, 6), (3, 4, 6, 3, 3), (3, 4, 0, 3), (3, 4, 6.0, 3), "3463", 50, None])
def test_bad_layers_are_refused(layers):
    _refused(lambda: Res2Net(layers=layers), "layers")
    _refused(lambda: complexity.res2net_macs({"layers": layers}), "layers")


def test_channels_that_do_not_split_are_refused():
    _refused(lambda: split_scales(torch.randn(1, 10, 4, 4), 4), "10 channels", "[1, 2, 5, 10]")
    _refused(lambda: split_scales(torch.randn(10, 4, 4), 2), "(B, C, H, W)")
    _refused(lambda: Bottle2neck(64, 64)(torch.randn(1, 32, 8, 8)), "(B, 64, H, W)", "(1, 32, 8, 8)")


def test_images_too_small_for_the_stem_are_refused():
    model = Res2Net(layers=(1, 1, 1, 1), base_width=4, scale=2, num_classes=3)
    model.eval()
    with torch.no_grad():
        assert model(torch.randn(1, 3, MIN_IMAGE_SIDE, 40)).shape == (1, 3)
        _refused(lambda: model(torch.randn(1, 3, MIN_IMAGE_SIDE - 1, 40)), "16x40", "at least 17")
        _refused(lambda: model(torch.randn(1, 1, 32, 32)), "(B, 3, H, W)")
        _refused(lambda: model(torch.randn(3, 32, 32)), "(B, 3, H, W)")
        _refused(lambda: model([[1.0]]), "torch.Tensor", error=TypeError)
    _refused(lambda: complexity.res2net_macs(None, 16), "too small", "17")


def test_inconsistent_blocks_are_refused():
    _refused(lambda: Bottle2neck(256, 128, stride=2, stype="normal"), "stype='stage'")
    _refused(lambda: Bottle2neck(64, 64, downsample=False), "projection shortcut")
    _refused(lambda: Bottle2neck(64, 64, stype="first"), "'normal'", "'stage'")
    _refused(lambda: Bottle2neck(64, 64, downsample="yes"), "downsample")
    _refused(lambda: complexity.bottle2neck_macs(8, 8, 64, 64, downsample=False), "projection shortcut")


def test_bad_configs_and_class_counts_are_refused():
    _refused(lambda: complexity.res2net_macs({"scales": 4}), "unknown", "scales")
    _refused(lambda: complexity.res2net_macs("res2net50_26w_4s"), "model_or_config")
    _refused(lambda: Res2Net(num_classes=-1), "num_classes")
    model = Res2Net(layers=(1, 1, 1, 1), base_width=4, scale=2, num_classes=0).eval()
    with torch.no_grad():
        assert model(torch.randn(2, 3, 32, 32)).shape == (2, 2048)  # no classifier: the pooled features
    assert "fc.weight" not in model.state_dict()
