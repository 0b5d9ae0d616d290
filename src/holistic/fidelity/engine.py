"""The claims engine: a paper's claim, the preconditions under which a run can test it, a
paired statistic, and a verdict that the method earned rather than the construction.

A :class:`Claim` declares what the paper says (a short quote) and where (section, table,
figure), and one or more :class:`Part`\\ s: the quantity each part reads, a paired difference
``d_i = a_i - b_i`` over units (splits, seeds, references, data sets), and the comparison the
claim makes of it (:class:`Comparison`: ``d >= m``, ``d > m``, ``d <= m``, ``d < m`` or
``|d| <= m``). A study's reader measures a run into :class:`Paired` statistics and
:class:`Precondition` outcomes (each a named predicate with the value it measured); :func:`judge`
turns them into a :class:`Judged` row:

- ``not testable here``: some precondition is unmet (each one named with its value); a claim
  always has the precondition ``trials`` (every part has at least ``claim.min_trials`` paired
  units), so a claim is never judged on one split;
- otherwise per part, with the 95 % t-interval ``[lo, hi]`` of the mean of ``d`` (``n - 1``
  degrees of freedom): ``holds`` when the whole interval satisfies the comparison, ``fails``
  when the whole interval violates it, ``inconclusive`` when it straddles the margin; the claim
  ``fails`` if some part fails, ``holds`` if every part holds, else it is ``inconclusive``.

Nothing here knows a study: the studies declare their claims and readers, and write the rows
with :func:`claims_frame` (the columns :data:`COLUMNS` of every ``results/<study>/claims.csv``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

import pandas as pd

HOLDS, FAILS, INCONCLUSIVE, NOT_TESTABLE = "holds", "fails", "inconclusive", "not testable here"
VERDICTS = (HOLDS, FAILS, INCONCLUSIVE, NOT_TESTABLE)
#: The two-sided level of every interval.
LEVEL = 0.95
#: The least number of paired units a verdict needs (precondition ``trials``).
MIN_TRIALS = 3

AT_LEAST, ABOVE, AT_MOST, BELOW, WITHIN = ">=", ">", "<=", "<", "|d| <="
DIRECTIONS = (AT_LEAST, ABOVE, AT_MOST, BELOW, WITHIN)


@dataclass(frozen=True)
class Comparison:
    """What a claim says of the paired difference ``d``: ``d >= margin`` (:data:`AT_LEAST`),
    ``d > margin`` (:data:`ABOVE`), ``d <= margin``, ``d < margin`` or ``|d| <= margin``
    (:data:`WITHIN`, margin >= 0)."""
    direction: str
    margin: float = 0.0

    def __post_init__(self):
        if self.direction not in DIRECTIONS:
            raise ValueError(f"direction {self.direction!r}: one of {', '.join(DIRECTIONS)}")
        if not math.isfinite(self.margin) or (self.direction == WITHIN and self.margin < 0):
            raise ValueError(f"margin {self.margin!r}: finite (and >= 0 for {WITHIN})")

    def judge(self, lo: float, hi: float) -> str:
        """The verdict on the interval ``[lo, hi]`` of the mean difference."""
        m, d = self.margin, self.direction
        if d == AT_LEAST:
            return HOLDS if lo >= m else FAILS if hi < m else INCONCLUSIVE
        if d == ABOVE:
            return HOLDS if lo > m else FAILS if hi <= m else INCONCLUSIVE
        if d == AT_MOST:
            return HOLDS if hi <= m else FAILS if lo > m else INCONCLUSIVE
        if d == BELOW:
            return HOLDS if hi < m else FAILS if lo >= m else INCONCLUSIVE
        return HOLDS if -m <= lo and hi <= m else FAILS if lo > m or hi < -m else INCONCLUSIVE

    def text(self) -> str:
        return f"|d| <= {self.margin:g}" if self.direction == WITHIN else f"d {self.direction} {self.margin:g}"


def at_least(margin: float = 0.0) -> Comparison:
    return Comparison(AT_LEAST, margin)


def above(margin: float = 0.0) -> Comparison:
    return Comparison(ABOVE, margin)


def at_most(margin: float = 0.0) -> Comparison:
    return Comparison(AT_MOST, margin)


def below(margin: float = 0.0) -> Comparison:
    return Comparison(BELOW, margin)


def within(margin: float) -> Comparison:
    return Comparison(WITHIN, margin)


@dataclass(frozen=True)
class Part:
    """One comparison of a claim: ``quantity`` names ``d = a - b`` (metric, methods, levels,
    radii, sparsity), e.g. "PGD accuracy (%): ticket at 51.3 % - dense"."""
    quantity: str
    comparison: Comparison


@dataclass(frozen=True)
class Claim:
    """A claim of a paper as the engine judges it."""
    key: str                       # short id, unique in the study (e.g. "L1")
    statement: str                 # the paper's statement, a short quote or paraphrase
    source: str                    # its place: section, table, figure
    parts: tuple[Part, ...]        # every part must hold
    paper: str = ""                # the published value(s), as text
    min_trials: int = MIN_TRIALS   # paired units a verdict needs

    def __post_init__(self):
        if not self.parts:
            raise ValueError(f"claim {self.key!r}: no part")
        if self.min_trials < 2:
            raise ValueError(f"claim {self.key!r}: min_trials {self.min_trials} (an interval needs >= 2)")


def t_quantile(df: int, level: float = LEVEL) -> float:
    """The two-sided ``level`` quantile of Student's t with ``df`` degrees of freedom."""
    from scipy.stats import t

    return float(t.ppf(0.5 + level / 2, df))


