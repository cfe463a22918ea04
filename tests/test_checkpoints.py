import os
import pickle
import zipfile

import pytest
import torch

import swin_edu
from swin_edu.checkpoints import CheckpointError, CheckpointNotFound, load_official, to_official
from swin_edu.swin import SwinTransformer


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    return swin_edu.swin_t().eval()


def test_keys_are_the_official_layout(tiny):
    keys = set(tiny.state_dict())
    for key in [
        "patch_embed.proj.weight",
        "patch_embed.norm.bias",
        "layers.0.blocks.0.attn.qkv.weight",
        "layers.0.blocks.0.attn.relative_position_bias_table",
        "layers.0.blocks.0.attn.relative_position_index",
        "layers.0.blocks.1.attn_mask",
        "layers.2.blocks.5.mlp.fc2.bias",
        "layers.2.downsample.reduction.weight",
        "layers.2.downsample.norm.weight",
        "norm.weight",
        "head.bias",
    ]:
        assert key in keys
    assert "layers.0.blocks.0.attn_mask" not in keys  # W-MSA blocks have no mask
    assert "layers.3.blocks.1.attn_mask" not in keys  # nor has stage 4 at 224: its 7x7 map is one window
    assert "layers.3.downsample.reduction.weight" not in keys
    assert tiny.state_dict()["layers.0.blocks.0.attn.relative_position_bias_table"].shape == (169, 3)


def test_round_trip_through_a_file(tiny, tmp_path):
    path = tmp_path / "swin_tiny_patch4_window7_224.pth"
    checkpoint = to_official(tiny, path)
    assert set(checkpoint) == {"model"}
    fresh = swin_edu.swin_t().eval()
    load_official(fresh, path)
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        assert torch.equal(fresh(x), tiny(x))


def test_plain_state_dict_is_accepted(tiny):
    fresh = load_official(swin_edu.swin_t().eval(), to_official(tiny)["model"])
    assert torch.equal(fresh.head.weight, tiny.head.weight)


def test_foreign_missing_and_misshaped_keys_are_listed_together(tiny):
    state = to_official(tiny)["model"]
    state["backbone.norm0.weight"] = torch.ones(96)
    del state["layers.1.blocks.0.mlp.fc1.bias"]
    state["head.weight"] = torch.zeros(21841, 768)
    fresh = swin_edu.swin_t()
    before = fresh.head.weight.clone()
    with pytest.raises(CheckpointError) as error:
        load_official(fresh, {"model": state})
    message = str(error.value)
    assert "foreign keys, not in this model (1):\n    backbone.norm0.weight" in message
    assert "missing keys, which this model needs (1):\n    layers.1.blocks.0.mlp.fc1.bias" in message
    assert "head.weight: checkpoint (21841, 768), model (1000, 768)" in message
    assert "Allowed: exactly the keys of model.state_dict()" in message
    assert torch.equal(fresh.head.weight, before)  # nothing was loaded


def test_masks_from_another_geometry_are_refused(tiny):
    state = to_official(tiny)["model"]
    state["layers.0.blocks.1.attn_mask"] = torch.zeros_like(state["layers.0.blocks.1.attn_mask"])
    with pytest.raises(
        CheckpointError, match=r"another window size or resolution \(1\):\n    layers.0.blocks.1.attn_mask"
    ):
        load_official(swin_edu.swin_t(), state)


def test_a_checkpoint_for_another_resolution_names_the_masks(tiny):
    with pytest.raises(
        CheckpointError, match=r"layers.0.blocks.1.attn_mask: checkpoint \(64, 49, 49\), model \(64, 144, 144\)"
    ):
        load_official(swin_edu.swin_t(img_size=384), to_official(tiny))


def test_long_listings_are_cut():
    state = {f"foreign.{i}": torch.zeros(1) for i in range(30)}
    with pytest.raises(CheckpointError, match=r"(?s)foreign keys, not in this model \(30\).*and 18 more"):
        load_official(small(), state)


