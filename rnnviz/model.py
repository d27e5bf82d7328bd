"""The sequence model every lesson trains: input -> recurrent layers -> head.

    tokens (B, T) -> one-hot or embedding (B, T, D)  |  vectors (B, T, F)
      -> layer 1 ... layer L (each one direction or two; a pyramid halves T between layers)
      -> head: y_t = W_hy h_t + b_y per step (many-to-many) or once at the end (many-to-one)

Each layer keeps its parameters under torch's names (``weight_ih_l0``, ``weight_hh_l0``,
``bias_ih_l0``, ``bias_hh_l0``, ``..._reverse``). Standard cells run on torch's fused modules
(fast training); the variants torch has no kernel for (peephole, coupled, paper GRU, minimal
GRU) run through the instrumented step functions of ``rnnviz.cells``; the cells whose gates
read x_t only (minGRU, minLSTM, selective) compute every gate for every t in one matmul and run
the log-space scan of ``rnnviz.scan`` (no loop over t in training). ``rnnviz.trace``
replays any of them step by step with the same weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnviz.cells import CELLS, init_params
from rnnviz.errors import InputError
from rnnviz.scan import scan_log

HEADS = ("many_to_many", "many_to_one")
MAX_HIDDEN = 1024
MAX_LAYERS = 8


@dataclass(frozen=True)
class ModelConfig:
    cell: str = "lstm"  # a key of rnnviz.cells.CELLS
    input_kind: str = "tokens"  # "tokens": x is (B, T) ids; "vectors": x is (B, T, F)
    input_size: int = 2  # vocabulary size V (tokens) or features F (vectors)
    output_size: int = 2  # classes, or 1 for regression
    head: str = "many_to_many"  # "many_to_many" (y_t per step) | "many_to_one" (y at the end)
    loss_kind: str = "ce"  # "ce" (cross-entropy) | "mse" (regression)
    hidden_size: int = 32  # H, units per direction
    num_layers: int = 1  # L, stacked layers
    bidirectional: bool = False  # a second layer reads the sequence backwards
    embed_dim: int = 0  # E; 0 = one-hot input for tokens (x_t picks a column of W_ih)
    pyramid: bool = False  # concatenate neighbouring steps between layers: T, T/2, T/4, ...
    # added to the forget-gate bias at init; 1.0 is common practice. It acts only on the cells with
    # an LSTM forget row (rows i, f, g, o: lstm, lstm_peephole) and is ignored by every other cell
    # (GRUs, minGRU, minLSTM, selective: no such row), as the Playground's hidden control says.
    forget_bias: float = 0.0
    seed: int = 0  # initial weights

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise InputError(f"unknown cell {self.cell!r}; choose one of {sorted(CELLS)}")
        if self.input_kind not in ("tokens", "vectors"):
            raise InputError(f"input_kind must be 'tokens' or 'vectors', not {self.input_kind!r}")
        if self.head not in HEADS:
            raise InputError(f"head must be one of {HEADS}, not {self.head!r}")
        if self.loss_kind not in ("ce", "mse"):
            raise InputError(f"loss_kind must be 'ce' or 'mse', not {self.loss_kind!r}")
        for name, value, top in (
            ("hidden size", self.hidden_size, MAX_HIDDEN),
            ("number of layers", self.num_layers, MAX_LAYERS),
            ("input size", self.input_size, 100_000),
            ("output size", self.output_size, 100_000),
        ):
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= top:
                raise InputError(f"{name} must be a whole number from 1 to {top}, not {value!r}")
        if (
            not isinstance(self.embed_dim, int)
            or isinstance(self.embed_dim, bool)
            or not 0 <= self.embed_dim <= MAX_HIDDEN
        ):
            raise InputError(f"embedding size must be from 0 (one-hot) to {MAX_HIDDEN}, not {self.embed_dim}")
        if self.pyramid and self.head != "many_to_one":
            raise InputError(
                "a pyramid RNN shortens the sequence, so it predicts once per sequence (many-to-one)"
            )

    @classmethod
    def for_task(cls, task, **overrides) -> ModelConfig:
        """Sizes and head taken from a task (see ARCHITECTURE.md); the rest from ``overrides``."""
        return cls(**{**task_fields(task), **overrides})

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    def layer_input_size(self, k: int) -> int:
        if k == 0:
            if self.input_kind == "tokens":
                return self.embed_dim or self.input_size
            return self.input_size
        return self.directions * self.hidden_size * (2 if self.pyramid else 1)


def task_fields(task) -> dict:
    """What a task decides of any model config that reads it: input kind and size, output size,
    head and loss (ModelConfig.for_task, grid_lstm.GridConfig.for_task)."""
    return dict(
        input_kind=task.input_kind,
        input_size=task.input_size,
        output_size=task.output_size,
        head=task.head,
        loss_kind=task.loss_kind,
    )


FUSED = {"RNN_TANH": nn.RNN, "RNN_RELU": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}


class _OneLayer(nn.Module):
    """One layer of a cell from rnnviz.cells, both directions, its parameters named as torch names
    them (``weight_ih_l0``, ``weight_ih_l0_reverse``, ...); the subclass says how it runs."""

    def __init__(self, cell: str, input_size: int, hidden_size: int, bidirectional: bool):
        super().__init__()
        self.spec, self.hidden_size = CELLS[cell], hidden_size
        self.suffixes = ["", "_reverse"] if bidirectional else [""]
        params = init_params(self.spec, input_size, hidden_size, torch.Generator())
        for sfx in self.suffixes:
            for name, value in params.items():
                setattr(self, f"{name}_l0{sfx}", nn.Parameter(torch.empty_like(value)))

    def direction(self, sfx: str) -> dict[str, Tensor]:
        """This direction's parameters by the cell's own names (``weight_ih``, ``bias_ih``, ...)."""
        end = "_l0" + sfx
        return {name[: -len(end)]: v for name, v in self.named_parameters() if name.endswith(end)}


class Unrolled(_OneLayer):
    """A one-layer recurrent module for cells torch has no kernel for; same names as nn.LSTM."""

    def forward(self, x: Tensor, state=None):
        B, T, _ = x.shape  # (B, T, D)
        outs, finals = [], []
        for d, sfx in enumerate(self.suffixes):
            p = self.direction(sfx)
            s = None if state is None else _select(state, d)
            if s is None:
                h0 = x.new_zeros(B, self.hidden_size)
                s = (h0, h0) if self.spec.has_cell_state else h0
            hs = [None] * T
            for t in range(T) if d == 0 else reversed(range(T)):
                s = self.spec.step(x[:, t], s, p)[0]
                hs[t] = s[0] if self.spec.has_cell_state else s
            outs.append(torch.stack(hs, dim=1))
            finals.append(s)
        out = torch.cat(outs, dim=-1)  # (B, T, dirs*H)
        if self.spec.has_cell_state:
            return out, (torch.stack([f[0] for f in finals]), torch.stack([f[1] for f in finals]))
        return out, torch.stack(finals)


class Scanned(_OneLayer):
    """A one-layer module for the cells whose gates read x_t only; same names as nn.GRU, no weight_hh.

    All gates for all t come from one matmul, W_ih x_t + b_ih (B, T, G*H); the cell's ``scan``
    turns them into h_t = a_t * h_{t-1} + b_t, which ``scan_log`` computes without a loop over t.
    The backward direction reads the sequence reversed. ``scan`` is the function that runs the
    recurrence (``scan_log``; the bench swaps in ``scan_loop`` on an instance to time the two).
    """

    scan = staticmethod(scan_log)

    def forward(self, x: Tensor, state=None):
        outs, finals = [], []
        for d, sfx in enumerate(self.suffixes):
            xs = x if d == 0 else x.flip(1)  # (B, T, D) in the order this direction reads
            p = self.direction(sfx)
            ih = xs @ p["weight_ih"].T + p["bias_ih"]  # (B, T, G*H)
            a, b = self.spec.scan(ih)  # h_t = a_t * h_{t-1} + b_t, a_t in (0, 1]
            # a gate that underflowed to 0 (a logit below about -88 in float32) becomes the smallest
            # positive number: the log-space scan needs log a_t, and h_t changes by under 1e-38 * h_{t-1}
            a = a.clamp(min=torch.finfo(a.dtype).tiny)
            h = self.scan(a, b, None if state is None else state[d])  # (B, T, H)
            finals.append(h[:, -1])
            outs.append(h if d == 0 else h.flip(1))
        return torch.cat(outs, dim=-1), torch.stack(finals)  # (B, T, dirs*H), (dirs, B, H)


def _select(state, d: int):
    """Direction d of a torch-layout state (dirs, B, H) or ((dirs, B, H), (dirs, B, H))."""
    return tuple(s[d] for s in state) if isinstance(state, tuple) else state[d]


class Layer(nn.Module):
    """One recurrent layer, both directions; ``self.rnn`` is a torch kernel, ``Scanned`` or ``Unrolled``."""

    def __init__(self, cfg: ModelConfig, k: int, generator: torch.Generator):
        super().__init__()
        spec, H, D = CELLS[cfg.cell], cfg.hidden_size, cfg.layer_input_size(k)
        if spec.fused:
            kwargs = {"nonlinearity": spec.fused[4:].lower()} if spec.fused.startswith("RNN") else {}
            self.rnn = FUSED[spec.fused](D, H, batch_first=True, bidirectional=cfg.bidirectional, **kwargs)
        elif not spec.recurrent:
            self.rnn = Scanned(cfg.cell, D, H, cfg.bidirectional)
        else:
            self.rnn = Unrolled(cfg.cell, D, H, cfg.bidirectional)
        self.spec, self.suffixes = spec, ["", "_reverse"] if cfg.bidirectional else [""]
        with torch.no_grad():  # torch's init, but drawn from our generator: same seed, same weights
            for sfx in self.suffixes:
                for name, value in init_params(spec, D, H, generator).items():
                    getattr(self.rnn, f"{name}_l0{sfx}").copy_(value)
                if spec.has_cell_state and spec.rows == 4 and cfg.forget_bias:
                    getattr(self.rnn, f"bias_ih_l0{sfx}")[H : 2 * H] += cfg.forget_bias  # rows i, f, g, o

    def params(self, direction: int = 0) -> dict[str, Tensor]:
        """This direction's tensors under the cell's names: weight_ih, weight_hh, bias_ih, ..."""
        sfx = self.suffixes[direction]
        return {
            name[: -len("_l0" + sfx)]: p
            for name, p in self.rnn.named_parameters()
            if name.endswith("_l0" + sfx)
        }

    def forward(self, x: Tensor, state=None):
        return self.rnn(x, state)


def halve_time(x: Tensor) -> Tensor:
    """Pyramid step (Listen, Attend and Spell): (B, T, D) -> (B, T//2, 2D); an odd last step is dropped."""
    B, T, D = x.shape
    return x[:, : T - T % 2].reshape(B, T // 2, 2 * D)


class SeqModel(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        g = torch.Generator().manual_seed(cfg.seed)
        if cfg.input_kind == "tokens" and cfg.embed_dim:
            self.embedding = nn.Embedding(cfg.input_size, cfg.embed_dim)
            with torch.no_grad():
                self.embedding.weight.copy_(torch.randn(cfg.input_size, cfg.embed_dim, generator=g))
        self.layers = nn.ModuleList(Layer(cfg, k, g) for k in range(cfg.num_layers))
        self.head = nn.Linear(cfg.directions * cfg.hidden_size, cfg.output_size)
        with torch.no_grad():
            k = cfg.hidden_size**-0.5
            self.head.weight.copy_((torch.rand(self.head.weight.shape, generator=g) * 2 - 1) * k)
            self.head.bias.copy_((torch.rand(self.head.bias.shape, generator=g) * 2 - 1) * k)

    def embed(self, x: Tensor) -> Tensor:
        """x_t as the first layer reads it: (B, T) ids -> (B, T, D), or vectors unchanged."""
        if self.cfg.input_kind == "vectors":
            return x.to(self.head.weight.dtype)
        if x.numel() and (int(x.min()) < 0 or int(x.max()) >= self.cfg.input_size):
            raise InputError(f"token ids must be between 0 and {self.cfg.input_size - 1}")
        if self.cfg.embed_dim:
            return self.embedding(x)  # e_w = E o_w, a row lookup
        return F.one_hot(x, self.cfg.input_size).to(self.head.weight.dtype)

    def features(self, x: Tensor, state=None) -> tuple[Tensor, list]:
        """Top layer's hidden states (B, T', dirs*H) and every layer's final state."""
        h = self.embed(x)
        finals = []
        for k, layer in enumerate(self.layers):
            if self.cfg.pyramid and k > 0:
                h = halve_time(h)
            h, s = layer(h, None if state is None else state[k])
            finals.append(s)
        return h, finals

    def forward(self, x: Tensor, state=None) -> tuple[Tensor, list]:
        """Logits (B, T, O) many-to-many or (B, O) many-to-one, and the final states."""
        h, finals = self.features(x, state)
        if self.cfg.head == "many_to_one":
            H = self.cfg.hidden_size
            # forward direction ends at the last step, the backward one at the first
            h = torch.cat([h[:, -1, :H], h[:, 0, H:]], dim=-1) if self.cfg.bidirectional else h[:, -1]
        return self.head(h), finals

    def loss(self, batch) -> tuple[Tensor, dict[str, float]]:
        logits, _ = self(batch.x)
        return sequence_loss(logits, batch.y, getattr(batch, "mask", None), self.cfg.loss_kind)


def sequence_loss(logits: Tensor, y: Tensor, mask: Tensor | None, kind: str) -> tuple[Tensor, dict]:
    """Mean loss over the counted steps, and accuracy (for regression: |y_hat - y| < 0.04)."""
    if kind == "mse":
        pred = logits.squeeze(-1)
        loss = F.mse_loss(pred, y.to(pred.dtype))
        return loss, {"acc": float(((pred - y).abs() < 0.04).float().mean())}
    # L = -sum_t log p(y_t | x_<=t), averaged over the counted steps
    per = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="none")
    hit = (logits.argmax(-1) == y).reshape(-1).float()
    if mask is not None:
        m = mask.reshape(-1).to(per.dtype)
        n = m.sum().clamp(min=1)
        return (per * m).sum() / n, {"acc": float((hit * m).sum() / n)}
    return per.mean(), {"acc": float(hit.mean())}


def param_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
