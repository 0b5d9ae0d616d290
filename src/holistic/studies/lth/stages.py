"""The study's analysis stage (Cosentino et al. 2019, Tables 1-2, Figs. 3/5/9/11, the claims)
and its report pages; factories receive ``holistic.workflow.spec.StudyJobs``."""

from __future__ import annotations

from ...workflow.stage import Stage, dirname_of, html_page, out

CATEGORY = "2. Pruning levels (Tables 1-2)"
#: What the tables' headers read (the departures from the protocol: .protocol.departures).
PARAMS = ("split", "train.batch_size", "train.grid.lr", "train.imp", "train.adversarial", "attack.rho_test",
          "attack.pgd_steps", "attack.pgd_step_size")


def levels_stage(s) -> Stage:
    a = f"{s.root}/levels"
    return Stage(
        name="levels", script="stages/lth_levels.py",
        args=f"--study {s.name} --evals {{input.evals}} --logs {{input.logs}} --out {{params.out}}",
        inputs={"evals": s.evals, "logs": s.train_logs},
        outputs={"md": out(f"{a}/levels.md"), "csv": out(f"{a}/levels.csv"),
                 "png": out(f"{a}/levels.png", caption="lth_levels.rst", category=CATEGORY, label="accuracy per P_m"),
                 "fidelity": out(f"{a}/fidelity.md"), "claims": out(f"{a}/claims.csv")},
        params=PARAMS, values={"out": dirname_of("output", "md")},
        data=("src/holistic/studies/lth/reference",), local=True)


def pages(s) -> list[Stage]:
    a = f"{s.root}/levels"
    return [html_page("html_levels", f"{a}/levels.md", "lth_levels.rst", CATEGORY, "tables per P_m"),
            html_page("html_fidelity", f"{a}/fidelity.md", "lth_fidelity.rst", CATEGORY, "fidelity and claims")]


STAGES = (levels_stage, pages)
