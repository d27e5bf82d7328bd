"""Replay one sequence through the instrumented cells and keep every number as plain arrays.

    tr = trace(model, x, y)              # x: (T,) ids or (T, F) vectors; y: targets or None
    tr.layers[0].gates["f"]              # (T, H) forget gate of layer 1, after the sigmoid
    tr.layers[0].grad_h_norm             # (T,)  ||dL/dh_t|| for the chosen loss
    tr.layers[0].jac_norm                # (T,)  ||dh_t/dh_{t-1}||_2, spectral norm of the step Jacobian

The replay uses the model's own weights and equals its fused forward pass (tests/test_trace.py).
``clamps`` fix a gate to a value on chosen steps and units: an intervention the lessons use to
show what a gate does (the fused kernels cannot do this; the replay can).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from rnnviz.cells import CELLS, paper_gru_step
from rnnviz.errors import InputError
from rnnviz.model import SeqModel, halve_time

MAX_TRACE_STEPS = 2000


@dataclass(frozen=True)
class GateClamp:
    gate: str  # "i", "f", "g", "o" (LSTM), "r", "z", "n" (GRU), "h" (RNN)
    value: float  # the value the gate is fixed to
    start: int = 0  # first step clamped (0-based)
    stop: int | None = None  # one past the last step clamped (None = to the end)
    units: tuple[int, ...] | None = None  # None = every unit
    layer: int = 0  # which layer (0-based)
    direction: int = 0  # 0 forward, 1 backward


@dataclass
class LayerTrace:
    layer: int  # 0-based layer index
    direction: int  # 0 forward, 1 backward (times are still in reading order 0..T-1)
    x: np.ndarray  # (T, D) what this layer reads at each step
    h: np.ndarray  # (T, H) h_t
    c: np.ndarray | None  # (T, H) c_t for LSTMs
    gates: dict[str, np.ndarray]  # name -> (T, H), after the nonlinearity
    pre: dict[str, np.ndarray]  # name -> (T, H), before it
    grad_h: np.ndarray | None  # (T, H) dL/dh_t (total derivative, through every path)
    grad_h_norm: np.ndarray | None  # (T,)
    grad_c: np.ndarray | None  # (T, H) dL/dc_t for LSTMs
    grad_c_norm: np.ndarray | None  # (T,)
    jac_norm: np.ndarray | None  # (T,) ||dh_t/dh_{t-1}||_2 (x_t and c_{t-1} held fixed)
    params: dict[str, np.ndarray] = field(default_factory=dict)  # this direction's weights


@dataclass
class Trace:
    cell: str
    head: str
    layers: list[LayerTrace]  # layer-major: (layer 0 fwd, layer 0 bwd, layer 1 fwd, ...)
    logits: np.ndarray  # (T, O) many-to-many, (O,) many-to-one
    probs: np.ndarray | None  # softmax of logits (classification)
    targets: np.ndarray | None  # what the loss compares against
    loss_steps: np.ndarray | None  # (T,) per-step loss (many-to-many); NaN where masked
    loss: float  # the loss the gradients are of
    grad_of: str | int  # "final" | "total" | step index

    def layer(self, k: int = 0, direction: int = 0) -> LayerTrace:
        return next(lt for lt in self.layers if lt.layer == k and lt.direction == direction)


def _clamps_at(clamps, k: int, d: int, t: int, H: int, like: Tensor) -> dict | None:
    found = {}
    for c in clamps:
        if c.layer == k and c.direction == d and c.start <= t and (c.stop is None or t < c.stop):
            mask = torch.zeros(H, dtype=torch.bool)
            mask[list(c.units) if c.units is not None else slice(None)] = True
            found[c.gate] = (c.value, mask)
    return found or None


def _check(model: SeqModel, x: Tensor, clamps) -> None:
    cfg = model.cfg
    if x.dim() != (1 if cfg.input_kind == "tokens" else 2):
        raise InputError("trace one sequence at a time: (T,) token ids or (T, F) vectors")
    if not 1 <= x.shape[0] <= MAX_TRACE_STEPS:
        raise InputError(f"a traced sequence needs 1 to {MAX_TRACE_STEPS} steps, not {x.shape[0]}")
    spec = CELLS[cfg.cell]
    for c in clamps:
        if c.gate not in spec.gates or c.gate == "c":
            raise InputError(f"the {spec.title} has no gate {c.gate!r} to clamp; it has {spec.gates}")
        if not 0 <= c.layer < cfg.num_layers or c.direction not in range(cfg.directions):
            raise InputError(f"no layer {c.layer + 1} / direction {c.direction} to clamp")
        if c.units is not None and any(not 0 <= u < cfg.hidden_size for u in c.units):
            raise InputError(f"units to clamp must be between 0 and {cfg.hidden_size - 1}")


def _jacobian_norms(spec, p, xs: Tensor, h_prev: Tensor, c_prev: Tensor | None, clamped) -> np.ndarray:
    """||dh_t/dh_{t-1}||_2 for every step t at once, with x_t and c_{t-1} held fixed.

    Every cell but the paper GRU reads h_{t-1} through u = W_hh h_{t-1} + b_hh and, at most,
    elementwise (the GRU's z * h). Unit j of h_t then depends only on u's unit j in each gate
    block k, so one backward pass gives the diagonals and the Jacobian is
        dh_t/dh_{t-1} = sum_k diag(dh_t/du_k) W_hh,k + diag(dh_t/dh_{t-1} |_u fixed).
    The paper GRU (r * h inside W_hn) takes the general route: vmap of jacrev.
    ``clamped`` lists (gate, value, masks (T, H)): a clamped gate has no derivative.
    """
    params = {k: v.detach() for k, v in p.items()}
    clamp = {g: (v, m) for g, v, m in clamped} or None
    c_in = c_prev if c_prev is not None else torch.zeros_like(h_prev)
    if spec.step is not paper_gru_step:
        W = params["weight_hh"]  # (G*H, H)
        h = h_prev.clone().requires_grad_()
        u = (h_prev @ W.T + params["bias_hh"]).requires_grad_()  # (T, G*H)
        state = (h, c_in) if spec.has_cell_state else h
        new = spec.step(xs, state, {**params, "hh": u}, clamp)[0]
        h_new = new[0] if spec.has_cell_state else new
        d_u, d_h = torch.autograd.grad(h_new.sum(), (u, h), allow_unused=True)
        T, H = h_prev.shape
        J = (d_u.reshape(T, -1, H, 1) * W.reshape(1, -1, H, H)).sum(1)  # sum_k diag(d_k) W_k
        if d_h is not None:
            J = J + torch.diag_embed(d_h)
    else:
        names, values = [g for g, _, _ in clamped], [v for _, v, _ in clamped]

        def h_next(h, x, c, masks):
            one = {g: (v, m) for g, v, m in zip(names, values, masks, strict=True)} or None
            return spec.step(x[None], h[None], params, one)[0][0]

        masks = tuple(m for _, _, m in clamped)
        J = torch.func.vmap(torch.func.jacrev(h_next))(h_prev, xs, c_in, masks)  # (T, H, H)
    return torch.linalg.matrix_norm(J, ord=2).numpy()


def trace(
    model: SeqModel,
    x: Tensor,
    y: Tensor | None = None,
    mask: Tensor | None = None,
    grad_of: str | int = "final",
    clamps: tuple[GateClamp, ...] = (),
    jacobians: bool = True,
) -> Trace:
    """Replay ``x`` step by step; gradients are of the ``grad_of`` loss against ``y``.

    Without ``y`` the model's own predictions serve as targets (the loss of being right).
    ``grad_of``: "final" = loss at the last counted step, "total" = sum over steps (the
    sequence's negative log-likelihood), an int = the loss at that step.
    """
    cfg, spec = model.cfg, CELLS[model.cfg.cell]
    x = torch.as_tensor(x)
    _check(model, x, clamps)
    was_training = model.training
    model.eval()
    layers: list[LayerTrace] = []
    retained: list[tuple[list[Tensor], list[Tensor] | None]] = []
    with torch.enable_grad():
        inp = model.embed(x[None])  # (1, T, D)
        for k, layer in enumerate(model.layers):
            if cfg.pyramid and k > 0:
                inp = halve_time(inp)
            T = inp.shape[1]
            outs = []
            for d in range(cfg.directions):
                p = layer.params(d)
                ih = inp[0] @ p["weight_ih"].T + p["bias_ih"]  # W_ih x_t + b_ih for every t at once: (T, G*H)
                h0 = inp.new_zeros(1, cfg.hidden_size)
                state = (h0, h0) if spec.has_cell_state else h0
                hs, cs = [None] * T, [None] * T
                gates = {g: [None] * T for g in spec.gates}
                pre: dict[str, list] = {}
                prev_h, prev_c, step_masks = [None] * T, [None] * T, {}
                for t in range(T) if d == 0 else reversed(range(T)):
                    prev_h[t] = state[0] if spec.has_cell_state else state
                    prev_c[t] = state[1] if spec.has_cell_state else None
                    clamp = _clamps_at(clamps, k, d, t, cfg.hidden_size, h0)
                    for g, (_, mk) in (clamp or {}).items():
                        step_masks.setdefault(g, [torch.zeros(cfg.hidden_size, dtype=torch.bool)] * T)[t] = mk
                    state, g_t, pre_t = spec.step(inp[:, t], state, {**p, "ih": ih[t : t + 1]}, clamp)
                    h = state[0] if spec.has_cell_state else state
                    h.retain_grad()
                    hs[t] = h
                    if spec.has_cell_state:
                        state[1].retain_grad()
                        cs[t] = state[1]
                    for g in spec.gates:
                        gates[g][t] = g_t[g]
                    for g, v in pre_t.items():
                        pre.setdefault(g, [None] * T)[t] = v
                outs.append(torch.cat(hs, dim=0)[None])  # (1, T, H)
                retained.append((hs, cs if spec.has_cell_state else None))
                jac = None
                if jacobians:
                    value = {c.gate: c.value for c in clamps if c.layer == k and c.direction == d}
                    masks = [(g, value[g], torch.stack(m)) for g, m in step_masks.items()]
                    jac = _jacobian_norms(
                        spec,
                        p,
                        inp[0].detach(),
                        torch.cat(prev_h).detach(),
                        torch.cat(prev_c).detach() if spec.has_cell_state else None,
                        masks,
                    )
                layers.append(
                    LayerTrace(
                        layer=k,
                        direction=d,
                        x=inp[0].detach().numpy().copy(),
                        h=torch.cat(hs).detach().numpy(),
                        c=torch.cat(cs).detach().numpy() if spec.has_cell_state else None,
                        gates={g: torch.cat(v).detach().numpy() for g, v in gates.items()},
                        pre={g: torch.cat(v).detach().numpy() for g, v in pre.items()},
                        grad_h=None,
                        grad_h_norm=None,
                        grad_c=None,
                        grad_c_norm=None,
                        jac_norm=jac,
                        params={n: v.detach().numpy().copy() for n, v in p.items()},
                    )
                )
            inp = torch.cat(outs, dim=-1)
        top = inp  # (1, T', dirs*H)
        if cfg.head == "many_to_one":
            H = cfg.hidden_size
            top = torch.cat([top[:, -1, :H], top[:, 0, H:]], dim=-1) if cfg.bidirectional else top[:, -1]
        logits = model.head(top)[0]  # (T', O) or (O,)
        loss, loss_steps, targets = _loss(cfg, logits, y, mask, grad_of)
        model.zero_grad(set_to_none=True)
        loss.backward()
    model.zero_grad(set_to_none=True)
    model.train(was_training)
    for lt, (hs, cs) in zip(layers, retained, strict=True):
        lt.grad_h = torch.cat([h.grad if h.grad is not None else torch.zeros_like(h) for h in hs]).numpy()
        lt.grad_h_norm = np.linalg.norm(lt.grad_h, axis=-1)
        if cs is not None:
            lt.grad_c = torch.cat([c.grad if c.grad is not None else torch.zeros_like(c) for c in cs]).numpy()
            lt.grad_c_norm = np.linalg.norm(lt.grad_c, axis=-1)
    probs = torch.softmax(logits, -1).detach().numpy() if cfg.loss_kind == "ce" else None
    return Trace(
        cell=cfg.cell,
        head=cfg.head,
        layers=layers,
        logits=logits.detach().numpy(),
        probs=probs,
        targets=None if targets is None else targets.numpy(),
        loss_steps=loss_steps,
        loss=float(loss.detach()),
        grad_of=grad_of,
    )


def _loss(cfg, logits: Tensor, y, mask, grad_of):
    """The loss the gradients are of, the per-step losses, and the targets used."""
    if cfg.head == "many_to_one":
        if y is None:
            y = logits.detach().argmax() if cfg.loss_kind == "ce" else logits.detach()[0]
        y = torch.as_tensor(y)
        if cfg.loss_kind == "mse":
            return (logits[0] - y.to(logits.dtype)) ** 2, None, y
        return F.cross_entropy(logits[None], y.reshape(1)), None, y
    T = logits.shape[0]
    if y is None:
        y = logits.detach().argmax(-1)
    y = torch.as_tensor(y).reshape(T)
    if cfg.loss_kind == "mse":
        per = (logits[:, 0] - y.to(logits.dtype)) ** 2
    else:
        per = F.cross_entropy(logits, y, reduction="none")  # -log p(y_t | x_<=t)
    counted = torch.ones(T, dtype=torch.bool) if mask is None else torch.as_tensor(mask).reshape(T).bool()
    if not counted.any():
        raise InputError("no step of this sequence is counted by the loss")
    steps = per.detach().numpy().copy()
    steps[~counted.numpy()] = np.nan
    if grad_of == "total":
        loss = per[counted].sum()  # L = sum_t L_t
    elif grad_of == "final":
        loss = per[int(torch.nonzero(counted)[-1])]
    else:
        if not -T <= int(grad_of) < T:
            raise InputError(f"step {grad_of} is outside the sequence (0 to {T - 1})")
        loss = per[int(grad_of)]
    return loss, steps, y
