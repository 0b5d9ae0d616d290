"""The stages over every study of a run: ``claims`` (``results/claims.md``, every study's
claims at a glance with the verdict counts, and the invariants checked on every model of every
study, ``results/invariants.csv``) and its report page, which opens the report.

Core module: it imports no study; it receives the run's studies (``grid.StudyJobs``).
"""

from __future__ import annotations

from .stage import Stage, html_page, out

CLAIMS_MD, INVARIANTS_CSV = "results/claims.md", "results/invariants.csv"
#: The report's first category (categories sort by name).
CATEGORY = "0. Claims at a glance"


def claims_stage(studies) -> Stage:
    """One job reading every study's ``claims.csv`` and eval files."""
    inputs, args = {}, []
    for s in studies:
        inputs[f"claims_{s.name}"] = s.claims
        inputs[f"evals_{s.name}"] = s.evals
        args.append(f"--study {s.name} {{input.claims_{s.name}}} {{input.evals_{s.name}}}")
    return Stage(name="claims", script="stages/claims.py",
                 args=" ".join(args) + " --md {output.md} --invariants {output.invariants}",
                 inputs=inputs, outputs={"md": out(CLAIMS_MD), "invariants": out(INVARIANTS_CSV)}, local=True)


def overview_stages(studies) -> list[Stage]:
    """The stages over all studies (none for a run without studies)."""
    if not studies:
        return []
    return [claims_stage(studies),
            html_page("html_claims", CLAIMS_MD, "claims.rst", CATEGORY, "every claim, every study")]