@dataclass(frozen=True)
class Paired:
    """Paired differences ``d_i = a_i - b_i`` over ``units`` (sorted unit labels)."""
    units: tuple
    a: tuple[float, ...]
    b: tuple[float, ...]
    unit: str = "split"

    @property
    def d(self) -> tuple[float, ...]:
        return tuple(x - y for x, y in zip(self.a, self.b))

    @property
    def n(self) -> int:
        return len(self.units)

    @property
    def mean(self) -> float:
        return math.fsum(self.d) / self.n if self.n else math.nan

    @property
    def sd(self) -> float:
        if self.n < 2:
            return math.nan
        m = self.mean
        return math.sqrt(math.fsum((x - m) ** 2 for x in self.d) / (self.n - 1))

    def interval(self, level: float = LEVEL) -> tuple[float, float]:
        """The t-interval of the mean difference (``(-inf, inf)`` below two units)."""
        if self.n < 2:
            return -math.inf, math.inf
        h = t_quantile(self.n - 1, level) * self.sd / math.sqrt(self.n)
        return self.mean - h, self.mean + h

    def text(self, decimals: int = 2) -> str:
        if not self.n:
            return "no paired unit"
        lo, hi = self.interval()
        f = lambda v: f"{v:+.{decimals}f}"  # noqa: E731
        ci = f"[{f(lo)}, {f(hi)}]" if self.n >= 2 else "[-, -]"
        return f"mean d {f(self.mean)}, 95 % CI {ci}, n = {self.n} {self.unit}{'s' if self.n != 1 else ''}"


def paired(a: Mapping, b: Mapping, unit: str = "split") -> Paired:
    """The pairs of ``a`` and ``b`` (unit -> value) on the units both have a finite value for."""
    keys = sorted(k for k in set(a) & set(b) if _finite(a[k]) and _finite(b[k]))
    return Paired(tuple(keys), tuple(float(a[k]) for k in keys), tuple(float(b[k]) for k in keys), unit)


def _finite(v) -> bool:
    try:
        return v is not None and math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class Precondition:
    """A named predicate evaluated on the run, with the value it measured."""
    name: str
    met: bool
    value: str

    def text(self) -> str:
        return f"{self.name}: {self.value} ({'met' if self.met else 'unmet'})"


# ----------------------------------------------------------------- the usual preconditions

def trials(n: int, at_least: int = MIN_TRIALS, unit: str = "split") -> Precondition:
    """At least ``at_least`` paired units."""
    return Precondition("trials", n >= at_least, f"n = {n} {unit}s (needs >= {at_least})")


def measured(ok: bool, what: str) -> Precondition:
    """The run measured what the claim reads (``what``: which models, levels, radii)."""
    return Precondition("measured", bool(ok), what)


def converged(kept_fraction: float, limit: float = 0.9) -> Precondition:
    """The kept checkpoint is not in the last ``1 - limit`` of the round (``kept_fraction``:
    its position in the round, the largest over the compared models): a checkpoint at the end
    means the validation measure was still improving, so the run was cut off."""
    ok = _finite(kept_fraction) and kept_fraction < limit
    return Precondition("converged", ok, f"kept checkpoint at {100 * kept_fraction:.0f} % of the round "
                                         f"(needs < {100 * limit:.0f} %)")


# ----------------------------------------------------------------- converged, from a step sweep

#: ``converged`` read from a step sweep (:func:`settled`): a quantity (percent) has stopped moving
#: when it moved by at most this many points between the sweep's last two budgets, or by at most
#: its paired standard error where that is larger.
SETTLE_POINTS = 1.0


