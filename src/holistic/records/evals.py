"""The eval file of one (study, data set, method) job: every model's measurements as tidy rows.

Format (JSON, written atomically with sorted keys)::

    {"study": "hdl", "dataset": "iris", "method": "DL",
     "info": {"n": 150, "p": 4, "k": 3, "paper_name": "iris"},
     "attacks": {"pgd": {"norm": "inf", "budgeted": true, "steps": 40, "step_size": 2.5}, ...},
     "adversarial": "ensemble", "bounds": ["ibp", "crown"], "eps": [0.001, 0.01, 0.1],
     "models": [{"config_id": 0, "config": {"lr": 0.01}, "split": 0,
                 "rows": [{"metric": "accuracy", "attack": "none", "norm": null, "eps": null,
                           "part": "test", "value": 93.3}, ...]}, ...]}

``metric`` is ``accuracy`` (percent; ``attack`` ``none`` for clean inputs, else the attack
and its radius ``eps`` under ``norm``), ``sparsity`` (``part`` ``model``), or one of the rows
of ``holistic.evaluation.run`` (``r2``, ``failures``, ``verified_accuracy``, ``unsound``
(the number of points a bound certifies but that are misclassified or broken by an attack),
``activation_sparsity``, ``channel_sparsity``; a noise-injected model's ``accuracy`` rows with the
noise on carry the attack name ``<attack>@noise``). ``adversarial`` names the attack whose accuracy is the study tables'
adversarial accuracy (``attack.adversarial``). Readers
(:func:`load_evals`) flatten it into one row per model for the selection of Section 4. Every
reader checks the file first (:func:`check_eval`: each value in its metric's domain, every model
once, and with the run's declarations, ``holistic.records.declared``, the radii and the job's
grid), naming the file, the model and the field of anything missing or malformed
(docs/records.md).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Mapping

from ..errors import DataError
from ..io import write_json
from .eval_checks import _get, _int, _value, check_eval, eps_key, measurements, model_name  # noqa: F401 (re-exported)

if TYPE_CHECKING:  # the train job writes these records and never needs the run's declarations
    from .declared import Declared


#: One row per model, as the selection reads it.
MODEL_COLUMNS = ["dataset", "method", "config_id", "split", "config",
                 "nat_val", "nat_test", "adv_val", "adv_test", "sparsity"]



def tables_eps(params: Mapping, eps: float | None = None, otherwise: str = "largest", dataset: str = "") -> float:
    """The radius a study's tables read (the one function every study asks).

    ``eps`` None: the radius ``aggregate.adversarial_eps`` gives data set ``dataset``
    (:func:`radius_for`): the generic tables' and HDL's, which the workflow checks is among
    ``attack.eps``. Else ``eps`` (the paper's radius: its training radius, or the one its
    tables print) where ``attack.eps`` measured it, else the ``largest`` radius measured or
    the one ``nearest`` to ``eps``."""
    if eps is None:
        return radius_for(params["aggregate"]["adversarial_eps"], dataset)
    measured = [float(e) for e in params["attack"]["eps"]]
    if eps_key(eps) in {eps_key(e) for e in measured}:
        return float(eps)
    if otherwise == "largest":
        return max(measured)
    if otherwise == "nearest":
        return min(measured, key=lambda e: abs(e - float(eps)))
    raise ValueError(f"otherwise: 'largest' or 'nearest', not {otherwise!r}")


def radius_for(adversarial_eps, dataset: str) -> float:
    """The adversarial-accuracy radius of one data set: ``aggregate.adversarial_eps`` is one
    number, or a mapping of data set -> radius with a ``default`` (Table A2: 0.1, but 0.01
    for Fashion-MNIST and CIFAR10)."""
    if isinstance(adversarial_eps, Mapping):
        return float(adversarial_eps.get(dataset, adversarial_eps["default"]))
    return float(adversarial_eps)


def radius_label(adversarial_eps) -> str:
    """``aggregate.adversarial_eps`` for captions: ``0.1``, or ``0.1 (fashion-mnist: 0.01, ...)``."""
    if not isinstance(adversarial_eps, Mapping):
        return f"{float(adversarial_eps):g}"
    default = float(adversarial_eps["default"])
    others = [f"{d}: {float(r):g}" for d, r in adversarial_eps.items() if d != "default" and float(r) != default]
    return f"{default:g}" + (f" ({', '.join(others)})" if others else "")


def write_eval(path: str | os.PathLike, header: dict, models: list[dict]) -> None:
    """Write one eval file: ``header`` (study, dataset, method, info, attacks, eps) and models."""
    write_json(path, {**header, "models": models})


def read_eval(path: str | os.PathLike):
    """One eval JSON file as it is, unchecked; DataError naming the file if missing or not JSON."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: eval file not found")
    try:
        with open(path) as f:
            return json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not valid JSON: {exc}") from None


