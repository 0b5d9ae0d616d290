"""The study's report stage (Guo et al. 2018, Figs. 1-3, Tables 1-2, the claims) and its pages;
factories receive ``holistic.workflow.spec.StudyJobs``."""

from __future__ import annotations

from ...workflow.stage import Stage, fidelity_page, html_page, out, report_stage

CATEGORY = "2. Robustness per pruning round (Figs. 1-3, Tables 1-2)"
#: What the outputs read besides the eval files and logs: the departures from the protocol
#: (.protocol.effective) and the claims' test-point counts.
PARAMS = ("split", "train.epochs", "train.batch_size", "train.grid.lr", "train.max_steps_per_round",
          "train.min_steps_per_round", "train.progressive", "attack.eps", "attack.suite", "attack.deepfool",
          "attack.cw", "studies.guo")


def stages(s) -> list[Stage]:
    a = f"{s.root}/levels"
    return [report_stage(s, "levels", a, PARAMS, md=out("levels.md"), csv=out("levels.csv"),
                         png=out("levels.png", caption="guo_levels.rst", category=CATEGORY,
                                 label="robustness per pruning round")),
            html_page("html_levels", f"{a}/levels.md", "guo_levels.rst", CATEGORY, "tables per round"),
            fidelity_page(s, CATEGORY)]


STAGES = (stages,)
