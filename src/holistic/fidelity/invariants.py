"""Invariants of every model's measurements, checked (never assumed) on a study's tidy eval
records (:func:`holistic.records.evals.tidy_rows`: one row per dataset, method, config_id,
split, a round model's ``round``, metric, attack, eps, part and value).

Per model (every distinct value of :func:`model_keys`), each invariant whose rows the model has:

- ``natural>=robust``: on the test points, the natural accuracy >= every robust accuracy at
  every radius: a worst-case ensemble's and each of its members' (``ensemble``,
  ``ensemble:<member>``: a point counts only if it is classified correctly and no attack breaks
  it) and every noise-on attack's (``<attack>@noise``, :data:`NOISE_SUFFIX`, robust only where the
  clean pass is correct too), against the noise-on natural accuracy ``none@noise``. A single
  budgeted attack's row (``pgd``, ``fgsm``, ...) is the accuracy at the attack's points as the
  papers define it (Guo et al.'s r_inf, eq. 1: ``E[1{y = argmax f(x_adv)}]``), where a
  misclassified point the attack happens to move back counts: it may exceed the natural
  accuracy and is not compared with it;
- ``robust>=verified``: on the test points, at each radius, the worst accuracy measured (the
  lowest of the natural accuracy and every noise-off attack's accuracy at that radius, the
  attacks without the input box apart: :func:`in_box`) >=
  every bound's ``verified_accuracy`` (a certified point is correctly classified and no attack
  can break it; :mod:`holistic.evaluation.run` computes the bounds on every point, independent
  of the attacks, so a violation is possible and means the bound or an attack is wrong);
- ``r2>=0`` and ``failures>=0``: Guo et al.'s r_2 and the minimal attacks' failed points;
- ``percent``: every accuracy, verified accuracy, sparsity, channel sparsity and activation
  sparsity (:data:`PERCENT_METRICS`, every part) within [0, 100];
- ``unsound==0``: each bound's ``unsound`` count (points certified but misclassified or broken).

A missing or NaN value fails the check it is in (e.g. an attack row without its natural
accuracy). Values are compared exactly as stored, with no tolerance: the accuracies of one
model and part are percentages of integer counts over the same points (``100 * count / N``
in float64, monotone in the count), so a count that is no larger gives a value that is no
larger, bit for bit, and the JSON eval files keep float64 values exactly.

:func:`check` returns one row per (model, invariant): the model's keys, ``invariant``,
``value`` (text: the numbers compared, the violated ones or else the tightest) and ``ok``;
:func:`summary` counts the checks and the violations, :func:`violations_text` lists them.
"""

from __future__ import annotations

import math
import os
from typing import Iterable

import pandas as pd

from ..evaluation.metrics import NOISE_SUFFIX
from ..records.eval_checks import PERCENT_METRICS
from ..records.evals import eps_key, tidy_rows

#: The columns that together identify one model (``round`` only where the records have it).
MODEL_KEYS = ("dataset", "method", "config_id", "split", "round")
#: The invariants, in the order each model's checks are listed.
INVARIANTS = ("natural>=robust", "robust>=verified", "r2>=0", "failures>=0", "percent", "unsound==0")
#: The columns of :func:`check` after the model keys.
CHECK_COLUMNS = ["invariant", "value", "ok"]
NATURAL = "none"


def model_keys(records: pd.DataFrame) -> list[str]:
    """The columns of ``records`` that identify a model (:data:`MODEL_KEYS` present)."""
    return [k for k in MODEL_KEYS if k in records.columns]


def load(paths: Iterable[str | os.PathLike]) -> pd.DataFrame:
    """The tidy records of eval files, with each round model's ``round`` (None elsewhere), so
    that every round of a (config_id, split) is a model of its own."""
    return tidy_rows(paths, fields=("round",))