@dataclass(frozen=True)
class StepMove:
    """One quantity's move between the two largest step counts of its sweep, ``before`` < ``last``:
    the paired values ``change`` over the units measured at both (``a`` at ``last``, ``b`` at
    ``before``, so ``d = a - b`` is the move of a unit)."""
    quantity: str
    before: int
    last: int
    change: Paired

    @property
    def se(self) -> float:
        """The standard error of the mean move, ``sd(d) / sqrt(n)`` (NaN below two units)."""
        return self.change.sd / math.sqrt(self.change.n) if self.change.n >= 2 else math.nan

    def allowed(self, tolerance: float = SETTLE_POINTS) -> float:
        """How far the quantity may move and count as settled: ``max(tolerance, se)``."""
        return max(tolerance, self.se) if _finite(self.se) else tolerance

    def settled(self, tolerance: float = SETTLE_POINTS) -> bool:
        """``|mean d| <= max(tolerance, se)`` on at least one unit."""
        return self.change.n >= 1 and abs(self.change.mean) <= self.allowed(tolerance)

    def text(self, tolerance: float = SETTLE_POINTS) -> str:
        c = self.change
        before, last = math.fsum(c.b) / c.n if c.n else math.nan, math.fsum(c.a) / c.n if c.n else math.nan
        return (f"{self.quantity} {before:.2f} at {self.before:,} -> {last:.2f} at {self.last:,} steps "
                f"(moved {c.mean:+.2f}, allowed {self.allowed(tolerance):.2f}, n = {c.n})")


def step_move(quantity: str, curve: Mapping[int, Mapping]) -> StepMove | None:
    """The move of ``quantity`` between the two largest step counts of its ``curve`` (steps ->
    {unit: value}) that have a finite value; None below two such step counts."""
    steps = sorted(s for s, values in curve.items() if any(_finite(v) for v in values.values()))
    if len(steps) < 2:
        return None
    before, last = steps[-2], steps[-1]
    return StepMove(quantity, int(before), int(last), paired(curve[last], curve[before], unit="unit"))


def settled(curves: Mapping[str, Mapping[int, Mapping]], run_steps: Mapping[str, int] | None = None,
            tolerance: float = SETTLE_POINTS) -> Precondition:
    """Precondition ``converged`` read from a step sweep rather than from a checkpoint's position.

    ``curves``: each quantity a claim reads (name -> steps -> {unit: value}), measured at the run's
    own round length and at each step budget of the sweep; ``run_steps``: the round length of the
    models the claim is judged on, per quantity. Per quantity, with ``before`` < ``last`` its two
    largest step counts and ``d_u = value_u(last) - value_u(before)`` over the units measured at
    both, the quantity has stopped moving when ``|mean d| <= max(tolerance, se)`` (``se``:
    ``sd(d) / sqrt(n)``; the tolerance alone on one unit). Met when every quantity has stopped
    moving and the claim's models are at ``before`` or ``last`` (a sweep wholly longer than the run
    says nothing of the run's own models); unmet otherwise, naming each such quantity with its
    numbers (or none swept, or one measured at fewer than two step counts)."""
    if not curves:
        return Precondition("converged", False, "no swept quantity measured")
    problems, moves = [], []
    for quantity, curve in curves.items():
        move = step_move(quantity, curve)
        if move is None:
            n = sum(1 for values in curve.values() if any(_finite(v) for v in values.values()))
            problems.append(f"{quantity} measured at {n} step count{'s' if n != 1 else ''} (needs 2)")
            continue
        moves.append(move)
        at = (run_steps or {}).get(quantity)
        if at is not None and at < move.before:
            problems.append(f"{quantity}: the claim's models at {at:,} steps, short of the sweep's last two "
                            f"({move.before:,} and {move.last:,})")
        if not move.change.n:
            problems.append(f"{quantity}: no unit measured at both {move.before:,} and {move.last:,} steps")
        elif not move.settled(tolerance):
            problems.append(f"{move.text(tolerance)}: still moving")
    if problems:
        return Precondition("converged", False, "step sweep: " + "; ".join(problems))
    worst = max(moves, key=lambda m: abs(m.change.mean) / m.allowed(tolerance))
    many = f"{len(moves)} quantities" if len(moves) != 1 else "1 quantity"
    return Precondition("converged", True, f"step sweep: {many} settled between the last two budgets; "
                                           f"the largest move {worst.text(tolerance)}")


def attack_succeeds(found: int, correct: int, at_least: float = 0.95, attack: str = "the attack") -> Precondition:
    """A minimal attack found an adversarial point for >= ``at_least`` of the correctly
    classified points."""
    share = found / correct if correct else math.nan
    ok = correct > 0 and share >= at_least
    return Precondition("attack_succeeds", ok, f"{attack} succeeds on {found}/{correct} correct points "
                                               f"(needs >= {100 * at_least:.0f} %)")


