"""Per-model evaluation: natural accuracy, every attack of the suite at each radius, verified
accuracy under each bound, sparsity of the weights and of the activations; as tidy records
(``holistic.records.evals``: one row per metric, attack, norm, eps and part).

Rows of one model (values in percent unless said otherwise):

- ``accuracy``, attack ``none``: natural accuracy, on ``val`` and ``test``;
- ``accuracy``, a budgeted attack (``pgd``, ``ensemble``, ``fgsm``, ...), norm, eps: the
  accuracy at the attack's points; an ensemble adds ``ensemble:<member>``, the accuracy after
  that member (robust under it and every earlier one, as AutoAttack reports it);
- ``r2``, a minimal L2 attack (``deepfool``, ``cw``): Guo et al.'s r_2, the mean of
  ``1[correct] * ||delta||_2`` (a misclassified point counts 0, as defined; ``||delta||_2`` times
  the attack's ``distance_scale``, e.g. DeepFool's distance without its overshoot), with
  ``failures``: the number of correctly classified points on which the attack found no
  adversarial point. How a failure enters the mean is the attack's ``failed`` setting
  (:func:`r2`): ``exclude`` (the default) leaves it out of the mean and its denominator (never
  counted as 0), ``returned`` keeps every point, as eq. (1) averages over all points, a failure at
  the distance of the point the attack returned; no ``r2`` row where the mean is undefined
  (``exclude``: every correctly classified point failed and none was misclassified);
- ``verified_accuracy``, attack = the bound (``ibp``, ``crown``, ...), eps, ``test``: the share
  of all the test points whose margins are certified positive over the eps-ball ∩ box, computed
  on every point whatever the attacks found (independent of the suite);
- ``unsound``, attack = the bound, eps, ``test``: the number of test points the bound certifies
  but that are misclassified or broken by a budgeted attack run on every point (the attacks
  other than the ensembles): 0 for a sound bound; a positive count says the bound or an attack
  is wrong (recorded, not an error, so that every model is measured and checked); an attack
  without the box (``box = False``: ``fgsm-nobox``, ``rfgsm-nobox``) leaves the eps-ball ∩ box the
  bounds certify, so its points count in neither ``unsound`` nor the ensembles' robust points;
- ``sparsity`` (zero connections), ``channel_sparsity`` (Dinh et al.'s input groups of norm
  < 1e-15, ``part`` ``model``) and ``activation_sparsity`` (zero ReLU outputs on the test points;
  ``last_activation_sparsity``: of the last ReLU only, Guo et al.'s "sparsity (a)").

A model without a layer description (``holistic.verify.layers.from_model``: the residual nets,
which are not ``nn.Sequential``) gets no ``verified_accuracy`` and no ``activation_sparsity``
rows (not measured, never 0): profiles of such models set ``attack.verify: []``. An attack
with ``needs_noise`` (``eot-ifgsm``) runs only on noise-injected models with the noise on.

A noise-injected model (``model.noisy``: Dinh et al.'s En_n nets, ``holistic.models.noise``) is
measured twice: every row above with the noise off (the rows' usual names), then, with the
noise on (one generator per model, seeded from ``attack.seed``), the natural accuracy and every
budgeted attack other than the ensembles on the same points, as ``accuracy`` rows whose attack
carries :data:`NOISE_SUFFIX` (``none@noise``, ``ifgsm@noise``, ``eot-ifgsm@noise``). With the noise
on, the clean pass and each attack draw different noise, so a point counts as robust when it is
classified correctly in both (natural >= robust then holds per point, as without noise).

Order, per part and radius: the budgeted attacks other than ensembles (``pgd``, ``fgsm``),
then on the test points each reported bound on every point (its ``verified_accuracy`` and
``unsound`` rows), on the validation points the cheap :data:`PRUNING_BOUNDS` (not reported) on
the points those attacks left robust only (they serve only to spare the ensembles work), then
each ensemble on the points still robust and not certified by any bound of the part (a
certified point is counted robust unattacked; a certified point that is broken or
misclassified is not robust and stays so). The ensemble's accuracy is therefore the worst case
over every budgeted attack run on that part and its members. Nothing forces the order of the
reported numbers: with a sound bound natural >= ensemble >= verified holds per point (a
certified point is correctly classified and no attack breaks it), and it is checked, not
assumed, by :mod:`holistic.fidelity.invariants` on the eval files; an unsound bound shows as a
positive ``unsound`` count and as verified > robust accuracy.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ..attacks.ensemble import WorstCase, worst_case
from ..data.stacked import SplitTensors
from ..models import noise
from ..verify import bounds as margin_bounds
from ..verify.crown import supported as crown_supported
from ..verify.layers import ReLU, activations, from_model
from .metrics import NOISE_SUFFIX, channel_sparsity_percent, input_axis, share_percent, sparsity_percent

ROWS_PER_CALL = 2048
#: Floats of one minimal attack's input chunk ``[G, rows, *features]`` (8 MiB). C&W and DeepFool
#: allocate many temporaries of that size each step; above glibc's mmap threshold (32 MiB) each
#: is mapped and zeroed afresh, which cost C&W on 26 linear models x 500 MNIST points 4x its time
#: in system calls. Measured side by side in ``bench/attack_chunks.py``.
ATTACK_FLOATS = 2**21
VERIFY_ROWS = 256  # points per bound pass (CROWN's backward matrices grow with the points)
#: Cheap bounds that spare the ensembles the certified validation points (not reported;
#: IBP alone where CROWN-IBP cannot bound the network, e.g. max-pooling).
PRUNING_BOUNDS = ("ibp", "crown-ibp")
#: Offset of the evaluation's noise seeds from its attack seeds (independent streams).
NOISE_SEED = 7_919


def is_noisy(model, data: SplitTensors) -> bool:
    """Whether ``model`` draws noise (``model.noisy(input_shape, k)``, :mod:`holistic.models.noise`)."""
    noisy = getattr(model, "noisy", None)
    return bool(noisy and noisy(data.input_shape, data.k))


def layer_form(model, params: dict[str, Tensor], data: SplitTensors):
    """The model's layers for the bounds (:func:`holistic.verify.layers.from_model`), or None for
    a model that has none (not an MLP nor a ``nn.Sequential`` module: the residual nets)."""
    try:
        return from_model(model, params, data.input_shape, data.k)
    except ValueError:
        return None


def _runs(attack, noise_on: bool) -> bool:
    """Whether a budgeted attack runs in a pass: with the noise on, every one but the ensembles;
    otherwise every one but those that need noise (EOT)."""
    if noise_on:
        return not isinstance(attack, WorstCase)
    return not getattr(attack, "needs_noise", False)


def _rows(N: int, chunk: int):
    return [slice(s, s + chunk) for s in range(0, N, chunk)]


def attacked_correct(f, X: Tensor, y: Tensor, attack, eps: float, box, generator,
                     chunk: int = ROWS_PER_CALL, robust: Tensor | None = None,
                     certified: Tensor | None = None) -> dict[str, Tensor]:
    """``{name: correct [G, N] bool}`` at a budgeted attack's points, attacking N in chunks to
    bound memory: ``""`` for the attack itself, and each member's name for an ensemble (the
    points left robust after that member and the earlier ones; ``robust`` and ``certified``
    as :func:`holistic.attacks.ensemble.worst_case` takes them)."""
    parts: dict[str, list[Tensor]] = {}
    for rows in _rows(X.shape[1], chunk):
        xc, yc = X[:, rows], y[:, rows]
        if isinstance(attack, WorstCase):
            _, after = worst_case(f, xc, yc, attack.members, eps, box, generator,
                                  None if robust is None else robust[:, rows],
                                  None if certified is None else certified[:, rows])
            for name, ok in after.items():
                parts.setdefault(name, []).append(ok)
            parts.setdefault("", []).append(list(after.values())[-1])  # robust after every member
            continue
        x_adv = attack(f, xc, yc, eps, box, generator)
        with torch.no_grad():
            parts.setdefault("", []).append(f(x_adv).argmax(-1) == yc)
    return {name: torch.cat(v, dim=1) for name, v in parts.items()}


def attack_rows(X: Tensor, floats: int = ATTACK_FLOATS) -> int:
    """Points per call of a minimal attack on inputs X ``[G, N, ...]``: the most that keep one
    chunk's input within ``floats`` (at least 16, at most :data:`ROWS_PER_CALL`)."""
    per_row = X.shape[0] * math.prod(X.shape[2:])
    return max(16, min(ROWS_PER_CALL, floats // max(per_row, 1)))


def minimal_distances(f, X: Tensor, y: Tensor, attack, box, generator,
                      chunk: int | None = None) -> tuple[Tensor, Tensor]:
    """``(||delta||_2 [G, N], success [G, N] bool)`` of a minimal L2 attack, in chunks of N
    (``chunk`` points, :func:`attack_rows` by default; a point's distance depends on the chunk only
    in float rounding, its success flag only where it ends on a logit tie). The distance is
    ``||x_adv - x||_2`` times the attack's ``distance_scale`` where it has one other than 1
    (DeepFool's ``distance: boundary``: ``1 / (1 + overshoot)``)."""
    dist, ok = [], []
    scale = float(getattr(attack, "distance_scale", 1.0))
    for rows in _rows(X.shape[1], chunk or attack_rows(X)):
        x_adv, success = attack(f, X[:, rows], y[:, rows], None, box, generator)
        d = (x_adv - X[:, rows]).flatten(2).norm(dim=-1)
        dist.append(d if scale == 1.0 else d * scale)
        ok.append(success)
    return torch.cat(dist, dim=1), torch.cat(ok, dim=1)


def r2(dist: Tensor, success: Tensor, correct: Tensor, failed: str = "exclude") -> tuple[Tensor, Tensor]:
    """Guo et al.'s ``r_2`` ``[G]`` and the failures ``[G]`` (float64), of the distances ``[G, N]``
    of the points the attack returned; a failure is a correctly classified point without an
    adversarial point (misclassified points count 0 by the definition).

    ``failed``: ``exclude``: ``r_2 = sum_{i not failed} 1[correct_i] ||delta_i||_2 / #{i : not
    failed}``, NaN when every correctly classified point failed and none was misclassified;
    ``returned``: eq. (1) over all N points, ``r_2 = sum_i 1[correct_i] ||delta_i||_2 / N``, a
    failed point at the distance of the point returned (DeepFool's last iterate, C&W's last
    iterate of its largest c: not a minimal distance, so the failures are counted beside it).
    """
    fails = correct & ~success
    if failed == "returned":
        total = torch.where(correct, dist, torch.zeros_like(dist)).to(torch.float64).sum(dim=1)
        return total / dist.shape[1], fails.sum(dim=1).to(torch.float64)
    if failed != "exclude":
        raise ValueError(f"r_2: failed {failed!r}, not one of exclude, returned")
    used = ~fails
    total = torch.where(correct & success, dist, torch.zeros_like(dist)).to(torch.float64).sum(dim=1)
    return total / used.sum(dim=1).to(torch.float64), fails.sum(dim=1).to(torch.float64)


def activation_sparsity(layers, X: Tensor, chunk: int = ROWS_PER_CALL, last: bool = False) -> Tensor:
    """Percentage of ReLU outputs exactly 0 over the points X ``[G, N, ...]``, per model ``[G]``
    (``last``: of the last ReLU only, the units feeding the last layer: Guo et al.'s "sparsity (a)")."""
    zeros = torch.zeros(X.shape[0], dtype=torch.float64)
    total = 0
    with torch.no_grad():
        for rows in _rows(X.shape[1], chunk):
            acts = activations(layers, X[:, rows])
            acts = acts[-1:] if last else acts
            zeros += sum((a == 0).flatten(1).sum(dim=1) for a in acts).to(torch.float64).cpu()
            total += sum(a[0].numel() for a in acts)
    return 100.0 * zeros / max(total, 1)


def verified(bound: str, layers, X: Tensor, y: Tensor, eps: float, box, among: Tensor | None = None) -> Tensor:
    """Which points ``[G, N]`` ``bound`` certifies at radius eps (all K-1 margin lower bounds
    > 0, which implies a correct classification at x), computed on every point (all columns of
    X, :data:`VERIFY_ROWS` points per pass): the reported verified accuracy, independent of any
    attack.

    ``among`` ``[G, N]`` (the validation points' pruning bounds only, never reported): compute
    only the columns where some model's point is in ``among`` (the points the attacks left
    robust) and return the certified points among them; used only to spare the ensembles work.
    """
    if among is None:
        if X.shape[1] == 0:
            return torch.zeros(y.shape, dtype=torch.bool, device=y.device)
        return (margin_bounds(bound, layers, X, y, eps, box, chunk=VERIFY_ROWS) > 0).all(dim=-1)
    out = torch.zeros_like(among)
    idx = among.any(dim=0).nonzero().squeeze(1)
    if len(idx):
        lower = margin_bounds(bound, layers, X[:, idx], y[:, idx], eps, box, chunk=VERIFY_ROWS)
        out[:, idx] = (lower > 0).all(dim=-1) & among[:, idx]
    return out


def unsound(certified: Tensor, robust: Tensor) -> Tensor:
    """Per model ``[G]`` (float64, on the CPU): the points certified (``[G, N]``) but not robust
    (misclassified, or broken by an attack that ran on them); 0 for a sound bound."""
    return (certified & ~robust).sum(dim=1).to(torch.float64).cpu()


def models_per_eval_chunk(data: SplitTensors, model, budget_mb: float, rows: int = ROWS_PER_CALL) -> int:
    """How many models' evaluations fit in ``budget_mb`` at once (at least one)."""
    M, K = data.n_features, data.k
    _, width = model.memory_floats(data.input_shape, K, rows)
    n = data.X_val.shape[1] + data.X_test.shape[1]
    floats = n * (M + 1) + rows * 4 * width  # the model's copy of the data, one attack chunk
    return max(1, int(budget_mb * 2**20) // (4 * floats))


def measurements(suite: list[tuple[str, object, tuple[str, ...]]], eps: list[float], bounds: tuple[str, ...],
                 noisy: bool = False) -> int:
    """The progress units of one model's evaluation (``progress`` of :func:`evaluate_models`):
    each minimal attack per part; per part and radius each budgeted attack, the bound pass
    (the reported bounds on the test points, the pruning bounds on the validation points)
    and each ensemble; for a ``noisy`` model also the noise-on pass's budgeted attacks."""
    minimal = sum(len(parts) for _, attack, parts in suite if not attack.budgeted)
    per_radius = sum(len(parts) for _, attack, parts in suite if attack.budgeted and _runs(attack, False))
    passes = (1 if bounds else 0) + 1  # test: the reported bounds (if any); val: the pruning bounds
    on = sum(len(parts) for _, attack, parts in suite if attack.budgeted and _runs(attack, True)) if noisy else 0
    return minimal + len(eps) * (per_radius + passes + on)


def evaluate_models(model, params: dict[str, Tensor], data: SplitTensors, split: Tensor,
                    suite: list[tuple[str, object, tuple[str, ...]]], eps: list[float], seed: int,
                    models_per_call: int | None = None, bounds: tuple[str, ...] = (),
                    progress=None) -> list[list[dict]]:
    """Tidy rows of each of the G models; model g is evaluated on split ``split[g]``.

    ``suite`` lists ``(name, attack, parts)``: each attack runs on the given parts (``val``,
    ``test``), a budgeted one at every radius of ``eps``; ``bounds`` (registered in
    ``holistic.verify``) certify the test points at every radius. Models are evaluated
    ``models_per_call`` at a time (all by default); each model's random starts come from its
    own generator, seeded by ``seed`` and its index, so the chunking never changes a result.
    ``progress`` (``holistic.progress.Progress``) counts models x :func:`measurements`.
    """
    G = len(split)
    size = models_per_call or G
    noisy = is_noisy(model, data)
    rows = []
    for start in range(0, G, size):
        sl = slice(start, start + size)
        models = range(start, min(G, start + size))
        chunk = {n: p[sl] for n, p in params.items()}
        gens = [torch.Generator().manual_seed(1_000_003 * seed + g) for g in models]
        if not noisy:
            rows += _evaluate_chunk(model, chunk, data, split[sl], suite, eps, gens, bounds, progress)
            continue
        with noise.off():
            off = _evaluate_chunk(model, chunk, data, split[sl], suite, eps, gens, bounds, progress)
        gens = [torch.Generator().manual_seed(1_000_003 * seed + g) for g in models]
        draws = [torch.Generator().manual_seed(1_000_003 * seed + g + NOISE_SEED) for g in models]
        with noise.sampling(draws):
            on = _evaluate_chunk(model, chunk, data, split[sl], suite, eps, gens, (), progress, noise_on=True)
        rows += [a + [{**r, "attack": r["attack"] + NOISE_SUFFIX} for r in b if r["metric"] == "accuracy"]
                 for a, b in zip(off, on)]
    return rows


def _evaluate_chunk(model, params, data: SplitTensors, split: Tensor, suite, eps, gens,
                    bounds, progress=None, noise_on: bool = False) -> list[list[dict]]:
    """Per part and radius: the budgeted attacks (suite order), then the bounds (on the test
    points every point, with the ``unsound`` count; on the validation points the pruning bounds
    on the points the attacks left robust), then the ensembles on the points still robust and
    not certified.
    ``noise_on`` (a noisy model's second pass): natural accuracy and the budgeted attacks only."""
    f = lambda x: model.forward(params, x)[0]  # noqa: E731
    done = (lambda: None) if progress is None else (lambda: progress.update(len(split)))  # noqa: E731
    sets = {"val": (data.X_val[split], data.y_val[split]), "test": (data.X_test[split], data.y_test[split])}
    layers = None if noise_on else layer_form(model, params, data)
    asked = bool(bounds)  # the progress counts the bound pass even where the model has no bounds
    if layers is None:
        bounds, pruning = (), ()
    else:
        pruning = PRUNING_BOUNDS if crown_supported(layers) else ("ibp",)
    columns = []  # (row template, [G] values)
    correct = {}
    for part, (X, y) in sets.items():
        correct[part] = model.predict(params, X) == y
        columns.append((_row("accuracy", "none", None, None, part), share_percent(correct[part])))
    for name, attack, parts in suite:
        if attack.budgeted or noise_on:
            continue
        for part in parts:
            X, y = sets[part]
            dist, success = minimal_distances(f, X, y, attack, data.box, gens)
            value, failures = r2(dist, success, correct[part], getattr(attack, "failed", "exclude"))
            columns.append((_row("r2", name, attack.norm, None, part), value))
            columns.append((_row("failures", name, attack.norm, None, part), failures))
            done()
    for part, (X, y) in sets.items():
        for e in map(float, eps):
            robust = correct[part]
            for name, attack, parts in suite:
                if attack.budgeted and part in parts and not isinstance(attack, WorstCase) \
                        and _runs(attack, noise_on):
                    ok = attacked_correct(f, X, y, attack, e, data.box, gens)[""]
                    if noise_on:  # the clean and the attacked pass draw different noise: robust needs both
                        ok = ok & correct[part]
                    columns.append((_row("accuracy", name, attack.norm, e, part), share_percent(ok)))
                    if getattr(attack, "box", True):  # an unboxed attack's points leave the certified set
                        robust = robust & ok
                    done()
            certified = torch.zeros_like(robust)
            for bound in bounds if part == "test" else pruning:
                if part == "test":  # reported: every point, whatever the attacks found
                    cert = verified(bound, layers, X, y, e, data.box)
                    columns.append((_row("verified_accuracy", bound, "inf", e, part), share_percent(cert)))
                    columns.append((_row("unsound", bound, "inf", e, part), unsound(cert, robust)))
                else:  # pruning only: the robust points
                    cert = verified(bound, layers, X, y, e, data.box, among=robust)
                certified = certified | cert
            if noise_on:
                continue
            if asked or part != "test":
                done()
            for name, attack, parts in suite:
                if part in parts and isinstance(attack, WorstCase):
                    ok = attacked_correct(f, X, y, attack, e, data.box, gens, robust=robust,
                                          certified=certified & robust)
                    for member, mask in ok.items():
                        label = name if not member else f"{name}:{member}"
                        columns.append((_row("accuracy", label, attack.norm, e, part), share_percent(mask)))
                    done()
    names = model.prunable(params)
    prunable = [params[n] for n in names]
    columns.append((_row("sparsity", "none", None, None, "model"), sparsity_percent(prunable)))
    columns.append((_row("channel_sparsity", "none", None, None, "model"),
                    channel_sparsity_percent(prunable, [input_axis(n) for n in names])))
    if layers is not None and any(isinstance(layer, ReLU) for layer in layers):  # a linear model has no ReLU
        columns.append((_row("activation_sparsity", "none", None, None, "test"),
                        activation_sparsity(layers, sets["test"][0])))
        columns.append((_row("last_activation_sparsity", "none", None, None, "test"),
                        activation_sparsity(layers, sets["test"][0], last=True)))
    # an undefined value (r_2 where the attack failed on every correctly classified point) has no row
    return [[{**row, "value": float(v[g])} for row, v in columns if not math.isnan(float(v[g]))]
            for g in range(len(split))]


def _row(metric: str, attack: str, norm: str | None, eps: float | None, part: str) -> dict:
    return {"metric": metric, "attack": attack, "norm": norm, "eps": eps, "part": part}