def check(records: pd.DataFrame) -> pd.DataFrame:
    """One row per (model, invariant the model has rows for): the model's keys
    (:func:`model_keys`), ``invariant`` (a name of :data:`INVARIANTS`), ``value`` (text: the
    measured numbers) and ``ok`` (bool); models in the order they first appear."""
    keys = model_keys(records)
    out = []
    if len(records):
        for key, rows in records.groupby(keys, dropna=False, sort=False):
            ident = dict(zip(keys, key if isinstance(key, tuple) else (key,)))
            out += [{**ident, "invariant": name, "value": value, "ok": bool(ok)}
                    for name, value, ok in model_checks(rows)]
    frame = pd.DataFrame(out, columns=keys + CHECK_COLUMNS)
    return frame.astype({"ok": bool})


def summary(checks: pd.DataFrame) -> tuple[int, int]:
    """``(checked, violated)``: the number of checks and of those that failed."""
    return len(checks), int((~checks["ok"].astype(bool)).sum())


def summary_text(checks: pd.DataFrame) -> str:
    """``invariants: N checked, M violated``."""
    checked, violated = summary(checks)
    return f"invariants: {checked} checked, {violated} violated"


def violations_text(checks: pd.DataFrame, limit: int = 10) -> list[str]:
    """One line per violated check (the first ``limit``), then ``... and K more`` if any."""
    bad = checks[~checks["ok"].astype(bool)]
    keys = [c for c in checks.columns if c not in CHECK_COLUMNS]
    lines = [f"{model_label(r, keys)}: {r['invariant']}: {r['value']}" for _, r in bad.head(limit).iterrows()]
    if len(bad) > limit:
        lines.append(f"... and {len(bad) - limit} more")
    return lines


def model_label(row, keys: list[str]) -> str:
    """``dataset/method config 3 split 0`` (``round 2`` where the model has one)."""
    parts = [f"{row.get('dataset')}/{row.get('method')}"]
    parts += [f"{'config' if k == 'config_id' else k} {_text(row[k])}" for k in keys
              if k not in ("dataset", "method") and not _missing(row[k])]
    return " ".join(parts)


def in_box(attack: str) -> bool:
    """Whether an attack's points stay in the input box (a bound certifies the eps-ball ∩ box, so
    an unboxed attack's accuracy, e.g. ``fgsm-nobox``, may lie below a sound bound's); an attack
    not registered (an ensemble member's row) counts as boxed."""
    from ..attacks import ATTACKS

    return bool(getattr(ATTACKS.get(attack.split(":", 1)[0]), "box", True))


def model_checks(rows: pd.DataFrame) -> list[tuple[str, str, bool]]:
    """``(invariant, value, ok)`` of one model's records, for each invariant it has rows for."""
    out = []
    test = rows[rows["part"] == "test"]
    acc = test[test["metric"] == "accuracy"]
    natural = {a: v for a, v in zip(acc["attack"], acc["value"]) if a in (NATURAL, NATURAL + NOISE_SUFFIX)}
    attacks = acc[~acc["attack"].isin([NATURAL, NATURAL + NOISE_SUFFIX])]
    robust = attacks[attacks["attack"].map(lambda a: is_robust_accuracy(a, set(attacks["attack"])))]
    if len(robust):
        pairs = []  # (name of the larger side, its value, name of the smaller side, its value)
        for a, e, v in zip(robust["attack"], robust["eps"], robust["value"]):
            nat = NATURAL + NOISE_SUFFIX if a.endswith(NOISE_SUFFIX) else NATURAL
            pairs.append((f"natural {nat}" if nat != NATURAL else "natural", natural.get(nat, math.nan),
                          _at(a, e), v))
        out.append(("natural>=robust", *_compare(pairs)))
    ver = test[test["metric"] == "verified_accuracy"]
    if len(ver):
        off = attacks[~attacks["attack"].str.endswith(NOISE_SUFFIX) & attacks["attack"].map(in_box)]
        worst = {}  # eps -> (name, value) of the lowest accuracy at that radius
        for a, e, v in zip(off["attack"], off["eps"], off["value"]):
            if _eps(e) is not None:
                worst[_eps(e)] = _lower(worst.get(_eps(e)), (_at(a, e), v))
        pairs = []
        for b, e, v in zip(ver["attack"], ver["eps"], ver["value"]):
            name, low = _lower(("natural", natural.get(NATURAL, math.nan)), worst.get(_eps(e)))
            pairs.append((name, low, _at(b, e), v))
        out.append(("robust>=verified", *_compare(pairs)))
    for metric in ("r2", "failures"):
        sub = rows[rows["metric"] == metric]
        if len(sub):
            out.append((f"{metric}>=0", *_bounded(sub, 0.0, None)))
    sub = rows[rows["metric"].isin(PERCENT_METRICS)]
    if len(sub):
        out.append(("percent", *_bounded(sub, 0.0, 100.0)))
    sub = rows[rows["metric"] == "unsound"]
    if len(sub):
        out.append(("unsound==0", *_bounded(sub, 0.0, 0.0)))
    return out