def load_eval(path: str | os.PathLike, declared: Declared | None = None) -> dict:
    """Read one eval JSON file and check it (:func:`check_eval`, against ``declared`` when given);
    DataError naming the file if missing or not JSON, RecordError naming the file, the model and
    the field of anything else."""
    return check_eval(read_eval(path), str(path), declared)


def flatten_eval(ev: Mapping, adversarial_eps: float, source: str = "<eval>",
                 declared: Declared | None = None) -> pd.DataFrame:
    """One row per model of one eval dict (columns ``MODEL_COLUMNS``), checked first
    (:func:`check_eval`, against ``declared`` when given).

    ``adv_*`` is the accuracy under the eval's ``adversarial`` attack at radius ``adversarial_eps``.
    ``source`` (normally the file name) is named in every RecordError, with the model and the
    field: a missing field, a non-numeric value or one outside its domain, the radius absent from
    a model's rows, a (config_id, split) pair seen twice or missing.
    """
    import pandas as pd  # not at the top: the train job writes eval files without it

    check_eval(ev, source, declared)
    dataset, method, models = ev["dataset"], ev["method"], ev["models"]
    adversarial_attack = _get(ev, ("adversarial",), source, "")
    key = eps_key(adversarial_eps)
    rows = []
    for i, model in final_rounds(models):
        w = f"models[{i}]"
        m = measurements(model, source, w, name=model_name(model, method, i))
        config_id, split = model["config_id"], model["split"]
        source_m = f"{source}: model {model_name(model, method, i)}"
        rows.append({
            "dataset": str(dataset), "method": str(method), "config_id": config_id, "split": split,
            "config": json.dumps(model["config"], sort_keys=True),
            "nat_val": _value(m, ("accuracy", "none", None, "val"), source_m, w),
            "nat_test": _value(m, ("accuracy", "none", None, "test"), source_m, w),
            "adv_val": _value(m, ("accuracy", adversarial_attack, key, "val"), source_m, w),
            "adv_test": _value(m, ("accuracy", adversarial_attack, key, "test"), source_m, w),
            "sparsity": _value(m, ("sparsity", "none", None, "model"), source_m, w),
        })
    df = pd.DataFrame(rows, columns=MODEL_COLUMNS)
    return df.sort_values(["config_id", "split"], kind="mergesort").reset_index(drop=True)


def final_rounds(models: list) -> list[tuple[int, Mapping]]:
    """``(index, model)`` of the models the Section 4 selection reads: all of them, or where the
    models carry a ``round`` (a procedure with ``round_results``: every round's model measured)
    only each (config_id, split)'s last round, the method's result as its training returns it."""
    last: dict[tuple, int] = {}
    for m in models:
        if isinstance(m, Mapping) and m.get("round") is not None:
            k = (m.get("config_id"), m.get("split"))
            last[k] = max(last.get(k, m["round"]), m["round"])
    return [(i, m) for i, m in enumerate(models)
            if not (isinstance(m, Mapping) and m.get("round") is not None)
            or m["round"] == last[(m.get("config_id"), m.get("split"))]]


def eval_info(ev: Mapping, source: str = "<eval>") -> dict:
    """``{"dataset", "adversarial", "n", "p", "k", "paper_name"}`` of one eval dict."""
    info = _get(ev, ("info",), source, "")
    out = {"dataset": str(_get(ev, ("dataset",), source, "")), "adversarial": str(_get(ev, ("adversarial",), source, ""))}
    for f in ("n", "p", "k"):
        out[f] = _int(_get(info, (f,), source, "info"), source, f"info.{f}")
    out["paper_name"] = info.get("paper_name") if isinstance(info, Mapping) else None
    return out


#: One row per measurement of one model, as :func:`tidy_rows` returns them.
TIDY_COLUMNS = ["dataset", "method", "config_id", "split", "metric", "attack", "eps", "part", "value"]


