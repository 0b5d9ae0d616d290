"""The study's report stage (Dinh et al. 2020, Tables 1-4, the noise table, the figure under
``results/rvsm/paper/``; the claims and the fidelity document as every study's,
``results/rvsm/claims.csv`` and ``results/rvsm/fidelity.md``) and its pages; factories receive
``holistic.workflow.grid.StudyJobs``."""

from __future__ import annotations

from ...workflow.stage import Stage, fidelity_page, html_page, out, report_stage

CATEGORY = "2. RVSM / RGSM / ADMM (Tables 1-4)"
#: What the tables' headers and the claims read (the departures: .protocol.effective).
PARAMS = ("split", "train.epochs", "train.batch_size", "train.grid", "train.lr_schedule", "train.max_steps_per_round",
          "train.min_steps_per_round", "train.adversarial.iterate", "attack.eps", "attack.suite", "attack.ifgsm",
          "attack.eot_ifgsm")


def stages(s) -> list[Stage]:
    a = f"{s.root}/paper"
    return [report_stage(s, "tables", a, PARAMS, md=out("tables.md"), csv=out("summary.csv"),
                         png=out("rvsm.png", caption="rvsm_tables.rst", category=CATEGORY,
                                 label="sparsity and accuracy per beta / lambda_1")),
            html_page("html_tables", f"{a}/tables.md", "rvsm_tables.rst", CATEGORY, "Tables 1-4 and noise"),
            fidelity_page(s, CATEGORY)]


STAGES = (stages,)
