"""A 2-D grid LSTM (Kalchbrenner, Danihelka and Graves 2015): an LSTM along time AND along depth.

A stacked LSTM has a memory cell only along time; between layers only h travels up. In a grid LSTM
every block (step t, layer l) reads two pairs, (h^T_{t-1,l}, c_{t-1,l}) from the previous step and
(h^D_{t,l-1}, m_{t,l-1}) from the layer below, and applies one LSTM transform per dimension to the
same input [h^D_{t,l-1}; h^T_{t-1,l}]:

    time  (gates i, f, g, o):  c_{t,l} = f ⊙ c_{t-1,l} + i ⊙ g,        h^T_{t,l} = o ⊙ tanh(c_{t,l})
    depth (gates i, f, g, o):  m_{t,l} = f' ⊙ m_{t,l-1} + i' ⊙ g',     h^D_{t,l} = o' ⊙ tanh(m_{t,l})

so depth gets the same additive, gated road for the gradient that time has. Tied / untied (the
paper's choice, stated): the weights are TIED along time (every step shares them, as in every RNN)
and UNTIED along depth (each layer has its own, as in a stacked LSTM). Layer 1's input from below is
h^D_{t,0} = x_t (one-hot for tokens) with m_{t,0} = 0; h^T_{0,l} = c_{0,l} = 0 (h_0 = 0). The head
reads the top layer's depth output h^D_{t,L}.

Parameters laid out like torch.nn.LSTM, rows in order i, f, g, o, one set per dimension:
``weight_ih_l{k}_time`` (4H, D_k) reads the input from below, ``weight_hh_l{k}_time`` (4H, H) the
previous step's h^T, ``bias_ih_l{k}_time``, ``bias_hh_l{k}_time`` (4H); the same with ``_depth``.

>>> cfg = GridConfig(input_kind="vectors", input_size=2, output_size=1, head="many_to_one",
...                  loss_kind="mse", hidden_size=4, num_layers=3)
>>> model = GridLSTM(cfg)
>>> run = model.run(torch.zeros(5, 7, 2))
>>> tuple(run.c.shape), tuple(run.m.shape), tuple(run.logits.shape)  # (B, T, L, H), (B, O)
((5, 7, 3, 4), (5, 7, 3, 4), (5, 1))
>>> grid_param_count(cfg), sum(p.numel() for p in model.parameters())  # 3 layers x 2 transforms
(901, 901)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnviz.errors import InputError
from rnnviz.model import HEADS, sequence_loss, task_fields
from rnnviz.tasks.base import check_int

DIMS = ("time", "depth")  # the two LSTM transforms of a block: c along time, m along depth
GATES = ("i", "f", "g", "o")  # torch's row order
MAX_GRID_LAYERS = 8
MAX_GRID_HIDDEN = 128


@dataclass(frozen=True)
class GridConfig:
    input_kind: str = "tokens"  # "tokens": x is (B, T) ids (read one-hot); "vectors": x is (B, T, F)
    input_size: int = 2  # vocabulary size V or features F: D_0
    output_size: int = 2  # classes, or 1 for regression
    head: str = "many_to_one"  # "many_to_many" | "many_to_one"
    loss_kind: str = "ce"  # "ce" | "mse"
    hidden_size: int = 16  # H of every block, both dimensions
    num_layers: int = 3  # L blocks along depth
    seed: int = 0  # initial weights

    def __post_init__(self) -> None:
        if self.input_kind not in ("tokens", "vectors"):
            raise InputError(f"input_kind must be 'tokens' or 'vectors', not {self.input_kind!r}")
        if self.head not in HEADS:
            raise InputError(f"head must be one of {HEADS}, not {self.head!r}")
        if self.loss_kind not in ("ce", "mse"):
            raise InputError(f"loss_kind must be 'ce' or 'mse', not {self.loss_kind!r}")
        check_int("the grid's hidden size", self.hidden_size, 1, MAX_GRID_HIDDEN)
        check_int("the grid's number of layers", self.num_layers, 1, MAX_GRID_LAYERS)
        check_int("input size", self.input_size, 1, 100_000)
        check_int("output size", self.output_size, 1, 100_000)

    @classmethod
    def for_task(cls, task, **overrides) -> GridConfig:
        return cls(**{**task_fields(task), **overrides})

    def layer_input_size(self, k: int) -> int:
        """D_k: what layer k + 1 reads from below (x_t for the first layer, h^D of the one below)."""
        return self.input_size if k == 0 else self.hidden_size


def grid_param_count(cfg: GridConfig) -> int:
    """sum over layers and the 2 dimensions of 4H (D_k + H + 2), plus the head's O (H + 1)."""
    H = cfg.hidden_size
    blocks = sum(2 * 4 * H * (cfg.layer_input_size(k) + H + 2) for k in range(cfg.num_layers))
    return blocks + cfg.output_size * (H + 1)