def test_bad_sources_are_explained(tmp_path):
    model = small()
    with pytest.raises(FileNotFoundError, match="no checkpoint file at"):
        load_official(model, tmp_path / "missing.pth")
    with pytest.raises(CheckpointError, match="expected a path, a state dict"):
        load_official(model, 42)
    with pytest.raises(CheckpointError, match=r"not tensors.*\n.*epoch: int"):
        load_official(model, {"epoch": 300})


def test_a_wrapping_prefix_is_recognised(tiny):
    state = {f"backbone.{k}": v for k, v in to_official(tiny)["model"].items()}
    with pytest.raises(CheckpointError, match=r"every key carries the prefix 'backbone\.'"):
        load_official(swin_edu.swin_t(), state)


def test_geometry_buffers_may_be_left_out(tiny):
    state = {
        k: v for k, v in to_official(tiny)["model"].items() if not k.endswith(("attn_mask", "relative_position_index"))
    }
    fresh = load_official(swin_edu.swin_t().eval(), state)
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        assert torch.equal(fresh(x), tiny(x))


class TrainingConfig:  # stands for the config object of a training checkpoint
    pass


def test_files_with_objects_are_refused_with_advice(tiny, tmp_path):
    path = tmp_path / "ckpt_epoch_299.pth"
    torch.save({"model": to_official(tiny)["model"], "config": TrainingConfig()}, path)
    with pytest.raises(CheckpointError, match=r"holds more than tensors.*weights_only=False\)\['model'\]"):
        load_official(swin_edu.swin_t(), path)


# ---- all or nothing: a load that fails leaves every tensor of the model as it was ----


def small(seed=0):
    torch.manual_seed(seed)
    return SwinTransformer(img_size=32, embed_dim=16, depths=(2, 2), num_heads=(2, 4), window_size=4, num_classes=5)


