"""The study's report stage (SparseVLR Tables 2, 3, 6, Figs. 4-5, the claims) and its pages;
factories receive ``holistic.workflow.grid.StudyJobs``."""

from __future__ import annotations

from ...workflow.stage import Stage, fidelity_page, html_page, out, report_stage

CATEGORY = "2. SparseVLR (Tables 2, 3, 6; Figs. 4-5)"
#: What the tables' headers and the claims read (the departures: .protocol.effective).
PARAMS = ("split", "train.epochs", "train.batch_size", "train.grid.lr", "train.grid.target_sparsity",
          "train.certified", "attack.eps", "attack.pgd_steps", "attack.suite", "attack.verify",
          "studies.sparsevlr")


def stages(s) -> list[Stage]:
    a = f"{s.root}/sparsevlr"
    return [report_stage(s, "report", a, PARAMS, md=out("tables.md"), csv=out("tables.csv"), traces=out("traces.csv"),
                         errors=out("errors.png", caption="sparsevlr_errors.rst", category=CATEGORY,
                                    label="errors per sparsity"),
                         dynamics=out("dynamics.png", caption="sparsevlr_dynamics.rst", category=CATEGORY,
                                      label="gradient flow, state changes, weights")),
            html_page("html_tables", f"{a}/tables.md", "sparsevlr_tables.rst", CATEGORY, "Tables 2, 3, 6"),
            fidelity_page(s, CATEGORY)]


STAGES = (stages,)
