"""Attention over an image, "Show, Attend and Tell" in miniature.

A toy image is a G x G grid of cells, two of them holding a coloured shape; its caption
says which is where. Each cell is one "input token": a linear map of its pixels (plus a
learned position vector) gives the encoder state e_t, and the same attention decoder as
the date lesson writes the caption word by word, choosing which cells to look at::

    >>> task = CaptionTask(grid=3, cell_px=10)
    >>> image, words = task.example(0)
    >>> image.shape, " ".join(words)                  # (G*P, G*P, 3) floats in [0, 1]
    ((30, 30, 3), 'red circle left of blue circle')
    >>> b = task.batch(4, torch.Generator().manual_seed(0))
    >>> b.x.shape, b.y.shape                          # (B, G*G, P*P*3) cell pixels, (B, S) word ids
    (torch.Size([4, 9, 300]), torch.Size([4, 7]))

Caption rule: the left object is named first ("A left of B"); in the same column the upper
one is ("A above B"). Model: e_t = tanh(W_p x_t + p_t) for cell t, d_0 = tanh(W_0 mean_t e_t).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from rnnviz.errors import InputError
from rnnviz.seq2seq.attention import KINDS
from rnnviz.seq2seq.decoder import AttnDecoder, EncoderDecoder
from rnnviz.seq2seq.tokens import EOS, PAD, SPECIALS

COLOURS = {"red": (0.86, 0.16, 0.16), "green": (0.13, 0.63, 0.24), "blue": (0.16, 0.33, 0.86)}
SHAPES = ("square", "circle", "triangle")
WORDS = (*SPECIALS, *COLOURS, *SHAPES, "left", "of", "above")
BACKGROUND = 0.96  # light grey cells, with white grid lines between them


def shape_mask(shape: str, px: int) -> np.ndarray:
    """(px, px) bool pixels of a shape centred in a cell, with a 2-pixel margin."""
    yy, xx = np.mgrid[0:px, 0:px] + 0.5
    lo, hi, mid = 2.0, px - 2.0, px / 2
    if shape == "square":
        return (xx > lo) & (xx < hi) & (yy > lo) & (yy < hi)
    if shape == "circle":
        return (xx - mid) ** 2 + (yy - mid) ** 2 < (mid - lo) ** 2
    # triangle pointing up: half-width grows linearly from the apex to the base
    half = (yy - lo) / (hi - lo) * (mid - lo)
    return (yy > lo) & (yy < hi) & (np.abs(xx - mid) < half)


@dataclass(frozen=True)
class CaptionBatch:
    x: Tensor  # (B, N, P*P*3) float: each cell's pixels minus the background, N = G*G in reading order
    x_mask: Tensor  # (B, N) bool, all True (every cell is a real "token")
    y: Tensor  # (B, S) int64 caption word ids ending with <eos>, right-padded
    y_mask: Tensor  # (B, S) bool, True on real caption positions
    images: np.ndarray  # (B, G*P, G*P, 3) float images in [0, 1], for drawing


@dataclass(frozen=True)
class CaptionTask:
    grid: int = 3  # G: the image is G x G cells
    cell_px: int = 10  # P: pixels per cell side
    seed: int = 0  # seeds the fixed example images

    name = "captions"

    def __post_init__(self) -> None:
        if not 2 <= self.grid <= 5:
            raise InputError(f"the grid must be 2 to 5 cells wide, not {self.grid}")
        if not 6 <= self.cell_px <= 32:
            raise InputError(f"cells must be 6 to 32 pixels wide, not {self.cell_px}")

    @property
    def tgt_vocab(self) -> tuple[str, ...]:
        return WORDS

    @property
    def n_cells(self) -> int:
        return self.grid * self.grid

    @property
    def patch_dim(self) -> int:
        return self.cell_px * self.cell_px * 3

    def sample(self, rng: random.Random) -> tuple[list[tuple[int, str, str]], list[str]]:
        """Two objects (cell index, colour, shape) in distinct cells, and their caption words."""
        cells = rng.sample(range(self.n_cells), 2)
        objs = [(cell, rng.choice(list(COLOURS)), rng.choice(SHAPES)) for cell in cells]
        # name the left one first; in the same column, the upper one ("reading order")
        (a, b) = sorted(objs, key=lambda o: (o[0] % self.grid, o[0] // self.grid))
        relation = ["left", "of"] if a[0] % self.grid != b[0] % self.grid else ["above"]
        return objs, [a[1], a[2], *relation, b[1], b[2]]

    def render(self, objects) -> np.ndarray:
        """(G*P, G*P, 3) float image: grey cells, white grid lines, the objects drawn in."""
        G, P = self.grid, self.cell_px
        image = np.full((G * P, G * P, 3), BACKGROUND)
        image[::P, :, :] = image[:, ::P, :] = 1.0
        for cell, colour, shape in objects:
            r, c = divmod(cell, G)
            patch = image[r * P : (r + 1) * P, c * P : (c + 1) * P]
            patch[shape_mask(shape, P)] = COLOURS[colour]
        return image

    def patches(self, images: np.ndarray) -> Tensor:
        """(B, G*P, G*P, 3) images -> (B, G*G, P*P*3) cell pixels in reading order, minus the
        background grey (an empty cell is ~0, so only the shapes carry signal)."""
        B, G, P = images.shape[0], self.grid, self.cell_px
        cells = (images - BACKGROUND).reshape(B, G, P, G, P, 3).transpose(0, 1, 3, 2, 4, 5)
        return torch.as_tensor(cells.reshape(B, G * G, P * P * 3), dtype=torch.float32)

    def collate(self, samples) -> CaptionBatch:
        images = np.stack([self.render(objs) for objs, _ in samples])
        S = max(len(words) for _, words in samples) + 1
        y = torch.full((len(samples), S), PAD, dtype=torch.long)
        for b, (_, words) in enumerate(samples):
            y[b, : len(words) + 1] = torch.tensor([WORDS.index(w) for w in words] + [EOS])
        x = self.patches(images)
        return CaptionBatch(x, torch.ones(x.shape[:2], dtype=torch.bool), y, y != PAD, images)

    def batch(self, batch_size: int, generator: torch.Generator) -> CaptionBatch:
        rng = random.Random(int(torch.randint(2**62, (1,), generator=generator)))
        return self.collate([self.sample(rng) for _ in range(batch_size)])

    def example(self, index: int) -> tuple[np.ndarray, list[str]]:
        """Fixed example ``index`` (same seed, same picture): (image, caption words)."""
        objs, words = self.example_objects(index)
        return self.render(objs), words

    def example_objects(self, index: int) -> tuple[list[tuple[int, str, str]], list[str]]:
        """The objects (cell, colour, shape) of fixed example ``index``, and its caption words."""
        return self.sample(random.Random(self.seed * 1_000_003 + index))


def object_focus(objects, out: list[str], alpha: np.ndarray) -> tuple[float, int] | None:
    """Mean weight that written colour and shape words put on the cells holding an object of that
    colour or shape: (share, number of such words), or None if the caption has none that match.

    ``objects`` from ``example_objects``; ``out`` the written words; ``alpha`` (S, N) over cells."""
    shares = []
    for s, word in enumerate(out):
        cells = [cell for cell, colour, shape in objects if word in (colour, shape)]
        if cells:
            shares.append(float(alpha[s, cells].sum()))
    return (float(np.mean(shares)), len(shares)) if shares else None


def object_sentence(objects, out: list[str], alpha: np.ndarray) -> str:
    """What the page says about where the caption's colour and shape words look, from the weights."""
    found = object_focus(objects, out, alpha)
    N = alpha.shape[1]
    if found is None:
        return (
            "The caption written has no colour or shape word of an object in this picture, so there is no "
            "object to look at."
        )
    share, n = found
    verdict = (
        "they look at their object"
        if share > 0.5
        else ("they lean towards their object" if share > 2 / N else "they do not look at their object yet")
    )
    return (
        f"The caption's {n} colour and shape words put on average {100 * share:.0f}% of their weight on the "
        f"cells holding an object of that colour or shape (uniform weights would give {100 / N:.0f}% per "
        f"cell): {verdict}."
    )


