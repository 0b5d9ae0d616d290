"""The perturbation scheduler eps-Scheduler(eps_max, t, s, l) of SparseVLR (App. B.1, Alg. 1 line 4).

The training radius starts at 0 and ramps to eps_max over ``l`` epochs from epoch ``s``,
updated at every minibatch, as in the code SparseVLR follows (auto_LiRPA
``auto_LiRPA/eps_scheduler.py``, used by ``examples/vision/simple_training.py``). In terms of
the global step ``k = epoch * E + step`` (0-based, ``E`` steps per epoch) and the ramp's
first and last steps

    k_0 = (s - 1) E,        k_1 = (s + l - 1) E                                     (B.1)

(``s`` counts epochs from 1, as auto_LiRPA's ``start``: with s = 1 the ramp starts at once;
the first s - 1 epochs train at eps = 0, i.e. naturally), the schedules are

* ``linear`` (``LinearScheduler``): eps(k) = eps_max (k - k_0) / (k_1 - k_0), clipped to [0, eps_max];
* ``smoothed`` (``SmoothedScheduler``, DeepMind's IBP schedule): polynomial
  ``alpha (k - k_0)^beta`` (exponent beta = 4) up to the mid step
  ``k_m = floor((k_1 - k_0) mid) + k_0`` (mid = 0.25; 0.4 in auto_LiRPA's cifar_training), then
  linear to eps_max at k_1; alpha makes the two pieces meet with the same slope at k_m:
  ``alpha = eps_max / ((k_1 - k_m) beta (k_m - k_0)^(beta-1) + (k_m - k_0)^beta)``;
* ``fixed`` (``FixedScheduler``): eps_max at every step (auto_LiRPA's verification mode).

Values are Python floats (the same for every model of a grid, and for a model alone).
Where ``(k_1 - k_0) mid < 1`` (a ramp too short for its polynomial part) auto_LiRPA would
divide by zero; here the ramp is then linear from k_0.
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("smoothed", "linear", "fixed")


def ramp_steps(s: int, l: int, E: int) -> tuple[int, int]:
    """Eq. (B.1): the global steps ``(k_0, k_1)`` where the ramp leaves 0 and reaches eps_max."""
    return (s - 1) * E, (s + l - 1) * E


def linear_eps(k: int, k0: int, k1: int, eps_max: float) -> float:
    """The linear ramp at global step k: 0 up to k_0, eps_max from k_1."""
    if k <= k0:
        return 0.0
    return min(eps_max * (k - k0) / (k1 - k0), eps_max)


def smoothed_eps(k: int, k0: int, k1: int, eps_max: float, mid: float = 0.25, beta: float = 4.0) -> float:
    """auto_LiRPA's ``SmoothedScheduler`` at global step k: ``alpha (k - k_0)^beta`` up to k_m,
    then linear to eps_max at k_1 (module docstring)."""
    km = int((k1 - k0) * mid) + k0
    if km == k0:
        return linear_eps(k, k0, k1, eps_max)
    if k <= k0:
        return 0.0
    t = (km - k0) ** (beta - 1.0)
    alpha = eps_max / ((k1 - km) * beta * t + (km - k0) * t)
    if k < km:
        return alpha * float(k - k0) ** beta
    eps_mid = alpha * (km - k0) ** beta
    return min(eps_mid + (eps_max - eps_mid) * (k - km) / (k1 - km), eps_max)


@dataclass(frozen=True)
class EpsSchedule:
    """eps-Scheduler(eps_max, t, s, l): ``kind`` in :data:`KINDS`, ``start`` = s (epochs from 1),
    ``length`` = l epochs, ``mid`` and ``exponent`` of the smoothed ramp."""

    eps_max: float
    kind: str = "smoothed"
    start: int = 1
    length: int = 1
    mid: float = 0.25
    exponent: float = 4.0

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown eps schedule {self.kind!r}; known: {', '.join(KINDS)}")
        if self.start < 1 or self.length < 1:
            raise ValueError(f"eps schedule needs start >= 1 and length >= 1, got {self.start}, {self.length}")

    def eps(self, epoch: int, step: int, E: int) -> float:
        """eps_t at step ``step`` (0-based) of epoch ``epoch`` (0-based), E steps per epoch."""
        if self.kind == "fixed":
            return float(self.eps_max)
        k0, k1 = ramp_steps(self.start, self.length, E)
        k = epoch * E + step
        if self.kind == "linear":
            return linear_eps(k, k0, k1, self.eps_max)
        return smoothed_eps(k, k0, k1, self.eps_max, self.mid, self.exponent)

    def eps_before_epoch(self, epoch: int, E: int) -> float:
        """The radius of the step before epoch ``epoch``'s first (0 before any step): what
        auto_LiRPA's scheduler holds when its training script checks ``reached_max_eps``."""
        if self.kind == "fixed":
            return float(self.eps_max)
        return 0.0 if epoch == 0 else self.eps(epoch - 1, E - 1, E)
