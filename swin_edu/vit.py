"""The Vision Transformer's pieces (Dosovitskiy et al. 2021), reused by Swin.

* :func:`patchify` / :func:`unpatchify`: images to flattened patch vectors and back, by pure reshaping.
* :class:`PatchEmbed`: cut the image into ``p x p`` patches and project each linearly to ``C``
  channels; Swin's "Linear Embedding". A ``Conv2d`` with kernel = stride = ``p`` is exactly a
  ``Linear`` applied to every flattened patch.
* :class:`Mlp`: ``Linear -> GELU -> Linear``, hidden width ``mlp_ratio * C``.
* :func:`drop_path`: stochastic depth, which drops a whole residual branch per sample while training.
* :class:`TransformerBlock`: the pre-norm encoder block ``x + MSA(LN(x))``, then ``x + MLP(LN(x))``.
* :class:`VisionTransformer`: a small ViT with a class token and a learned position embedding.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from ._checks import check_count, check_heads, check_hidden_width, check_positive_int, check_probability, check_ratio
from .attention import MultiHeadSelfAttention

__all__ = [
    "patchify",
    "unpatchify",
    "PatchEmbed",
    "Mlp",
    "drop_path",
    "DropPath",
    "TransformerBlock",
    "VisionTransformer",
]


def _check_images(images, name: str = "images") -> None:
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape (B, c, H, W), got {type(images).__name__}")
    if images.dim() != 4:
        raise ValueError(f"{name} must have shape (B, c, H, W) (4 dimensions), got {tuple(images.shape)}")


def patchify(images: torch.Tensor, patch_size: int) -> torch.Tensor:
    """Cut images into ``p x p`` patches and flatten each one (ViT, Sec. 3.1): the input of the "Linear
    Embedding".

    Args:
        images: ``(B, c, H, W)`` with ``H`` and ``W`` multiples of ``p``.
        patch_size: the patch side ``p``.

    Returns:
        ``(B, N, p * p * c)`` with ``N = (H / p) * (W / p)``: patches row by row over the image, and inside
        a patch the numbers in (row, column, channel) order, each pixel's channels together.
    """
    _check_images(images)
    p = check_positive_int("patch_size", patch_size)
    B, c, H, W = images.shape
    if H % p or W % p:
        raise ValueError(
            f"image size {H}x{W} is not divisible by the patch size {p}: crop or pad it to multiples of {p}"
        )
    x = images.reshape(B, c, H // p, p, W // p, p)  # (B, c, h, p, w, p): each side split into (patch, pixel)
    x = x.permute(0, 2, 4, 3, 5, 1)  # (B, h, w, p, p, c): the patch grid first, then one patch
    return x.reshape(B, (H // p) * (W // p), p * p * c)  # (B, N, p*p*c)


def unpatchify(tokens: torch.Tensor, patch_size: int, height: int, width: int) -> torch.Tensor:
    """Put flattened patches back into images: the inverse of :func:`patchify`.

    Args:
        tokens: ``(B, N, p * p * c)`` as :func:`patchify` returns them.
        patch_size: the patch side ``p``.
        height, width: the image size ``H, W``, multiples of ``p`` with ``(H / p) * (W / p) = N``.

    Returns:
        ``(B, c, H, W)``.
    """
    p = check_positive_int("patch_size", patch_size)
    H, W = check_positive_int("height", height), check_positive_int("width", width)
    if H % p or W % p:
        raise ValueError(f"height x width = {H}x{W} must be multiples of the patch size {p}")
    h, w = H // p, W // p
    if not isinstance(tokens, torch.Tensor) or tokens.dim() != 3:
        shape = tuple(tokens.shape) if isinstance(tokens, torch.Tensor) else type(tokens).__name__
        raise ValueError(f"tokens must be a tensor of shape (B, N, p*p*c), got {shape}")
    B, N, D = tokens.shape
    if N != h * w or D % (p * p):
        raise ValueError(
            f"a {H}x{W} image holds N = {h}x{w} = {h * w} patches of {p}x{p} pixels, each flattened to p*p*c "
            f"numbers (a multiple of {p * p}); got tokens of shape {tuple(tokens.shape)}"
        )
    c = D // (p * p)
    x = tokens.reshape(B, h, w, p, p, c)  # (B, h, w, p, p, c)
    x = x.permute(0, 5, 1, 3, 2, 4)  # (B, c, h, p, w, p)
    return x.reshape(B, c, H, W)  # (B, c, H, W)


class PatchEmbed(nn.Module):
    """Image ``(B, in_chans, H, W)`` to a channels-last patch map ``(B, H / p, W / p, embed_dim)``.

    Args:
        patch_size: patch side ``p``; ``H`` and ``W`` must be multiples of it.
        in_chans: image channels (3 for RGB).
        embed_dim: output width ``C``.
        norm: apply a LayerNorm after the projection (Swin does; ViT does not).
    """

    def __init__(self, patch_size: int = 4, in_chans: int = 3, embed_dim: int = 96, norm: bool = False):
        super().__init__()
        self.patch_size = check_positive_int("patch_size", patch_size)
        self.in_chans = check_positive_int("in_chans", in_chans)
        self.embed_dim = check_positive_int("embed_dim", embed_dim)
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)
        self.norm = nn.LayerNorm(embed_dim) if norm else None

    def extra_repr(self) -> str:
        return f"patch_size={self.patch_size}"

    def check_input(self, x: torch.Tensor) -> None:
        """Raise a ``ValueError`` that says what is allowed unless ``x`` is a batch of images it takes."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"expected a torch.Tensor of images (B, {self.in_chans}, H, W), got {type(x).__name__}")
        if x.dim() != 4:
            hint = " (add a batch dimension with x[None])" if x.dim() == 3 else ""
            raise ValueError(
                f"expected a batch of images of shape (B, {self.in_chans}, H, W), got shape {tuple(x.shape)}{hint}"
            )
        if x.shape[1] != self.in_chans:
            raise ValueError(
                f"expected {self.in_chans} input channels in dimension 1 (B, {self.in_chans}, H, W), got "
                f"shape {tuple(x.shape)}; images must be channels-first"
            )
        if not x.is_floating_point():
            raise ValueError(
                f"expected floating-point images, got {x.dtype}; convert 8-bit images with x.float() / 255 "
                f"(then normalize them as the model was trained)"
            )
        weight = self.proj.weight
        if x.dtype != weight.dtype:
            raise ValueError(
                f"the images are {x.dtype} but the model's weights are {weight.dtype}: convert one to the other, "
                f"e.g. x.to({weight.dtype}) or model.to({x.dtype})"
            )
        H, W = x.shape[-2:]
        p = self.patch_size
        if H < p or W < p or H % p or W % p:
            raise ValueError(
                f"image size {H}x{W} is not divisible by the patch size {p}: height and width must be "
                f"multiples of {p} (e.g. {max(p, H // p * p)}x{max(p, W // p * p)}); crop or pad the image"
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        x = self.proj(x)  # (B, C, H/p, W/p)
        x = x.permute(0, 2, 3, 1)  # (B, H/p, W/p, C), channels last
        if self.norm is not None:
            x = self.norm(x)
        return x


class Mlp(nn.Module):
    """The Transformer's feed-forward network: ``fc2(GELU(fc1(x)))`` on the last dimension.

    Every token goes through it on its own, so many tokens can go through in groups of
    ``chunk_tokens``: the result is the same, but the hidden activations (4x wider than the input)
    of one group stay in the CPU's cache instead of making a round trip to memory. On Swin-T's first
    stage at batch 8 (25,088 tokens) this halves the MLP's time on a 2-core CPU.
    """

    chunk_tokens = 4096

    def __init__(self, dim: int, hidden_dim: int, drop: float = 0.0):
        super().__init__()
        dim = check_positive_int("dim", dim)
        hidden_dim = check_positive_int("hidden_dim", hidden_dim)
        drop = check_probability("drop", drop)
        self.fc1 = nn.Linear(dim, hidden_dim)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden_dim, dim)
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = x.reshape(-1, x.shape[-1])  # (n, dim)
        if len(tokens) > self.chunk_tokens:
            out = torch.cat([self.forward(group) for group in tokens.split(self.chunk_tokens)])
            return out.view(*x.shape[:-1], -1)
        hidden = self.drop(self.act(self.fc1(x)))  # (..., hidden)
        return self.drop(self.fc2(hidden))  # (..., dim)


