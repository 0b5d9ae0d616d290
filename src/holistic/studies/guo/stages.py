"""The study's analysis stage (Guo et al. 2018, Figs. 1-3, Tables 1-2, the claims) and its report
pages; factories receive ``holistic.workflow.spec.StudyJobs``."""

from __future__ import annotations

from ...workflow.stage import Stage, dirname_of, html_page, out

CATEGORY = "2. Robustness per pruning round (Figs. 1-3, Tables 1-2)"
#: What the tables' headers read (the departures from the protocol: .protocol.departures).
PARAMS = ("split", "train.batch_size", "train.progressive", "attack.rho_test", "attack.cw")


def levels_stage(s) -> Stage:
    a = f"{s.root}/levels"
    return Stage(
        name="levels", script="stages/guo_levels.py",
        args=f"--evals {{input.evals}} --logs {{input.logs}} --out {{params.out}}",
        inputs={"evals": s.evals, "logs": s.train_logs},
        outputs={"md": out(f"{a}/levels.md"), "csv": out(f"{a}/levels.csv"),
                 "png": out(f"{a}/levels.png", caption="guo_levels.rst", category=CATEGORY,
                            label="robustness per pruning round"),
                 "fidelity": out(f"{a}/fidelity.md"), "claims": out(f"{a}/claims.csv")},
        params=PARAMS, values={"out": dirname_of("output", "md")},
        data=("src/holistic/studies/guo/reference",), local=True)


def pages(s) -> list[Stage]:
    a = f"{s.root}/levels"
    return [html_page("html_levels", f"{a}/levels.md", "guo_levels.rst", CATEGORY, "tables per round"),
            html_page("html_fidelity", f"{a}/fidelity.md", "guo_fidelity.rst", CATEGORY, "fidelity and claims")]


STAGES = (levels_stage, pages)
