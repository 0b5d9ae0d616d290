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
from typing import Mapping

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


def voiding(found: Mapping[str, str], keys) -> list[str]:
    """The departures among ``found`` (:func:`departures`) whose key is in ``keys``: those that
    void a claim (its ``protocol`` precondition)."""
    return [found[k] for k in keys if k in found]


__all__ = ["KEYS", "Setting", "check_protocol", "same", "show", "departures", "header_note", "voiding"]
