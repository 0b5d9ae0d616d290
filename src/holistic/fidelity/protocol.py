"""A paper's protocol as data, and a run's departures from it, computed, never typed.

A study declares its paper's protocol as ``{key: Setting(label, paper value)}`` covering at
least :data:`KEYS` (rows, training length, batch, optimizer, learning rate and schedule,
weight decay, initialiser, radius and its schedule, attack, model, trials, checkpoint rule),
and a function giving a run's effective value of every key. :func:`departures` compares the
two and words each difference; a key of the protocol the run does not report is an error,
so no setting of the paper goes uncompared.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Collection, Iterable, Mapping

#: The settings every study's protocol declares (issue 28, item 3).
KEYS = ("train_rows", "test_rows", "steps", "batch_size", "optimizer", "lr", "lr_schedule", "weight_decay",
        "initialiser", "eps", "eps_schedule", "attack", "model", "trials", "checkpoint")


@dataclass(frozen=True)
class Setting:
    """One setting of a paper's protocol: how a departure names it, and the paper's value
    (a number, a string, or a tuple of them)."""
    label: str
    paper: object


def check_protocol(protocol: Mapping[str, Setting], study: str) -> None:
    """ValueError unless ``protocol`` declares every key of :data:`KEYS`."""
    missing = [k for k in KEYS if k not in protocol]
    if missing:
        raise ValueError(f"study {study!r}: the paper's protocol lacks {', '.join(missing)}")


def same(a, b) -> bool:
    """Equal settings: numbers to 1e-9 relative, sequences elementwise, else ``==``."""
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        if not (isinstance(a, (list, tuple)) and isinstance(b, (list, tuple))) or len(a) != len(b):
            return False
        return all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) \
            and not isinstance(a, bool) and not isinstance(b, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=0.0)
    return a == b


def show(v) -> str:
    """A setting's value as a departure prints it."""
    if v is None:
        return "unknown"
    if isinstance(v, (list, tuple)):
        return "{" + ", ".join(show(x) for x in v) + "}"
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:,.0f}" if v.is_integer() and abs(v) >= 1000 else f"{v:g}"
    return str(v)


def departures(protocol: Mapping[str, Setting], run: Mapping[str, object]) -> dict[str, str]:
    """``{key: phrase}`` of every setting where ``run`` differs from ``protocol``, in the
    protocol's order ("batch 64 (paper 60)"); KeyError naming the keys ``run`` lacks."""
    missing = [k for k in protocol if k not in run]
    if missing:
        raise KeyError(f"settings of the paper's protocol not compared: {', '.join(missing)}")
    return {k: f"{s.label} {show(run[k])} (paper {show(s.paper)})"
            for k, s in protocol.items() if not same(run[k], s.paper)}


def header_note(items, where: str) -> str:
    """The line every table, CSV and caption carries: the departures, or that the run follows
    the protocol of ``where`` (e.g. "App. A")."""
    items = list(items.values()) if isinstance(items, Mapping) else list(items)
    if not items:
        return f"Protocol of the paper ({where})."
    return f"Departs from the paper ({where}): " + "; ".join(items) + "."


def per_method(values: Mapping[str, object], main: Collection[str] = ()) -> object:
    """One setting of a data set whose methods train differently (``studies.<study>.method_train``),
    given per method (method -> its value): the value where all agree; else, as a departure names
    it, the ``main`` methods' value (those training with the run's own ``train``; none: the first
    method's) and each other value with its methods, ``"358 (linear: 3,580)"``."""
    groups: list[tuple[object, list[str]]] = []
    for method, value in values.items():
        group = next((g for g in groups if same(g[0], value)), None)
        if group is None:
            groups.append((value, [method]))
        else:
            group[1].append(method)
    if len(groups) <= 1:
        return groups[0][0] if groups else None
    first = next((g for g in groups if set(g[1]) & set(main)), groups[0])
    others = "; ".join(f"{', '.join(ms)}: {show(v)}" for v, ms in groups if ms is not first[1])
    return f"{show(first[0])} ({others})"


def by_method(run_of: Callable[[Mapping, list[str]], Mapping[str, object]], params: Mapping, study: str,
              methods: Iterable[str], keys: Iterable[str]) -> dict[str, object]:
    """A run's effective protocol on one data set (``run_of(params, methods)``: the study's own
    reading) where some of its ``methods`` train with their own settings
    (``studies.<study>.method_train``, :func:`holistic.config.method_params`): the ``keys`` a
    method's ``train`` decides are read per method, the methods on the run's ``train`` together and
    each other method with its merged params and alone, and given per method where they differ
    (:func:`per_method`: "358 (linear: 3,580)"); every other key as ``run_of(params, methods)``.
    Exactly that where no method of ``methods`` has its own training."""
    from ..config import method_params, method_train

    methods = list(methods)
    run = dict(run_of(params, methods))
    own = [m for m in methods if method_train(params, study, m) is not None]
    if not own:
        return run
    main = [m for m in methods if m not in own]
    groups = ([(main, run_of(params, main))] if main else []) + \
        [([m], run_of(method_params(params, study, m), [m])) for m in own]
    for key in keys:
        run[key] = per_method({m: r[key] for ms, r in groups for m in ms}, main)
    return run


def voiding(found: Mapping[str, str], keys) -> list[str]:
    """The departures among ``found`` (:func:`departures`) whose key is in ``keys``: those that
    void a claim (its ``protocol`` precondition)."""
    return [found[k] for k in keys if k in found]


__all__ = ["KEYS", "Setting", "check_protocol", "same", "show", "departures", "header_note", "per_method", "by_method",
           "voiding"]
