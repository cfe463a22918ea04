"""The check functions of notebook 06 accept right answers and name the typical wrong ones."""

import math

import pytest
import torch

from swin_edu.exercises.training import check_attends, check_decays, check_lr_schedule
from tests.helpers import CRASH, MISSING, TYPE, VALUES, Named, verdict

# --------------------------------------------------------------------------------------------- lr schedule


def lr_schedule(step, total_steps, base_lr, warmup_steps):
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    t = (step - warmup_steps) / (total_steps - warmup_steps)
    return base_lr * (1 + math.cos(math.pi * t)) / 2


def lr_from_zero(step, total_steps, base_lr, warmup_steps):
    return base_lr * step / warmup_steps if step < warmup_steps else lr_schedule(step, total_steps, base_lr, warmup_steps)


def lr_cosine_over_all(step, total_steps, base_lr, warmup_steps):
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    return base_lr * (1 + math.cos(math.pi * step / total_steps)) / 2


def lr_no_warmup(step, total_steps, base_lr, warmup_steps):
    return base_lr * (1 + math.cos(math.pi * step / total_steps)) / 2


def lr_linear(step, total_steps, base_lr, warmup_steps):
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    return base_lr * (1 - (step - warmup_steps) / (total_steps - warmup_steps))


def lr_bare_cosine(step, total_steps, base_lr, warmup_steps):
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    return base_lr * math.cos(math.pi * (step - warmup_steps) / (total_steps - warmup_steps))


def test_lr_schedule_accepts_the_answer_as_a_float_or_a_tensor(capsys):
    verdict(capsys, check_lr_schedule(lr_schedule), True, "linear warm-up")
    verdict(capsys, check_lr_schedule(lambda *a: torch.tensor(lr_schedule(*a), dtype=torch.float64)), True)


@pytest.mark.parametrize(
    "wrong, phrases",
    [
        (lr_from_zero, (VALUES, Named("warm-up starts at 0"), "(s + 1) / warmup_steps", "(0, 100, 0.002, 10)")),
        (lr_cosine_over_all, (VALUES, Named("cosine over all steps"), "(step - warmup_steps)")),
        (lr_no_warmup, (VALUES, Named("no warm-up"), "rise linearly")),
        (lr_linear, (VALUES, Named("linear decay"), "not a straight line")),
        (lr_bare_cosine, (VALUES, Named("cosine to -base_lr"), "1 + cos")),
        (lambda *a: None, (MISSING, "returns nothing yet")),
        (lambda *a: "0.001", (TYPE, "should return a number")),
        (lambda *a: 1 / 0, (CRASH, "ZeroDivisionError")),
        (lambda *a: float("nan"), (VALUES, "nan")),
    ],
)
def test_lr_schedule_names_the_mistake(capsys, wrong, phrases):
    verdict(capsys, check_lr_schedule(wrong), False, *phrases)


# ---------------------------------------------------------------------------------------------- attends


def attends(a, b, grid, window_size, shift_size):
    def piece(t):  # the naive shifted partition along one axis: the first piece is s long (M when s = 0)
        return (t + (window_size - shift_size) % window_size) // window_size

    return piece(a[0]) == piece(b[0]) and piece(a[1]) == piece(b[1])


def attends_rolled(a, b, grid, window_size, shift_size):
    """The cyclic shift without its mask: same window of the rolled map."""
    def window(t):
        return ((t - shift_size) % grid) // window_size

    return window(a[0]) == window(b[0]) and window(a[1]) == window(b[1])


def attends_regular(a, b, grid, window_size, shift_size):
    return a[0] // window_size == b[0] // window_size and a[1] // window_size == b[1] // window_size


def test_attends_accepts_the_answer_as_a_bool_or_a_tensor(capsys):
    verdict(capsys, check_attends(attends), True, "in W-MSA and in SW-MSA")
    verdict(capsys, check_attends(lambda *a: torch.tensor(attends(*a))), True)


@pytest.mark.parametrize(
    "wrong, phrases",
    [
        (attends_rolled, (VALUES, Named("wrap-around"), "the mask keeps them apart", "((0, 0), (7, 7), 8, 4, 2)")),
        (attends_regular, (VALUES, Named("shift joins"), "straddles the regular border")),
        (lambda *a: True, (VALUES, Named("regular border"), "border at 4")),
        (lambda *a: 1, (TYPE, "should return True or False")),
        (lambda *a: None, (MISSING,)),
    ],
)
def test_attends_names_the_mistake(capsys, wrong, phrases):
    verdict(capsys, check_attends(wrong), False, *phrases)


# ----------------------------------------------------------------------------------------------- decays

NO_DECAY = ("relative_position_bias_table", "absolute_pos_embed")


def decays(name, param):
    return param.dim() > 1 and not name.endswith(".bias") and name.rsplit(".", 1)[-1] not in NO_DECAY


def test_decays_accepts_the_answer(capsys):
    verdict(capsys, check_decays(decays), True, "follows the official recipe")
    verdict(capsys, check_decays(lambda n, p: torch.tensor(decays(n, p))), True)


@pytest.mark.parametrize(
    "wrong, phrases",
    [
        (lambda n, p: False, (VALUES, Named("matrix"), "qkv.weight")),
        (lambda n, p: True, (VALUES, Named("bias"), "'.bias' is exempt")),
        (lambda n, p: not n.endswith(".bias") and n.rsplit(".", 1)[-1] not in NO_DECAY, (VALUES, Named("norm"), "LayerNorm")),
        (lambda n, p: p.dim() > 1, (VALUES, Named("position table"), "relative_position_bias_table")),
        (lambda n, p: p.dim() > 1 and "relative" not in n, (VALUES, Named("position table"), "absolute_pos_embed")),
        (lambda n, p: p.dim() == 2 and n.rsplit(".", 1)[-1] not in NO_DECAY, (VALUES, Named("kernel"), "4-d")),
    ],
)
def test_decays_names_the_mistake(capsys, wrong, phrases):
    verdict(capsys, check_decays(wrong), False, *phrases)


def test_the_decay_cases_agree_with_param_groups_on_a_real_model():
    """The check's answers come from param_groups; the rule it teaches gives the same split on a whole Swin."""
    from swin_edu.swin import SwinTransformer
    from swin_edu.train import param_groups

    model = SwinTransformer(img_size=32, patch_size=4, embed_dim=16, depths=(2, 2), num_heads=(2, 4), window_size=4,
                            num_classes=3, abs_pos_embed=True)
    decayed = {id(p) for p in param_groups(model, 0.05)[0]["params"]}
    assert {n for n, p in model.named_parameters() if id(p) in decayed} == {
        n for n, p in model.named_parameters() if decays(n, p)}
