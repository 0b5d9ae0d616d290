"""The study's analysis stage (SparseVLR Tables 2, 3, 6, Figs. 4-5, the claims) and its report
pages; factories receive ``holistic.workflow.spec.StudyJobs``."""

from __future__ import annotations

from ...workflow.stage import Stage, dirname_of, html_page, out

CATEGORY = "2. SparseVLR (Tables 2, 3, 6; Figs. 4-5)"
#: What the tables' headers read (the departures from the protocol: .protocol.departures).
PARAMS = ("split", "train.epochs", "train.batch_size", "train.grid.target_sparsity", "train.certified",
          "attack.rho_test", "attack.pgd_steps")


def report_stage(s) -> Stage:
    a = f"{s.root}/sparsevlr"
    return Stage(
        name="report", script="stages/sparsevlr_report.py",
        args=f"--study {s.name} --evals {{input.evals}} --logs {{input.logs}} --out {{params.out}}",
        inputs={"evals": s.evals, "logs": s.train_logs},
        outputs={"md": out(f"{a}/tables.md"), "csv": out(f"{a}/tables.csv"), "traces": out(f"{a}/traces.csv"),
                 "errors": out(f"{a}/errors.png", caption="sparsevlr_errors.rst", category=CATEGORY,
                               label="errors per sparsity"),
                 "dynamics": out(f"{a}/dynamics.png", caption="sparsevlr_dynamics.rst", category=CATEGORY,
                                 label="gradient flow, state changes, weights"),
                 "fidelity": out(f"{a}/fidelity.md"), "claims": out(f"{a}/claims.csv")},
        params=PARAMS, values={"out": dirname_of("output", "md")},
        data=("src/holistic/studies/sparsevlr/reference",), local=True)


def pages(s) -> list[Stage]:
    a = f"{s.root}/sparsevlr"
    return [html_page("html_tables", f"{a}/tables.md", "sparsevlr_tables.rst", CATEGORY, "Tables 2, 3, 6"),
            html_page("html_fidelity", f"{a}/fidelity.md", "sparsevlr_fidelity.rst", CATEGORY, "fidelity and claims")]


STAGES = (report_stage, pages)