def matched_sparsity(a: float, b: float, within_points: float = 1.0) -> Precondition:
    """The compared models' sparsities (percent) within ``within_points`` of each other."""
    ok = _finite(a) and _finite(b) and abs(a - b) <= within_points
    return Precondition("matched_sparsity", ok, f"{a:.2f} vs {b:.2f} % (needs within {within_points:g} point"
                                                f"{'s' if within_points != 1 else ''})")


def protocol(voiding: Sequence[str]) -> Precondition:
    """None of the run's departures from the paper's protocol voids the claim (``voiding``:
    those that do, as :func:`holistic.fidelity.protocol.departures` words them)."""
    return Precondition("protocol", not voiding, "; ".join(voiding) if voiding else "no voiding departure")


def not_automatic(ok: bool, why: str) -> Precondition:
    """The claim's outcome is not fixed by the setting alone (``why``: what was checked)."""
    return Precondition("not_automatic", bool(ok), why)


# ----------------------------------------------------------------- judging

@dataclass(frozen=True)
class Judged:
    """One claim judged on one data set (``dataset`` "" for a claim over data sets)."""
    claim: Claim
    dataset: str
    here: str
    statistics: tuple[Paired, ...]
    preconditions: tuple[Precondition, ...]
    verdict: str
    reason: str
    departures: tuple[str, ...] = field(default=())


def judge(claim: Claim, statistics: Sequence[Paired | None], preconditions: Iterable[Precondition] = (),
          *, dataset: str = "", here: str = "", departures: Sequence[str] = ()) -> Judged:
    """The verdict of ``claim`` from one statistic per part (None: not measured) and the
    run's preconditions; ``trials`` is added from the statistics."""
    if len(statistics) != len(claim.parts):
        raise ValueError(f"claim {claim.key!r}: {len(statistics)} statistics for {len(claim.parts)} parts")
    stats = tuple(s if s is not None else Paired((), (), ()) for s in statistics)
    n = min(s.n for s in stats)
    unit = stats[0].unit if stats else "split"
    pre = tuple(preconditions) + (trials(n, claim.min_trials, unit),)
    unmet = [p for p in pre if not p.met]
    if unmet:
        verdict, reason = NOT_TESTABLE, "; ".join(f"{p.name}: {p.value}" for p in unmet)
    else:
        parts = [part.comparison.judge(*s.interval()) for part, s in zip(claim.parts, stats)]
        verdict = FAILS if FAILS in parts else HOLDS if all(v == HOLDS for v in parts) else INCONCLUSIVE
        reason = "; ".join(f"{part.quantity}: {part.comparison.text()} {v}"
                           for part, v in zip(claim.parts, parts))
    return Judged(claim, dataset, here, stats, pre, verdict, reason, tuple(departures))


#: The columns of every study's ``claims.csv``.
COLUMNS = ["study", "key", "dataset", "claim", "source", "paper", "here", "statistic", "n",
           "preconditions", "verdict", "reason", "departures"]


def claims_frame(study: str, judged: Iterable[Judged]) -> pd.DataFrame:
    """The rows of ``results/<study>/claims.csv`` (:data:`COLUMNS`)."""
    rows = []
    for j in judged:
        stats = [s for s in j.statistics if s.n]
        rows.append({
            "study": study, "key": j.claim.key, "dataset": j.dataset, "claim": j.claim.statement,
            "source": j.claim.source, "paper": j.claim.paper, "here": j.here,
            "statistic": "; ".join(f"{p.quantity}: {s.text()}" for p, s in zip(j.claim.parts, j.statistics)
                                    if s.n) or "-",
            "n": min((s.n for s in stats), default=0),
            "preconditions": "; ".join(p.text() for p in j.preconditions),
            "verdict": j.verdict, "reason": j.reason, "departures": "; ".join(j.departures) or "none"})
    return pd.DataFrame(rows, columns=COLUMNS)


def verdict_counts(frame: pd.DataFrame) -> dict[str, int]:
    """``{verdict: rows}`` over :data:`VERDICTS` (zeros included)."""
    counts = frame["verdict"].value_counts() if len(frame) else {}
    return {v: int(counts.get(v, 0)) for v in VERDICTS}


__all__ = ["HOLDS", "FAILS", "INCONCLUSIVE", "NOT_TESTABLE", "VERDICTS", "LEVEL", "MIN_TRIALS", "Comparison",
           "at_least", "above", "at_most", "below", "within", "Part", "Claim", "t_quantile", "Paired", "paired",
           "Precondition", "trials", "measured", "converged", "SETTLE_POINTS", "StepMove", "step_move",
           "settled", "attack_succeeds", "matched_sparsity", "protocol",
           "not_automatic", "Judged", "judge", "COLUMNS", "claims_frame", "verdict_counts"]