def is_robust_accuracy(attack: str, names) -> bool:
    """Whether the accuracy row of ``attack`` is a robust accuracy (correct and unbroken): a
    worst-case ensemble (an attack of ``names`` with member rows ``<attack>:<member>``), one of
    its members, or a noise-on attack."""
    return attack.endswith(NOISE_SUFFIX) or ":" in attack or any(n.startswith(attack + ":") for n in names)


def _lower(a: tuple[str, float] | None, b: tuple[str, float] | None) -> tuple[str, float] | None:
    """The ``(name, value)`` with the lower value (a NaN one wins: it must fail; None: absent)."""
    if a is None or b is None:
        return a if b is None else b
    return a if math.isnan(a[1]) or (not math.isnan(b[1]) and a[1] <= b[1]) else b


def _compare(pairs: list[tuple[str, float, str, float]]) -> tuple[str, bool]:
    """Every ``big >= small`` of ``(big name, big, small name, small)``: the violated ones, or
    the tightest (the smallest difference) and how many."""
    bad = [p for p in pairs if not (p[1] >= p[3])]
    if bad:
        return "; ".join(f"{sn} {_text(s)} > {bn} {_text(b)}" for bn, b, sn, s in bad), False
    bn, b, sn, s = min(pairs, key=lambda p: p[1] - p[3])
    return f"{len(pairs)} compared; tightest: {sn} {_text(s)} <= {bn} {_text(b)}", True


def _bounded(rows: pd.DataFrame, low: float | None, high: float | None) -> tuple[str, bool]:
    """Every value within [low, high] (None: unbounded): the ones outside, or the range seen."""
    values = rows["value"].astype(float)
    inside = values.map(lambda v: (low is None or v >= low) and (high is None or v <= high))
    if not inside.all():
        bad = rows[~inside.to_numpy()]
        return "; ".join(f"{_row_label(r)} = {_text(r['value'])}" for _, r in bad.iterrows()), False
    lo, hi = values.min(), values.max()
    span = _text(lo) if lo == hi else f"{_text(lo)} to {_text(hi)}"
    return f"{len(rows)} rows, {span}", True


def _row_label(r) -> str:
    label = f"{r['metric']} {_at(r['attack'], r['eps'])}" if r["attack"] != NATURAL or not _missing(r["eps"]) \
        else str(r["metric"])
    return f"{label} ({r['part']})"


def _at(attack: str, eps) -> str:
    return str(attack) if _missing(eps) else f"{attack} at {float(eps):g}"


def _eps(eps) -> str | None:
    return None if _missing(eps) else eps_key(eps)


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _text(v) -> str:
    if isinstance(v, float):
        return "NaN" if math.isnan(v) else f"{v:.6g}"
    return str(v)