def tidy_rows(paths: Iterable[str | os.PathLike], fields: tuple[str, ...] = (),
              declared: Declared | None = None) -> pd.DataFrame:
    """Every row of every model of the eval files, long format (columns :data:`TIDY_COLUMNS`,
    then ``fields``: the models' own fields such as a round model's ``round``, ``kept_percent``
    and ``stop_step`` (``holistic.methods.ROUND_FIELDS``), None where a model has none). Each file
    checked first (:func:`load_eval`, against ``declared`` when given)."""
    import pandas as pd  # not at the top: the train job writes eval files without it

    out = []
    for path in paths:
        src = str(path)
        ev = load_eval(path, declared)
        dataset, method = ev["dataset"], ev["method"]
        for i, model in enumerate(ev["models"]):
            w = f"models[{i}]"
            ids = {"config_id": model["config_id"], "split": model["split"],
                   **{f: model.get(f) for f in fields}}
            for (metric, attack, eps, part), value in measurements(model, src, w).items():
                out.append({"dataset": dataset, "method": method, **ids, "metric": metric, "attack": attack,
                            "eps": None if eps is None else float(eps), "part": part,
                            "value": value})
    return pd.DataFrame(out, columns=TIDY_COLUMNS + list(fields))


def over_splits(models: pd.DataFrame, keys: list[str], columns: Iterable[str], **named) -> pd.DataFrame:
    """Per group of ``keys`` (in order of appearance; one row a model, e.g. one per split): the
    named aggregations ``named`` (``name=(column, "first")``, pandas' named aggregation), the
    number of models ``n``, then ``<column>_mean`` and ``<column>_sd`` (the sample standard
    deviation: NaN for n = 1) of each of ``columns``, as a study's tables print them
    (``holistic.render.tables.mean_sd``)."""
    g = models.groupby(keys, sort=False)
    out = (g.agg(**named) if named else g.size().to_frame()[[]]).reset_index()
    out["n"] = g.size().values
    for col in columns:
        out[f"{col}_mean"] = g[col].mean().values
        out[f"{col}_sd"] = g[col].std(ddof=1).values
    return out


def load_evals(paths: Iterable[str | os.PathLike],
               adversarial_eps, declared: Declared | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Load, check (against ``declared`` when given: :func:`check_eval`) and flatten eval files,
    in the order given (the study's method order); each data set's adversarial accuracy at its
    radius (:func:`radius_for`).

    Returns ``(models, info)``: ``models`` one row per trained model (see
    :func:`flatten_eval`), ``info`` indexed by data set with columns adversarial (the attack
    of the adversarial accuracy), n, p, k, paper_name.
    Raises DataError naming the file for a missing file or field, a (data set, method)
    given twice, data set sizes that disagree between files, or files whose adversarial
    accuracy comes from different attacks (a table compares like with like).
    """
    import pandas as pd  # not at the top: the train job writes eval files without it

    frames, infos, seen = [], {}, {}
    for path in paths:
        src = str(path)
        ev = read_eval(path)
        df = flatten_eval(ev, radius_for(adversarial_eps, str(ev.get("dataset")) if isinstance(ev, Mapping) else ""),
                          source=src, declared=declared)
        inf = eval_info(ev, source=src)
        key = (df["dataset"].iat[0], df["method"].iat[0])
        if key in seen:
            raise DataError(f"{src}: data set {key[0]!r}, method {key[1]!r} already given by {seen[key]}")
        seen[key] = src
        ds = inf["dataset"]
        first = next(iter(infos.values()), None)
        if first is not None and first["adversarial"] != inf["adversarial"]:
            raise DataError(f"{src}: adversarial accuracy from attack {inf['adversarial']!r}, but "
                            f"{first['source']} has it from {first['adversarial']!r}")
        if ds in infos:
            old = infos[ds]
            if any(old[f] != inf[f] for f in ("n", "p", "k")):
                raise DataError(f"{src}: info (n, p, k) = ({inf['n']}, {inf['p']}, {inf['k']}) of "
                                f"{ds!r} disagrees with ({old['n']}, {old['p']}, {old['k']}) in "
                                f"{old['source']}")
        else:
            infos[ds] = dict(inf, source=src)
        frames.append(df)
    if not frames:
        raise DataError("no eval files given")
    models = pd.concat(frames, ignore_index=True)
    info = pd.DataFrame([{k: v for k, v in i.items() if k != "source"} for i in infos.values()])
    info = info.set_index("dataset").sort_index()
    return models, info
