"""Tables 1-4 of Dinh et al. (2020) as this run measures them, each row beside the published cell
(the paper's network in the same role: ResNet20 for the single net, En_2ResNet20 for the
ensemble, ResNet38 for the deeper net), and the noise table (noise off and on, EOT, the
gradient-obfuscation flag). Every header names the run's departures (:mod:`.protocol`)."""

from __future__ import annotations

import pandas as pd

from ...render.tables import markdown_table, number
from .methods import ARCHITECTURES
from .published import cell

#: role -> the paper's network in that role.
PAPER_NET = {"single": "ResNet20", "ensemble": "En2ResNet20", "deep": "ResNet38", "en5": "En5ResNet20"}
#: table -> (title, roles, prunings shown, the published columns of its cells).
TABLES = {
    1: ("Table 1: RVSM (lambda 1e-6); setting = beta", ("single", "ensemble"), ("none", "RVSM"),
        ("A1", "A2", "A3", "A4", "sparsity")),
    2: ("Table 2: RGSM (beta 1, lambda_2 1e-5); setting = lambda_1", ("single", "ensemble", "en5"), ("none", "RGSM"),
        ("A1", "A2", "A3", "A4", "A5", "channel_sparsity")),
    3: ("Table 3: En_2 vs the deeper single net of about its size, RGSM; setting = lambda_1", ("ensemble", "deep"),
        ("none", "RGSM"), ("A1", "A2", "A3", "A4", "channel_sparsity")),
    4: ("Table 4: the single net, RVSM / RGSM against ADMM (as the paper counted it, and with the final "
        "projection + masked retraining); setting = beta, lambda_1 or ADMM's target share",
        ("single",), ("RVSM", "ADMM", "ADMM-proj", "RGSM", "ADMMch", "ADMMch-proj"),
        ("A1", "A2", "A3", "A4", "sparsity", "channel_sparsity")),
}
HERE = ("A1", "A2", "A3", "A4", "sparsity", "channel_sparsity")
HEADER = ["network", "pruning", "setting", "n", "A1 clean", "A2 FGSM", "A3 IFGSM-20", "A4 weak C&W (flag)",
          "sparsity", "channel sp.", "paper (same columns; A5 where given)"]
PUBLISHED_PRUNING = {"ADMM-proj": None, "ADMMch-proj": None}
SURROGATE_NOTE = ("Surrogate model and data: the paper's cells are CIFAR-10 ResNets, the rows here the "
                  "networks named in the first column (flagged: compare the pattern, not the values).")
A4_NOTE = ("A4 is the EnResNet script's weak C&W (50 Adam steps of 6e-4, perturbation scaled by eps), "
           "as the paper measured it: it is why A4 > A2 in the paper; not a robustness measure.")


def role(network: str) -> str:
    return ARCHITECTURES[network][1]


def setting(r) -> str:
    return "-" if pd.isna(r["hyper"]) else f"{r['hyper']:g}"


def paper_cell(published: pd.DataFrame, table: int, r, columns) -> str:
    """The published cell of the row's (role, pruning, setting) as ``A1 / A2 / ...``, or ``-``."""
    pruning = PUBLISHED_PRUNING.get(r["pruning"], r["pruning"])
    if pruning is None:
        return "- (not in the paper)"
    hyper = None if pruning in ("none", "ADMM", "ADMMch") else r["hyper"]
    vals = [cell(published, table, PAPER_NET[role(r["network"])], pruning, hyper, c) for c in columns]
    if all(v is None for v in vals):
        return "-"
    return " / ".join(number(v, 2, missing="-") for v in vals)


def table_rows(summary: pd.DataFrame, dataset: str, table: int) -> pd.DataFrame:
    _, roles, prunings, _ = TABLES[table]
    d = summary[(summary["dataset"] == dataset) & summary["pruning"].isin(prunings)]
    return d[d["network"].map(role).isin(roles)]


def table_markdown(summary: pd.DataFrame, published: pd.DataFrame, dataset: str, table: int, note: str) -> str:
    title, _, _, columns = TABLES[table]
    rows = []
    for _, r in table_rows(summary, dataset, table).iterrows():
        rows.append([r["network"], r["pruning"], setting(r), str(int(r["n"]))]
                    + [number(r[m], 2, missing="-") for m in HERE] + [paper_cell(published, table, r, columns)])
    if not rows:
        return ""
    caption = (f"**{dataset}: {title} (test accuracy and sparsity, %, mean over splits).** {note} "
               f"{SURROGATE_NOTE} {A4_NOTE} Paper columns: {' / '.join(columns)}.")
    return markdown_table(HEADER, rows, "lllr" + "r" * len(HERE) + "l", caption)


NOISE_HEADER = ["network", "pruning", "setting", "A1 off", "A3 IFGSM-20 off", "A1 on", "A3 IFGSM-20 on",
                "A3 EOT-IFGSM-20 on", "IFGSM - EOT", "gradient obfuscation"]


def noise_markdown(summary: pd.DataFrame, dataset: str, note: str, draws: int) -> str:
    """The noise-injected nets with the noise off and on; EOT with ``draws`` draws a gradient."""
    d = summary[(summary["dataset"] == dataset) & summary["A1_noise"].notna()]
    if d.empty:
        return ""
    rows = [[r["network"], r["pruning"], setting(r), number(r["A1"], 2, missing="-"), number(r["A3"], 2, missing="-"),
             number(r["A1_noise"], 2, missing="-"), number(r["A3_noise"], 2, missing="-"),
             number(r["eot"], 2, missing="-"), number(r["A3_noise"] - r["eot"], 2, missing="-"),
             {True: "FLAG", False: "no"}.get(r["obfuscation"], "-")] for _, r in d.iterrows()]
    caption = (f"**{dataset}: noise-injected nets, noise off and on (test accuracy, %).** {note} EOT: IFGSM-20 on "
               f"the input gradient averaged over {draws} noise draws; FLAG: EOT lowers the noisy net's IFGSM-20 "
               "accuracy by more than 2 points (gradient obfuscation: the noisy net's robustness is overstated).")
    return markdown_table(NOISE_HEADER, rows, "lll" + "r" * 6 + "l", caption)


def tables_markdown(summary: pd.DataFrame, published: pd.DataFrame, notes: dict[str, str], draws: int) -> str:
    parts = ["# Dinh et al. (2020), Tables 1-4, as measured here", ""]
    for dataset in summary["dataset"].unique():
        for t in TABLES:
            text = table_markdown(summary, published, dataset, t, notes.get(dataset, ""))
            if text:
                parts += [text, ""]
        text = noise_markdown(summary, dataset, notes.get(dataset, ""), draws)
        if text:
            parts += [text, ""]
    return "\n".join(parts)
