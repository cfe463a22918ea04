"""The training loop of issue 10 (swin_edu.train): the schedule, the weight-decay groups, learning, seeds,
silence, bad arguments, and training-mode equality with transformers' Swin (backward proven, not assumed)."""

import copy
import math

import pytest
import torch
import torch.nn.functional as F
from helpers import randomize_
from hf_reference import hf_swin_like
from torch.utils.data import TensorDataset

from swin_edu.swin import SwinTransformer
from swin_edu.train import History, evaluate, fit, lr_at, param_groups, train_step

TINY = dict(
    img_size=16, patch_size=2, embed_dim=16, depths=(2, 2), num_heads=(2, 4), window_size=4, num_classes=4,
    drop_path_rate=0.0,
)


def tiny(seed=0, **switches) -> SwinTransformer:
    torch.manual_seed(seed)
    return SwinTransformer(**TINY, **switches)


def colours(n: int, seed: int):
    """A trivially separable task: class k is a colour shift of the whole image (red, green, blue, dark)."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 4
    means = torch.tensor([[1.0, 0, 0], [0, 1, 0], [0, 0, 1], [-1, -1, -1]])
    x = 0.5 * torch.randn(n, 3, 16, 16, generator=g) + means[y][:, :, None, None]  # (n, 3, 16, 16)
    return x, y


# ------------------------------------------------------------------------------------------- schedule


def test_lr_schedule_warms_up_linearly_then_decays_by_cosine():
    total, warm, base = 100, 10, 1e-3
    lrs = [lr_at(s, total, base_lr=base, warmup_steps=warm) for s in range(total)]
    assert lrs[0] == pytest.approx(base / 10) and lrs[4] == pytest.approx(base / 2)
    assert lrs[9] == pytest.approx(base) and lrs[10] == pytest.approx(base)  # peak at the end of warm-up
    assert lrs[55] == pytest.approx(base / 2)  # halfway through the cosine: (1 + cos(pi/2)) / 2
    assert lrs[70] == pytest.approx(base * (1 + math.cos(math.pi * 60 / 90)) / 2)
    assert lrs[-1] == pytest.approx(base * (1 + math.cos(math.pi * 89 / 90)) / 2) and lrs[-1] < 1e-3 * base
    diffs = [b - a for a, b in zip(lrs, lrs[1:])]
    assert all(d == pytest.approx(base / 10) for d in diffs[:9])  # linear rise
    assert all(d <= 0 for d in diffs[9:])  # then never rises
    # a floor, and no warm-up
    assert lr_at(0, 10, base_lr=1.0, min_lr=0.1) == 1.0
    assert lr_at(5, 10, base_lr=1.0, min_lr=0.1) == pytest.approx(0.55)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(step=10, total_steps=10), r"step must be an integer in \[0, total_steps=10\)"),
        (dict(step=0, total_steps=0), "total_steps must be a positive integer"),
        (dict(step=0, total_steps=10, warmup_steps=11), r"warmup_steps must be an integer in \[0, total_steps=10\]"),
        (dict(step=0, total_steps=10, base_lr=-1), "base_lr must be a finite number"),
        (dict(step=0, total_steps=10, min_lr=2.0), r"min_lr must be a finite number in \[0.0, 0.001\]"),
    ],
)
def test_lr_schedule_refuses_bad_arguments(kwargs, message):
    kwargs = {"base_lr": 1e-3, **kwargs}
    with pytest.raises(ValueError, match=message):
        lr_at(kwargs.pop("step"), kwargs.pop("total_steps"), **kwargs)


def test_fit_follows_the_schedule_step_by_step():
    x, y = colours(32, 1)
    history = fit(tiny(), (x, y), None, epochs=3, batch_size=8, lr=1e-3, warmup_epochs=1, progress=False)
    assert len(history.lr) == len(history.loss) == 12  # 3 epochs x 4 steps
    assert history.lr == pytest.approx([lr_at(s, 12, base_lr=1e-3, warmup_steps=4) for s in range(12)])
    assert history.val_loss == [] and len(history.train_loss) == 3


# --------------------------------------------------------------------------------------- weight decay


def test_no_weight_decay_on_norms_biases_and_position_tables():
    model = tiny(abs_pos_embed=True)
    decay, no_decay = param_groups(model, 0.05)
    assert decay["weight_decay"] == 0.05 and no_decay["weight_decay"] == 0.0
    names = {id(p): n for n, p in model.named_parameters()}
    decayed = {names[id(p)] for p in decay["params"]}
    exempt = {names[id(p)] for p in no_decay["params"]}
    assert decayed | exempt == set(names.values()) and not decayed & exempt
    assert all(n.endswith(".weight") and "norm" not in n for n in decayed)
    assert {"patch_embed.proj.weight", "layers.0.blocks.0.attn.qkv.weight", "head.weight"} <= decayed
    for n in (
        "absolute_pos_embed", "layers.1.blocks.1.attn.relative_position_bias_table", "norm.weight", "head.bias",
        "layers.0.blocks.0.norm1.weight", "layers.0.downsample.norm.bias", "patch_embed.norm.weight",
    ):
        assert n in exempt, n
    # and AdamW really leaves them alone: with zero gradients, only decayed weights shrink
    optimizer = torch.optim.AdamW(param_groups(model, 0.5), lr=0.1)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    optimizer.step()
    for n, p in model.named_parameters():
        factor = 1 - 0.1 * 0.5 if n in decayed else 1.0
        torch.testing.assert_close(p.detach(), before[n] * factor, rtol=1e-6, atol=0, msg=n)


# ------------------------------------------------------------------------------------------- learning


def test_a_tiny_swin_learns_a_separable_task():
    history = fit(
        tiny(), colours(64, 1), colours(32, 2), epochs=6, batch_size=16, lr=5e-3, warmup_epochs=1, seed=0,
        progress=False,
    )
    assert isinstance(history, History)
    assert history.loss[0] == pytest.approx(math.log(4), abs=0.1)  # chance at the start
    assert history.train_loss[-1] < history.train_loss[0] / 4  # measured: 1.10 -> 0.20
    assert history.val_loss[-1] < math.log(4) / 4
    assert history.val_accuracy[-1] >= 0.9 and history.train_accuracy[-1] >= 0.9
    d = history.to_dict()
    assert set(d) == {"lr", "loss", "train_loss", "train_accuracy", "val_loss", "val_accuracy"}
    assert len(d["val_accuracy"]) == 6 and len(d["loss"]) == 24


def test_same_seed_gives_the_same_history_and_weights():
    def run(seed):
        model = tiny()
        ds = TensorDataset(*colours(24, 3))  # a Dataset this time
        h = fit(model, ds, colours(8, 4), epochs=2, batch_size=8, lr=2e-3, seed=seed, progress=False,
                label_smoothing=0.1)
        return h, model

    (h1, m1), (h2, m2), (h3, _) = run(7), run(7), run(8)
    assert h1.to_dict() == h2.to_dict()
    assert all(torch.equal(a, b) for a, b in zip(m1.state_dict().values(), m2.state_dict().values()))
    assert h3.loss != h1.loss  # another seed shuffles differently


def test_evaluate_gives_mean_loss_and_accuracy():
    model = tiny().train()
    x, y = colours(10, 5)
    loss, accuracy = evaluate(model, (x, y), batch_size=3)
    with torch.no_grad():
        model.eval()
        logits = model(x)
    assert loss == pytest.approx(F.cross_entropy(logits, y).item(), rel=1e-5)
    assert accuracy == pytest.approx((logits.argmax(-1) == y).float().mean().item())


def test_progress_false_prints_nothing_and_true_draws_a_bar(capsys):
    fit(tiny(), colours(8, 1), colours(4, 2), epochs=1, batch_size=4, progress=False)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
    fit(tiny(), colours(8, 1), colours(4, 2), epochs=1, batch_size=4, progress=True)
    assert "training" in capsys.readouterr().err  # tqdm writes to stderr in a terminal


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(epochs=0), "epochs must be a positive integer"),
        (dict(batch_size=2.5), "batch_size must be a positive integer"),
        (dict(lr=0), "lr must be a finite number"),
        (dict(weight_decay=-0.1), "weight_decay must be a finite number"),
        (dict(warmup_epochs=5, epochs=2), r"warmup_epochs must be a finite number in \[0.0, 2\]"),
        (dict(warmup_steps=-1), "warmup_steps must be None or an integer"),
        (dict(label_smoothing=1.0), r"label_smoothing must be a finite number in \[0.0, 1.0\)"),
        (dict(clip_grad=0), r"clip_grad \(None: no clipping\) must be a finite number"),
        (dict(seed=-1), r"seed must be an integer in \[0, 2\*\*32\)"),
        (dict(device="gpu"), "device must be None"),
        (dict(progress="yes"), "progress must be True or False"),
    ],
)
def test_fit_refuses_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        fit(tiny(), colours(8, 1), None, **kwargs)


@pytest.mark.parametrize(
    "data, message",
    [
        ([1, 2, 3], "train_data must be a torch.utils.data.Dataset of \\(image, label\\) pairs or a pair of tensors"),
        ((torch.zeros(4, 3, 16, 16), torch.zeros(4)), "train_data: labels y must be an integer tensor"),
        ((torch.zeros(4, 3, 16, 16), torch.zeros(3, dtype=torch.long)), "need the same number of examples"),
        (
            (torch.zeros(4, 16, 16), torch.zeros(4, dtype=torch.long)),
            r"images x must be a floating point tensor \(n, channels, H, W\)",
        ),
    ],
)
def test_fit_refuses_bad_data(data, message):
    with pytest.raises(ValueError, match=message):
        fit(tiny(), data, None, progress=False)
    with pytest.raises(ValueError, match="model must be a torch.nn.Module"):
        fit("swin", colours(4, 1), None)
    with pytest.raises(ValueError, match="model has no trainable parameters"):
        fit(tiny().requires_grad_(False), colours(4, 1), None)


# ------------------------------------------------------------------------- training mode vs transformers


def test_optimizer_steps_equal_transformers_swin():
    """Two AdamW steps (weight decay, clipping) of swin_edu and of transformers' SwinForImageClassification
    from the same weights, in training mode (dropout and drop path 0): the same gradients and parameters."""
    size = 32  # maps 16x16 then 8x8 with window 4: shifted, masked windows in both stages
    torch.manual_seed(0)
    model = randomize_(
        SwinTransformer(img_size=size, patch_size=2, embed_dim=16, depths=(2, 2), num_heads=(2, 4), window_size=4,
                        num_classes=5, drop_path_rate=0.0)
    ).train()
    reference = hf_swin_like(model, (size, size)).train()
    names = {n for n, _ in reference.named_parameters()}

    def in_hf_names(tensors):
        """``tensors`` (one per parameter of model, in its layout) renamed and split as transformers has them."""
        holder = copy.deepcopy(model)
        with torch.no_grad():
            for p, t in zip(holder.parameters(), tensors):
                p.copy_(t)
        return {k: v for k, v in hf_swin_like(holder, (size, size)).state_dict().items() if k in names}

    # the paper's peak lr. (AdamW divides by the gradients' running size, so a rounding difference in a near-zero
    # gradient moves a weight by up to ~lr: at lr 1e-2 one weight in 10^4 differed by 1.6e-5; at 1e-3, < 2e-6.)
    ours_opt = torch.optim.AdamW(param_groups(model, 0.05), lr=1e-3)
    groups = param_groups(reference, 0.05)
    theirs_opt = torch.optim.AdamW(groups, lr=1e-3)
    # qkv's weight and bias are three tensors each there: 4 blocks x 2 more tensors in each group
    assert [len(g["params"]) for g in groups] == [len(g["params"]) + 8 for g in param_groups(model, 0.05)]
    start = {n: p.detach().clone() for n, p in reference.named_parameters()}
    g = torch.Generator().manual_seed(1)
    for step in range(2):
        x = torch.randn(4, 3, size, size, generator=g)
        y = torch.randint(0, 5, (4,), generator=g)
        train_step(model, ours_opt, x, y, label_smoothing=0.1, clip_grad=1.0)
        logits = reference(x).logits
        loss = F.cross_entropy(logits, y, label_smoothing=0.1)
        theirs_opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(reference.parameters(), 1.0)
        if step == 0:  # the gradients themselves (AdamW's first step only sees their signs)
            ours_grads = in_hf_names([p.grad for p in model.parameters()])
            their_grads = {n: p.grad for n, p in reference.named_parameters()}
            assert ours_grads.keys() == their_grads.keys()
            for n in ours_grads:
                torch.testing.assert_close(ours_grads[n], their_grads[n], rtol=1e-4, atol=1e-6, msg=n)
        theirs_opt.step()
    ours = in_hf_names([p.detach() for p in model.parameters()])
    theirs = {n: p.detach() for n, p in reference.named_parameters()}
    assert ours.keys() == theirs.keys()
    for n in theirs:
        torch.testing.assert_close(ours[n], theirs[n], rtol=0, atol=1e-5, msg=n)
        assert not torch.equal(theirs[n], start[n]), f"{n} did not move"  # every parameter was trained
