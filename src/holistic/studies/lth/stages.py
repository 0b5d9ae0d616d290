"""The study's report stage (Cosentino et al. 2019, Tables 1-2, Figs. 3/5/9/11, the claims) and
its pages; factories receive ``holistic.workflow.grid.StudyJobs``."""

from __future__ import annotations

from ...workflow.stage import Stage, fidelity_page, html_page, out, report_stage

CATEGORY = "2. Pruning levels (Tables 1-2)"
#: What the tables' headers and the claims read (the departures: .protocol.departures).
PARAMS = ("split", "train.epochs", "train.batch_size", "train.max_steps_per_round", "train.min_steps_per_round",
          "train.grid.lr", "train.imp", "train.adversarial", "attack.eps", "attack.suite", "attack.pgd_steps",
          "attack.pgd_step_size")


def stages(s) -> list[Stage]:
    a = f"{s.root}/levels"
    return [report_stage(s, "levels", a, PARAMS, md=out("levels.md"), csv=out("levels.csv"),
                         png=out("levels.png", caption="lth_levels.rst", category=CATEGORY, label="accuracy per P_m")),
            html_page("html_levels", f"{a}/levels.md", "lth_levels.rst", CATEGORY, "tables per P_m"),
            fidelity_page(s, CATEGORY)]


STAGES = (stages,)