def snapshot(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def assert_bit_identical(model, before):
    after = model.state_dict()
    assert after.keys() == before.keys()
    for k, v in after.items():
        assert v.dtype == before[k].dtype and torch.equal(v, before[k]), f"{k} changed"


class Unreadable(torch.Tensor):
    """A tensor whose values cannot be read: it passes every check of keys, shapes and kinds, and
    fails only when it is copied (as a tensor on a lost device or a damaged storage would)."""

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if func is torch.Tensor.copy_:
            raise RuntimeError("the storage of this tensor cannot be read")
        return super().__torch_function__(func, types, args, kwargs or {})


BAD_KINDS = {
    "sparse": (lambda v: v.to_sparse(), r"sparse_coo layout \(sparse\)"),
    "sparse_csr": (lambda v: v.to_sparse_csr(), r"sparse_csr layout \(sparse\)"),
    "quantized": (lambda v: torch.quantize_per_tensor(v, 0.1, 0, torch.qint8), r"quantized \(torch.qint8\)"),
    "meta": (lambda v: torch.empty_like(v, device="meta"), "on the meta device"),
    "integer": (lambda v: v.long(), r"torch.int64 where the model holds torch.float32: floating point expected"),
    "int8": (lambda v: v.to(torch.int8), r"torch.int8 where the model holds torch.float32"),
    "complex": (lambda v: v.to(torch.complex64), r"torch.complex64 where the model holds torch.float32"),
    "bool": (lambda v: v.bool(), r"torch.bool where the model holds torch.float32"),
    "nested": (lambda v: torch.nested.nested_tensor([v]), "a nested tensor"),
    "unreadable": (lambda v: v.clone().as_subclass(Unreadable), r"could not be copied.*\n.*RuntimeError: the storage"),
}


@pytest.mark.filterwarnings("ignore::UserWarning")  # torch warns that nested and sparse CSR tensors are prototypes
@pytest.mark.parametrize("kind", BAD_KINDS)
@pytest.mark.parametrize("where", ["last qkv", "every qkv"])
def test_a_failed_load_changes_nothing(kind, where):
    model = small(seed=0)
    before = snapshot(model)
    state = to_official(small(seed=1))["model"]  # other values everywhere: a partial load would show
    keys = [k for k in state if k.endswith("attn.qkv.weight")]
    assert len(keys) == 4
    make, message = BAD_KINDS[kind]
    for k in keys[-1:] if where == "last qkv" else keys:
        state[k] = make(state[k])
    with pytest.raises(CheckpointError, match=message) as error:
        load_official(model, state)
    assert "nothing was loaded" in str(error.value)
    assert keys[-1] in str(error.value)  # the message names the key
    assert_bit_identical(model, before)


def test_a_good_load_after_a_failed_one_loads_everything():
    model, source = small(seed=0), small(seed=1)
    state = to_official(source)["model"]
    bad = dict(state, **{"head.weight": state["head.weight"].long()})
    with pytest.raises(CheckpointError):
        load_official(model, bad)
    load_official(model, state)
    assert_bit_identical(model, source.state_dict())


def test_other_precisions_and_integer_widths_are_converted():
    model, source = small(seed=0), small(seed=1)
    state = {k: (v.half() if v.is_floating_point() else v.int()) for k, v in to_official(source)["model"].items()}
    load_official(model, state)
    assert model.head.weight.dtype == torch.float32
    assert torch.equal(model.head.weight, state["head.weight"].float())
    assert model.layers[0].blocks[0].attn.relative_position_index.dtype == torch.int64


def test_a_model_on_the_meta_device_is_refused_clearly():
    meta = swin_edu.meta_model("swin_t")
    state = {k: torch.zeros(v.shape, dtype=v.dtype) for k, v in meta.state_dict().items()}
    with pytest.raises(CheckpointError, match=r"on the meta device.*model.to_empty\(device='cpu'\)"):
        load_official(meta, state)
    with pytest.raises(CheckpointError, match=r"on the meta device: it has shapes but no weights"):
        to_official(meta)


def test_a_model_of_inference_tensors_is_refused_before_anything_changes():
    with torch.inference_mode():
        model = small(seed=0)
    before = snapshot(model)
    with pytest.raises(CheckpointError, match=r"built under torch.inference_mode\(\)"):
        load_official(model, to_official(small(seed=1)))
    assert_bit_identical(model, before)


def test_what_is_not_a_model_is_refused():
    with pytest.raises(TypeError, match=r"model must be a torch.nn.Module.*got dict"):
        load_official({}, {})
    with pytest.raises(CheckpointError, match=r"names \(strings\).*\n.*\n    0"):
        load_official(small(), {0: torch.zeros(1)})


# ---- files that are not checkpoints: each named for what it is ----


def write_bytes(data):
    return lambda path: path.write_bytes(data)


def truncated(path):
    to_official(small(), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def truncated_legacy(path):
    torch.save(to_official(small()), path, _use_new_zipfile_serialization=False)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def damaged_inside(path):  # the zip's directory is intact, the pickle inside is overwritten
    to_official(small(), path)
    with zipfile.ZipFile(path) as archive:
        info = next(i for i in archive.infolist() if i.filename.endswith("data.pkl"))
    data = bytearray(path.read_bytes())
    offset = info.header_offset  # the local header: 30 bytes, then the name and the extra field (lengths at 26, 28)
    start = offset + 30 + int.from_bytes(data[offset + 26 : offset + 28], "little")
    start += int.from_bytes(data[offset + 28 : offset + 30], "little")
    assert data[start : start + 2] == b"\x80\x02"  # the pickle's first opcode
    data[start + 2 : start + 10] = b"\x00" * 8
    path.write_bytes(bytes(data))


def foreign_zip(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("README.md", "weights are elsewhere")
        archive.writestr("config.json", "{}")


def plain_pickle(path):
    path.write_bytes(pickle.dumps({"model": {"head.weight": [[0.0]]}}))


CORRUPT_FILES = {
    "text": (write_bytes(b"hello, this is not a model\n"), r"is a text file of 27 bytes \(it starts with 'hello"),
    "empty": (write_bytes(b""), r"is an empty file \(0 bytes\)"),
    "truncated zip": (truncated, r"is a damaged or truncated zip archive of [\d,]+ bytes"),
    "damaged inside": (
        damaged_inside,
        r"its contents cannot be read \(Unsupported operand 0\); it is probably damaged",
    ),
    "truncated legacy": (truncated_legacy, r"looks like a torch.save checkpoint .* probably truncated or damaged"),
    "foreign zip": (
        foreign_zip,
        r"is a zip archive of 2 files \(README.md, config.json\) that torch.save did not write",
    ),
    "random bytes": (write_bytes(bytes(range(7, 107))), r"is a binary file of 100 bytes .*starts with bytes 07 08 09"),
    "git lfs pointer": (
        write_bytes(b"version https://git-lfs.github.com/spec/v1\noid sha256:ab\n"),
        r"Git LFS pointer",
    ),
    "html page": (write_bytes(b"<!DOCTYPE html><html><body>Sign in</body></html>"), r"an HTML page"),
    "plain pickle": (plain_pickle, r"a plain Python pickle, not a torch.save checkpoint"),
}


@pytest.mark.parametrize("kind", CORRUPT_FILES)
def test_files_that_are_not_checkpoints_are_named(kind, tmp_path):
    make, message = CORRUPT_FILES[kind]
    path = tmp_path / "swin_tiny_patch4_window7_224.pth"
    make(path)
    model = small()
    before = snapshot(model)
    with pytest.raises(CheckpointError, match=message) as error:
        load_official(model, path)
    assert "expected a checkpoint file written by torch.save" in str(error.value)
    assert_bit_identical(model, before)


def test_a_directory_and_a_missing_path_are_named(tmp_path):
    (tmp_path / "swin_tiny_patch4_window7_224.pth").write_bytes(b"")
    with pytest.raises(CheckpointError, match=r"is a directory, not a file \(checkpoint-like files in it: swin_tiny"):
        load_official(small(), tmp_path)
    with pytest.raises(CheckpointNotFound, match=r"no checkpoint file at .*missing.pth.*expected a checkpoint file"):
        load_official(small(), tmp_path / "missing.pth")
    with pytest.raises(FileNotFoundError):  # still a FileNotFoundError, as before
        load_official(small(), tmp_path / "missing.pth")


def test_the_legacy_format_still_loads(tmp_path):
    source = small(seed=1)
    path = tmp_path / "old.pth"
    torch.save(to_official(source), path, _use_new_zipfile_serialization=False)
    assert_bit_identical(load_official(small(seed=0), path), source.state_dict())


# ---- malicious pickles are refused, and nothing in them runs ----


class Payload:
    """Unpickling this runs ``exec`` on a line that writes a file: the shape of a malicious checkpoint."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return exec, (f"open({self.marker!r}, 'w').write('ran')",)


@pytest.mark.parametrize("fmt", ["zip", "legacy", "plain pickle"])
def test_malicious_pickles_are_refused_and_nothing_runs(fmt, tmp_path):
    marker = tmp_path / "payload_ran"
    path = tmp_path / "evil.pth"
    checkpoint = {"model": to_official(small())["model"], "extra": Payload(marker)}
    if fmt == "plain pickle":
        path.write_bytes(pickle.dumps(checkpoint))
    else:
        torch.save(checkpoint, path, _use_new_zipfile_serialization=fmt == "zip")
    message = (
        "a plain Python pickle"
        if fmt == "plain pickle"
        else r"holds more than tensors .*here: Unsupported global: GLOBAL (builtins\.)?exec"
    )
    with pytest.raises(CheckpointError, match=message):
        load_official(small(), path)
    assert not marker.exists()
    if fmt == "plain pickle":  # the payload is live: unpickling the file unsafely does run it
        pickle.loads(path.read_bytes())
        assert marker.read_text() == "ran"
        os.remove(marker)
