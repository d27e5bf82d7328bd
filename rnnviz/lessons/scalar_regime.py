"""Lesson 4, section 1: what the scalar chain's factors f_t = ds_t/ds_{t-1} = w_h (1 - s_t^2) do to
their product ds_T/ds_0 = prod_t f_t, said in words chosen by the factors themselves.

- every |f_t| exactly 1 (w_h = +-1 with s_t = 0): the product stays at +-1;
- some |f_t| > 1: the product can grow;
- every |f_t| <= q < 1 with q bounded away from 1: |product| <= q^t, at least geometric decay;
- every |f_t| <= 1 but creeping up to 1 (w_h = +-1, the state decaying to 0 so 1 - s_t^2 -> 1):
  the product falls like a power of t, slower than any geometric rate.

>>> from rnnviz.lessons.gradients import ScalarConfig, scalar_chain
>>> chain_regime(scalar_chain(ScalarConfig(w_h=1.0, x=0.0))).kind
'exactly one'
>>> chain_regime(scalar_chain(ScalarConfig(w_h=1.0, x=1.0, steps=150))).kind   # s_t ~ (3 / 2t)^(1/2)
'power law'
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

EXACT = 1e-12  # |f_t| within this of 1 counts as exactly 1
NEAR_ONE = 0.2  # a last factor within this of 1 ...
LIMIT = 0.25  # ... whose gap to 1, extrapolated to t -> oo from T/2 and T, is below LIMIT x its gap at T


@dataclass(frozen=True)
class ChainRegime:
    kind: str  # "exactly one" | "grows" | "never grows" | "geometric" | "power law"
    largest: float  # max_t |f_t|
    last: float  # |f_T|
    exponent: float  # k in |product| ~ t^k, fitted between T/2 and T (NaN when T < 4)
    smallest: float = 0.0  # min_t |f_t|
    above: int = 0  # how many |f_t| > 1
    steps: int = 0  # T
    limit: float = 1.0  # |w_h|: where the factors go when the state decays to 0

    def _limit(self) -> str:
        return "1" if self.limit == 1 else f"$|w_h| = {self.limit:g}$"

    def sentence(self) -> str:
        """Markdown for the page: what the factors do to the product."""
        if self.kind == "exactly one":
            return (
                "Every factor $|w_h|(1 - s_t^2)$ is **exactly 1** here ($s_t$ stays 0, so $1 - s_t^2 = 1$, "
                "and $|w_h| = 1$): the product stays at $\\pm 1$, it neither vanishes nor explodes."
            )
        if self.kind == "grows" and self.above == self.steps:
            return (
                f"Every factor $|w_h|(1 - s_t^2)$ is at least {self.smallest:.3f}, above 1, so "
                f"$|\\partial s_t / \\partial s_0| \\ge {self.smallest:.3f}^t$: the product **explodes**."
            )
        if self.kind == "grows":
            return (
                f"{self.above} of the {self.steps} factors exceed 1 (the largest is "
                f"{self.largest:.3f}), so the "
                f"product **grows** over those steps; over the other {self.steps - self.above} it shrinks, "
                "where the state is near saturation and $1 - s_t^2$ is small."
            )
        if self.kind == "never grows":
            return (
                "No factor exceeds 1 in size and some are exactly 1, so $|\\partial s_t / \\partial s_0|$ "
                "never grows: it stays put over the factors equal to 1 and falls over the others."
            )
        if self.kind == "geometric":
            return (
                f"Every factor $|w_h|(1 - s_t^2)$ is at most {self.largest:.3f}, below 1, so "
                f"$|\\partial s_t / \\partial s_0| \\le {self.largest:.3f}^t$: the product **vanishes** "
                f"at least "
                "geometrically."
            )
        return (
            f"No factor exceeds 1, but they creep up towards {self._limit()} (the last is {self.last:.4f}): "
            "the state decays towards 0, so $1 - s_t^2 \\to 1$. Then the product falls like a **power "
            "of t** (about "
            f"$t^{{{self.exponent:.1f}}}$ over the second half), not at a fixed geometric rate"
            + (
                ": with $|w_h| = 1$ the factors keep approaching 1, so no fixed $q < 1$ bounds them all "
                "as $T$ grows."
                if self.limit == 1
                else "."
            )
        )


def _creeps_to_one(gap_T: float, gap_half: float) -> bool:
    """The gap 1 - |f_t| narrows towards 0 (not to a floor): a gap ~ c / t gives 2 gap_T - gap_half = 0."""
    return 0 < gap_T < min(NEAR_ONE, gap_half) and 2 * gap_T - gap_half <= LIMIT * gap_T


def chain_regime(chain, w_h: float | None = None) -> ChainRegime:
    """Classify the factors ``chain.step`` (T,) of a ``ScalarChain`` run with weight ``w_h``."""
    f = np.abs(np.asarray(chain.step, dtype=np.float64))
    p = np.abs(np.asarray(chain.product, dtype=np.float64))
    T = len(f)
    largest, last = float(f.max()), float(f[-1])
    exponent = float("nan")
    if T >= 4 and p[T // 2 - 1] > 0 and p[-1] > 0:
        # |product| ~ t^k  =>  k = log(|P_T| / |P_{T/2}|) / log(T / (T/2))
        exponent = math.log(p[-1] / p[T // 2 - 1]) / math.log(T / (T // 2))
    if np.all(np.abs(f - 1) <= EXACT):
        kind = "exactly one"
    elif largest > 1 + EXACT:
        kind = "grows"
    elif T >= 8 and np.all(np.diff(f[T // 2 - 1 :]) >= 0) and _creeps_to_one(1 - last, 1 - f[T // 2 - 1]):
        kind = "power law"
    elif largest >= 1 - EXACT:
        kind = "never grows"
    else:
        kind = "geometric"
    limit = 1.0 if w_h is None or abs(abs(w_h) - 1) <= EXACT else abs(float(w_h))
    above = int(np.sum(f > 1 + EXACT))
    return ChainRegime(kind, largest, last, exponent, float(f.min()), above, T, limit)


def chain_sentence(chain, w_h: float) -> str:
    """The chain's result in words: ds_T/ds_0, its geometric mean per step, and the regime."""
    T = len(chain.product)
    final = float(chain.product[-1])
    per_step = abs(final) ** (1 / T) if final else 0.0  # |ds_T/ds_0|^(1/T)
    return (
        f"After $T = {T}$ steps, $\\partial s_T / \\partial s_0 = {final:.3g}$: on average each step "
        f"multiplied its size by {per_step:.3f}. " + chain_regime(chain, w_h).sentence()
    )