def drop_path(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """Stochastic depth (Huang et al. 2016): zero the residual branch ``x`` of a random fraction ``p``
    of the samples and rescale the rest by ``1 / (1 - p)``; the identity at inference.

    ``p`` must lie in ``[0, 1]``; with ``p = 1`` every sample's branch is dropped and the result is zeros
    (there is nothing left to rescale: ``1 / (1 - p)`` does not exist).
    """
    p = check_probability("p", p, allow_one=True)
    if p == 0.0 or not training:
        return x
    if p == 1.0:
        return torch.zeros_like(x)
    keep = 1.0 - p
    shape = (x.shape[0],) + (1,) * (x.dim() - 1)  # one draw per sample
    return x * x.new_empty(shape).bernoulli_(keep) / keep


class DropPath(nn.Module):
    """Module form of :func:`drop_path`."""

    def __init__(self, p: float = 0.0):
        super().__init__()
        self.p = check_probability("drop_path", p)

    def extra_repr(self) -> str:
        return f"p={self.p:.3f}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return drop_path(x, self.p, self.training)


class TransformerBlock(nn.Module):
    """Pre-norm Transformer encoder block on ``(B, n, C)`` tokens.

    Each sub-layer sees a normalized input and adds its result back::

        x = x + MSA(LN(x))
        x = x + MLP(LN(x))
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        drop_path: float = 0.0,
        fused_attn: bool = True,
    ):
        super().__init__()
        check_heads(dim, num_heads)
        hidden = check_hidden_width(dim, mlp_ratio)
        self.norm1 = nn.LayerNorm(dim)
        self.attn = MultiHeadSelfAttention(dim, num_heads, qkv_bias=qkv_bias, fused_attn=fused_attn)
        self.drop_path = DropPath(drop_path)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path(self.attn(self.norm1(x)))  # (B, n, C)
        return x + self.drop_path(self.mlp(self.norm2(x)))  # (B, n, C)


class VisionTransformer(nn.Module):
    """A small ViT: patch embedding, class token, learned position embedding, pre-norm blocks, head.

    The defaults make a tiny model for 32x32 images that runs in milliseconds on a CPU; ViT-B/16 is
    ``VisionTransformer(img_size=224, patch_size=16, embed_dim=768, depth=12, num_heads=12,
    num_classes=1000)``.
    """

    def __init__(
        self,
        img_size: int = 32,
        patch_size: int = 4,
        in_chans: int = 3,
        num_classes: int = 10,
        embed_dim: int = 64,
        depth: int = 4,
        num_heads: int = 4,
        mlp_ratio: float = 4.0,
        fused_attn: bool = True,
    ):
        super().__init__()
        img_size = check_positive_int("img_size", img_size)
        patch_size = check_positive_int("patch_size", patch_size)
        depth = check_positive_int("depth", depth)
        num_classes = check_count("num_classes (0: no head)", num_classes)
        check_ratio("mlp_ratio", mlp_ratio)
        if img_size % patch_size:
            raise ValueError(f"img_size={img_size} must be a multiple of patch_size={patch_size}")
        self.img_size = img_size
        self.patch_embed = PatchEmbed(patch_size, in_chans, embed_dim)
        self.num_patches = (img_size // patch_size) ** 2
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + self.num_patches, embed_dim))
        self.blocks = nn.ModuleList(
            TransformerBlock(embed_dim, num_heads, mlp_ratio, fused_attn=fused_attn) for _ in range(depth)
        )
        self.norm = nn.LayerNorm(embed_dim)
        self.head = nn.Linear(embed_dim, num_classes) if num_classes > 0 else nn.Identity()
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        nn.init.trunc_normal_(self.cls_token, std=0.02)

    def tokens(self, x: torch.Tensor) -> torch.Tensor:
        """Images ``(B, 3, H, W)`` to the encoder's input ``(B, 1 + n, C)``: class token first."""
        if x.dim() == 4 and tuple(x.shape[-2:]) != (self.img_size, self.img_size):
            raise ValueError(
                f"this ViT was built for {self.img_size}x{self.img_size} images (its position embedding "
                f"has {self.num_patches} patches), got {tuple(x.shape[-2:])}"
            )
        x = self.patch_embed(x).flatten(1, 2)  # (B, n, C)
        cls = self.cls_token.expand(x.shape[0], -1, -1)  # (B, 1, C)
        return torch.cat([cls, x], dim=1) + self.pos_embed  # (B, 1 + n, C)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.tokens(x)
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x[:, 0]))  # classify from the class token