@dataclass(frozen=True)
class CaptionConfig:
    n_cells: int  # N = G*G grid cells, the "input tokens"
    patch_dim: int  # P*P*3 pixels per cell
    vocab_size: int  # caption words with <pad>, <sos>, <eos>
    attention: str = "dot"  # "dot" | "additive" ("none" works too: then the caption is read from d_0 alone)
    embed_dim: int = 16  # word embedding size
    hidden_size: int = 32  # H: size of e_t and d_s
    attn_size: int = 32  # hidden size of the additive scorer
    seed: int = 0  # seeds the initial weights

    def __post_init__(self) -> None:
        if self.attention not in KINDS:
            raise InputError(f"attention must be one of {KINDS}, not {self.attention!r}")

    @classmethod
    def for_task(cls, task: CaptionTask, **overrides) -> CaptionConfig:
        return cls(
            n_cells=task.n_cells, patch_dim=task.patch_dim, vocab_size=len(task.tgt_vocab), **overrides
        )


class CaptionModel(EncoderDecoder):
    def __init__(self, cfg: CaptionConfig):
        super().__init__()
        self.cfg = cfg
        H = cfg.hidden_size
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(cfg.seed)
            self.W_p = nn.Linear(cfg.patch_dim, H)
            self.p = nn.Parameter(0.5 * torch.randn(cfg.n_cells, H))  # p_t: where cell t is
            self.W_0 = nn.Linear(H, H)
            self.decoder = AttnDecoder("gru", cfg.attention, cfg.vocab_size, cfg.embed_dim, H, cfg.attn_size)

    def encode(self, x: Tensor, x_mask: Tensor):
        # e_t = tanh(W_p x_t + p_t)                                            (B, N, H)
        e = torch.tanh(self.W_p(x) + self.p)
        # d_0 = tanh(W_0 mean_t e_t)                                           (B, H)
        return e, torch.tanh(self.W_0(e.mean(dim=1)))