@dataclass(frozen=True, eq=False)
class GridRun:
    """Everything one forward pass computed, batch first: (B, T, L, H) per state, step t = index + 1,
    layer l = index + 1; ``gates[dim][name]`` after the nonlinearity, ``pre[dim][name]`` before it."""

    c: Tensor  # memory along time c_{t,l}
    m: Tensor  # memory along depth m_{t,l}
    h_time: Tensor  # h^T_{t,l}, passed to the next step
    h_depth: Tensor  # h^D_{t,l}, passed up a layer (the top one to the head)
    gates: dict  # {"time" | "depth": {"i" | "f" | "g" | "o": (B, T, L, H)}}
    pre: dict  # the same, before the nonlinearity
    logits: Tensor  # (B, T, O) or (B, O)


class GridLSTM(nn.Module):
    """The grid LSTM of the module docstring, with the ``loss(batch)`` every Trainer uses."""

    def __init__(self, cfg: GridConfig):
        super().__init__()
        self.cfg, H = cfg, cfg.hidden_size
        g = torch.Generator().manual_seed(cfg.seed)
        k = H**-0.5  # torch's init: U(-1/sqrt(H), 1/sqrt(H)) for every weight and bias, from g

        def draw(*shape: int) -> nn.Parameter:
            return nn.Parameter((torch.rand(*shape, generator=g) * 2 - 1) * k)

        for layer in range(cfg.num_layers):
            for dim in DIMS:
                setattr(self, f"weight_ih_l{layer}_{dim}", draw(4 * H, cfg.layer_input_size(layer)))
                setattr(self, f"weight_hh_l{layer}_{dim}", draw(4 * H, H))
                setattr(self, f"bias_ih_l{layer}_{dim}", draw(4 * H))
                setattr(self, f"bias_hh_l{layer}_{dim}", draw(4 * H))
        self.head = nn.Linear(H, cfg.output_size)
        with torch.no_grad():
            self.head.weight.copy_(draw(cfg.output_size, H))
            self.head.bias.copy_(draw(cfg.output_size))

    def params(self, layer: int, dim: str) -> dict[str, Tensor]:
        """One transform's weights under torch's names (layer counts from 0, as in weight_ih_l0)."""
        names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        return {n: getattr(self, f"{n}_l{layer}_{dim}") for n in names}

    def embed(self, x: Tensor) -> Tensor:
        """x_t as layer 1 reads it from below: (B, T) ids -> one-hot (B, T, V), or vectors unchanged."""
        dtype = self.head.weight.dtype
        if self.cfg.input_kind == "vectors":
            return x.to(dtype)
        if x.numel() and (int(x.min()) < 0 or int(x.max()) >= self.cfg.input_size):
            raise InputError(f"token ids must be between 0 and {self.cfg.input_size - 1}")
        return F.one_hot(x, self.cfg.input_size).to(dtype)

    def run(self, x: Tensor, keep: bool = True) -> GridRun:
        """The whole grid, layer by layer (layer l needs layer l-1 at every step), step by step.
        ``keep=False`` (training) skips stacking the states and gates no one reads."""
        below = self.embed(x)  # h^D_{t,0} = x_t: (B, T, D_0)
        B, T, _ = below.shape
        H = self.cfg.hidden_size
        m_below = below.new_zeros(B, T, H)  # m_{t,0} = 0
        layers: list[dict] = []
        for layer in range(self.cfg.num_layers):
            p = {dim: self.params(layer, dim) for dim in DIMS}
            # both transforms read the same [h^D_{t,l-1}; h^T_{t-1,l}]: stack their rows, 8H in all
            w_ih = torch.cat([p[d]["weight_ih"] for d in DIMS])  # (8H, D_k)
            w_hh = torch.cat([p[d]["weight_hh"] for d in DIMS])  # (8H, H)
            bias = torch.cat([p[d]["bias_ih"] + p[d]["bias_hh"] for d in DIMS])  # (8H,)
            from_below = below @ w_ih.T + bias  # W_ih h^D_{t,l-1} + b_ih + b_hh for every t: (B, T, 8H)
            h_prev = c_prev = below.new_zeros(B, H)  # h^T_{0,l} = c_{0,l} = 0
            rows: dict = {name: [] for name in ("pre", "c", "m", "h_time", "h_depth")}
            for t in range(T):
                # a_pre = W_ih h^D_{t,l-1} + b_ih + W_hh h^T_{t-1,l} + b_hh: (time | depth) x (i, f, g, o)
                a_pre = (from_below[:, t] + h_prev @ w_hh.T).view(B, 2, 4, H)
                gate = torch.sigmoid(a_pre)  # i, f, o = sigma(i_pre, f_pre, o_pre): rows 0, 1, 3
                i, f, o = gate[:, :, 0], gate[:, :, 1], gate[:, :, 3]  # (B, 2, H): [time, depth]
                g = torch.tanh(a_pre[:, :, 2])  # g = tanh(g_pre)
                old = torch.stack([c_prev, m_below[:, t]], dim=1)  # [c_{t-1,l}, m_{t,l-1}]
                # c_{t,l} = f ⊙ c_{t-1,l} + i ⊙ g  and  m_{t,l} = f' ⊙ m_{t,l-1} + i' ⊙ g'
                cell = f * old + i * g
                # h^T_{t,l} = o ⊙ tanh(c_{t,l})  and  h^D_{t,l} = o' ⊙ tanh(m_{t,l})
                out = o * torch.tanh(cell)
                c_prev, h_prev = cell[:, 0], out[:, 0]
                for name, v in zip(rows, (a_pre, cell[:, 0], cell[:, 1], out[:, 0], out[:, 1]), strict=True):
                    rows[name].append(v)
            done = {
                name: torch.stack(v, dim=1) for name, v in rows.items() if keep or name in ("m", "h_depth")
            }
            layers.append(done)
            below, m_below = done["h_depth"], done["m"]  # what the next layer reads from below: (B, T, H)
        top = below  # h^D_{t,L}: (B, T, H)
        logits = self.head(top[:, -1] if self.cfg.head == "many_to_one" else top)
        if not keep:
            return GridRun(*(None,) * 6, logits=logits)

        def grid(name: str) -> Tensor:
            return torch.stack([done[name] for done in layers], dim=2)  # (B, T, L, ...)

        pre = grid("pre")  # (B, T, L, 2, 4, H)
        pre_of = {d: {n: pre[:, :, :, j, r] for r, n in enumerate(GATES)} for j, d in enumerate(DIMS)}
        after = {
            d: {n: torch.tanh(v) if n == "g" else torch.sigmoid(v) for n, v in g.items()}
            for d, g in pre_of.items()
        }
        return GridRun(
            c=grid("c"), m=grid("m"), h_time=grid("h_time"), h_depth=grid("h_depth"), gates=after, pre=pre_of,
            logits=logits,
        )  # fmt: skip

    def forward(self, x: Tensor, state=None) -> tuple[Tensor, None]:
        """Logits (B, T, O) many-to-many or (B, O) many-to-one (the signature SeqModel has)."""
        if state is not None:
            raise InputError("the grid LSTM always starts from h_0 = c_0 = 0")
        return self.run(x, keep=False).logits, None

    def loss(self, batch) -> tuple[Tensor, dict[str, float]]:
        logits, _ = self(batch.x)
        return sequence_loss(logits, batch.y, getattr(batch, "mask", None), self.cfg.loss_kind)
