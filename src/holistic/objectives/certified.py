"""Certified (verified) training objective of SparseVLR, eq. (4), for any registered model.

SparseVLR (Kaur & Salekin) trains with Xu et al. (2020)'s objective
``L_train = sum max_{x in B(x0, eps)} CE(M(x), y)``, upper-bounded through the lower bounds
``m_i`` ``[G, B, K-1]`` of the margins ``z_y - z_i`` (i != y) over the ball ∩ box
(:mod:`holistic.verify`, eq. 3's specification): the robust cross-entropy

    L_rob = CE([0, -m_1, ..., -m_{K-1}], 0) = log(1 + sum_i exp(-m_i))               (4)

(auto_LiRPA ``examples/vision/simple_training.py``: the negated lower bounds, zero-padded,
with the fake label 0). The bound ``m`` is one of

* ``ibp``: interval bound propagation (Gowal et al. 2018);
* ``crown``: full CROWN (Zhang et al. 2018), CROWN intermediate bounds;
* ``crown-ibp``: the mixture of CROWN-IBP (Zhang et al. 2020) and IBP that the cited code trains
  with, ``m = beta * m_CROWN-IBP + (1 - beta) * m_IBP`` with

      beta_t = (eps_max - eps_t (1 - beta_final)) / eps_max                            (5)

  (beta_final = 0 in auto_LiRPA and in CROWN-IBP's defaults: CROWN-IBP at eps = 0, pure IBP
  once eps_t = eps_max; below beta = 1e-5 only IBP is computed, as auto_LiRPA does);
* ``crown-fast``: what the cited code's ``CROWN-FAST`` option computes: an IBP pass, then a
  backward CROWN pass that reuses IBP's intermediate bounds (auto_LiRPA keeps them on its nodes
  when ``compute_bounds`` is called again without inputs), i.e. CROWN-IBP without the mixing
  (beta = 1 throughout). The paper's Table 6 cites Fastened-CROWN (Lyu et al. 2020) for
  "CROWN-Fast", which optimises the relaxations per neuron; that is not implemented.

``train.certified.bound`` (null by default: each entry's own) replaces the bound of every entry,
e.g. ``ibp`` trains every certified method through IBP (a profile's choice, named by its study).

The natural loss enters as in the code SparseVLR follows (auto_LiRPA): while eps_t = 0 the
loss is the natural cross-entropy, afterwards the robust one alone. CROWN-IBP's own code mixes
instead, ``L = kappa_t CE + (1 - kappa_t) L_rob`` with kappa_t of eq. (5)'s form from 1 to
``kappa_final`` (``train.certified.kappa_final``; null: auto_LiRPA's switch).

eps_t follows the perturbation scheduler (:mod:`holistic.objectives.eps_schedule`) per
step: the trainer gets it from :meth:`Certified.at_step` (``hp["eps_t"]``); with the ``fixed``
schedule no per-step value is needed. The bounds of each model are computed on its own
(a loop over G, as :mod:`holistic.models.module` runs a CNN), so a model trains bitwise the
same alone and in a grid; gradients flow through the bounds to the parameters.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..verify.crown import crown_bounds, crown_ibp_bounds
from ..verify.ibp import ibp_bounds
from ..verify.layers import Layer, from_model
from ..verify.spec import input_set, specification
from ..train.pieces import piece_settings
from ..train.lr_decay import lr_factor
from .ce import per_sample_loss
from .eps_schedule import EpsSchedule

#: The training bounds (``Certified.bound``).
BOUND_KINDS = ("ibp", "crown", "crown-ibp", "crown-fast")

#: Below this beta_t only the IBP bound is computed (auto_LiRPA's ``factor < 1e-5``).
BETA_MIN = 1e-5

#: ``train.certified`` keys and their defaults: SparseVLR's MNIST protocol (App. A, (T, s, l) =
#: (100, 10, 60), eps 0.4) on auto_LiRPA's settings (smoothed schedule, mid 0.25, exponent 4;
#: StepLR(10, 0.5) once eps_max is reached; no clipping in simple_training).
#: ``bound``: null, each entry's own bound; a bound of :data:`BOUND_KINDS` replaces every entry's
#: (e.g. ``ibp``: every method trained through IBP).
DEFAULTS = {"eps": 0.4, "schedule": "smoothed", "start": 10, "length": 60, "mid": 0.25, "exponent": 4.0,
            "beta_final": 0.0, "kappa_final": None, "lr_decay": {"step_size": 10, "gamma": 0.5},
            "clip_grad_norm": None, "bound": None}


def robust_ce(m: Tensor) -> Tensor:
    """Eq. (4) per sample ``[G, B]`` from margin lower bounds ``m`` ``[G, B, K-1]``."""
    padded = torch.cat([m.new_zeros(*m.shape[:-1], 1), -m], dim=-1)
    return per_sample_loss(padded, torch.zeros(m.shape[:-1], dtype=torch.long, device=m.device))


def mixing_weight(eps_t: float, eps_max: float, final: float = 0.0) -> float:
    """Eq. (5): ``(eps_max - eps_t (1 - final)) / eps_max``, 1 at eps_t = 0, ``final`` at eps_max
    (CROWN-IBP's beta, and its kappa with ``final = kappa_final``)."""
    return (eps_max - eps_t * (1.0 - final)) / eps_max


def margin_lower_bounds(bound: str, layers: list[Layer], x: Tensor, y: Tensor, K: int, eps: float,
                        box: tuple[float, float] | None, beta: float = 1.0) -> Tensor:
    """``m`` ``[G, N, K-1]``: lower bounds of ``z_y - z_i`` (K logits) over
    ``{||x' - x||_inf <= eps} ∩ box`` under ``bound`` (:data:`BOUND_KINDS`; ``beta`` mixes
    ``crown-ibp``, eq. 5), differentiable with respect to the layers' parameters."""
    C = specification(y, K, x.dtype)
    lower, upper = input_set(x, eps, box)
    if bound == "ibp":
        return ibp_bounds(layers, lower, upper, C)
    if bound == "crown":
        return crown_bounds(layers, lower, upper, C)
    if bound == "crown-fast":
        return crown_ibp_bounds(layers, lower, upper, C)
    if bound != "crown-ibp":
        raise ValueError(f"unknown training bound {bound!r}; known: {', '.join(BOUND_KINDS)}")
    m_ibp = ibp_bounds(layers, lower, upper, C)
    if beta < BETA_MIN:
        return m_ibp
    return crown_ibp_bounds(layers, lower, upper, C) * beta + m_ibp * (1 - beta)


class Certified:
    """Registry entries ``certified`` (``crown-ibp``, SparseVLR's), ``certified_ibp``,
    ``certified_crown``, ``certified_crown_fast``: eq. (4) under one training bound, no grid
    axis; the rest from ``train.certified`` (:data:`DEFAULTS`, bound by :meth:`configured`).

    ``box``: the valid input range the ball is intersected with (the data's ``box``; images and
    min-max scaled tables [0, 1], as auto_LiRPA clips to the normalised [0, 1]; the registered
    entries assume [0, 1]). ``lr_decay`` and ``clip_grad_norm`` are trainer settings
    (:mod:`holistic.train.lr_decay`, :mod:`holistic.train.clip`), kept here so the job's key
    covers them. ``selection = "last"``: the trainer keeps the final epoch's weights, not the
    best validation accuracy's (``holistic.train.loop``).
    """

    axes: tuple[str, ...] = ()
    param_keys: tuple[str, ...] = ("train.certified",)
    uses_aux = False          # reads only the logits of the forward (the natural CE)
    input_gradients = True    # propagates K-1 specification rows per point (chunk sizing, as eq. 7's)
    selection = "last"        # the trainer keeps the last epoch's weights (SparseVLR reports the trained model)

    def __init__(self, bound: str = "crown-ibp", box: tuple[float, float] | None = (0.0, 1.0), **settings):
        if bound not in BOUND_KINDS:
            raise ValueError(f"unknown training bound {bound!r}; known: {', '.join(BOUND_KINDS)}")
        unknown = set(settings) - set(DEFAULTS)
        if unknown:
            raise ValueError(f"unknown train.certified keys {sorted(unknown)}; known: {', '.join(DEFAULTS)}")
        s = {**DEFAULTS, **settings}
        self.bound, self.box, self.settings = bound, box, s
        self.schedule = EpsSchedule(float(s["eps"]), s["schedule"], int(s["start"]), int(s["length"]),
                                    float(s["mid"]), float(s["exponent"]))
        self.eps_max, self.beta_final, self.kappa_final = float(s["eps"]), float(s["beta_final"]), s["kappa_final"]
        self.clip_grad_norm = None if s["clip_grad_norm"] is None else float(s["clip_grad_norm"])  # for the trainer

    def configured(self, settings: dict, box: tuple[float, float] | None) -> "Certified":
        """This entry's bound (or ``train.certified.bound`` where set) with the params section
        ``train.certified`` (``settings["certified"]``, the trainer's ``TrainConfig.settings``;
        optional) over :data:`DEFAULTS`, on the data's input ``box``."""
        s = piece_settings(settings, "certified", DEFAULTS)
        return Certified(s.pop("bound") or self.bound, box, **s)

    def at_step(self, hp: dict, epoch: int, step: int, steps_per_epoch: int) -> dict[str, Tensor]:
        """Per-step hyperparameters for the trainer to add to ``hp``: ``eps_t`` ``[G]`` (float64)."""
        G = len(hp["lr"])
        eps = self.schedule.eps(epoch, step, steps_per_epoch)
        return {"eps_t": torch.full((G,), eps, dtype=torch.float64, device=hp["lr"].device)}

    def eps_t(self, hp: dict, G: int) -> list[float]:
        """Each model's training radius at this step."""
        if "eps_t" in hp:
            return [float(e) for e in hp["eps_t"].tolist()]
        if self.schedule.kind == "fixed":
            return [self.eps_max] * G
        raise RuntimeError(f"the {self.schedule.kind!r} eps schedule needs eps_t per step: the trainer must "
                           "add Certified.at_step(hp, epoch, step, steps_per_epoch) to hp")

    def per_sample(self, model, params: dict, x: Tensor, y: Tensor, hp: dict, out, reference: bool = False) -> Tensor:
        """``[G, B]``: natural CE while eps_t = 0, else eq. (4) (or kappa's mixture); model g's
        bound from its own parameters ``params[n][g]``."""
        z = out[0]
        G, K = z.shape[0], z.shape[-1]
        natural = per_sample_loss(z, y)
        rows = []
        for g, eps in enumerate(self.eps_t(hp, G)):
            kappa = (1.0 if eps == 0 else 0.0) if self.kappa_final is None else \
                mixing_weight(eps, self.eps_max, float(self.kappa_final))
            if kappa == 1.0:
                rows.append(natural[g])
                continue
            layers = from_model(model, {n: p[g:g + 1] for n, p in params.items()}, tuple(x.shape[2:]), K)
            beta = mixing_weight(eps, self.eps_max, self.beta_final)
            m = margin_lower_bounds(self.bound, layers, x[g:g + 1], y[g:g + 1], K, eps, self.box, beta)
            robust = robust_ce(m)[0]
            rows.append(robust if kappa == 0.0 else kappa * natural[g] + (1 - kappa) * robust)
        return torch.stack(rows)

    def lr_factor(self, epoch: int, steps_per_epoch: int) -> float:
        """The learning-rate factor of epoch ``epoch`` (eq. A.1 of :mod:`holistic.train.lr_decay`;
        1 when ``lr_decay`` is null)."""
        decay = self.settings["lr_decay"]
        if not decay:
            return 1.0
        return lr_factor(epoch, self.schedule, steps_per_epoch, int(decay["step_size"]), float(decay["gamma"]))
