"""The study's analysis stage (Dinh et al. 2020, Tables 1-4, the noise table, the claims) and
its report pages; factories receive ``holistic.workflow.spec.StudyJobs``."""

from __future__ import annotations

from ...workflow.stage import Stage, dirname_of, html_page, out

CATEGORY = "2. RVSM / RGSM / ADMM (Tables 1-4)"
#: What the tables' headers read (the departures from the protocol: .protocol.departures).
PARAMS = ("split", "train.epochs", "train.batch_size", "train.grid.lr", "attack.rho_test", "attack.ifgsm",
          "attack.eot_ifgsm")


def tables_stage(s) -> Stage:
    a = f"{s.root}/paper"
    return Stage(
        name="tables", script="stages/rvsm_tables.py",
        args=f"--study {s.name} --evals {{input.evals}} --out {{params.out}}",
        inputs={"evals": s.evals},
        outputs={"md": out(f"{a}/tables.md"), "csv": out(f"{a}/summary.csv"),
                 "png": out(f"{a}/rvsm.png", caption="rvsm_tables.rst", category=CATEGORY,
                            label="sparsity and accuracy per beta / lambda_1"),
                 "fidelity": out(f"{a}/fidelity.md"), "claims": out(f"{a}/claims.csv")},
        params=PARAMS, values={"out": dirname_of("output", "md")},
        data=("src/holistic/studies/rvsm/reference",), local=True)


def pages(s) -> list[Stage]:
    a = f"{s.root}/paper"
    return [html_page("html_tables", f"{a}/tables.md", "rvsm_tables.rst", CATEGORY, "Tables 1-4 and noise"),
            html_page("html_fidelity", f"{a}/fidelity.md", "rvsm_fidelity.rst", CATEGORY, "fidelity and claims")]


STAGES = (tables_stage, pages)
