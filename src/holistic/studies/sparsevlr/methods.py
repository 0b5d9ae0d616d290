"""The methods of SparseVLR (Kaur & Salekin; §5, Tables 2, 3, 6), as compositions of registered
pieces, all on ``cnn_4layer`` (App. A) with the certified objective (eq. 4) under the
perturbation scheduler (App. B.1); the target sparsity p is the grid axis ``target_sparsity``:

* ``dense``: the dense network, CROWN-IBP / IBP mixture (eq. 5), the reference;
* ``dense-natural``: the same network trained on the natural cross-entropy (App. D's naturally
  trained model: its weights against ``dense``'s, claim V7; both log their weights' histogram,
  procedure ``single_traced``);
* ``PM``: the converged dense model pruned by global magnitude to p, no retraining;
* ``PM-finetuned``: PM fine-tuned under its fixed mask (§3, Fig. 1 (ii));
* ``PM-T`` (PM^T): Algorithm 1 (thickening, then pruning back to p after every epoch) from PM;
* ``RSM-T`` (RSM^T): Algorithm 1 from a random sparse model: SparseVLR itself;
* ``RIPM-T`` (RIPM^T): Algorithm 1 from PM's mask on random weights (Table 3);
* ``RSM-T-IBP``, ``RSM-T-CROWN``, ``RSM-T-CROWN-Fast``: RSM^T trained through another bound
  (Table 6; RSM^T itself is the CROWN-IBP row). ``RSM-T-CROWN-Fast`` trains through the cited
  code's ``CROWN-FAST``, i.e. CROWN-IBP without the IBP mixing (beta = 1 throughout), not
  through Fastened-CROWN (Lyu et al.), which Table 6's "CROWN-Fast" column cites; the tables
  and the departures name it for what it is.

PM, PM-finetuned, PM^T and RIPM^T start from the dense model of the same split
(:data:`SOURCES`: their train jobs have the dense job's model file as input).
"""

from __future__ import annotations

from ...methods import Method

MODEL = "cnn_4layer"


#: auto_LiRPA's ``cnn_4layer`` leaves ``nn.Conv2d`` / ``nn.Linear`` as PyTorch initialises them
#: (kaiming-uniform, a = sqrt(5); uniform biases): the paper's seed draws from it (Alg. 1 line 1).
INITIALISER = "torch-default"


def certified(procedure: str, loss: str = "certified") -> Method:
    return Method(loss=loss, procedure=procedure, model=MODEL, initialiser=INITIALISER)


METHODS: dict[str, Method] = {
    "dense": certified("single_traced"),
    "dense-natural": Method(loss="ce", procedure="single_traced", model=MODEL, initialiser=INITIALISER),
    "PM": certified("pruned_pm"),
    "PM-finetuned": certified("static_sparse_pm"),
    "PM-T": certified("dynamic_sparse_pm"),
    "RSM-T": certified("dynamic_sparse"),
    "RIPM-T": certified("dynamic_sparse_ripm"),
    "RSM-T-IBP": certified("dynamic_sparse", "certified_ibp"),
    "RSM-T-CROWN": certified("dynamic_sparse", "certified_crown"),
    "RSM-T-CROWN-Fast": certified("dynamic_sparse", "certified_crown_fast"),
}
BASELINE = "dense"
#: method -> the method whose trained models it starts from (``Study.sources``).
SOURCES = {m: "dense" for m in ("PM", "PM-finetuned", "PM-T", "RIPM-T")}
#: The paper's names (tables and figures).
LABELS = {"dense": "dense", "dense-natural": "dense (natural)", "PM": "PM", "PM-finetuned": "PM finetuned", "PM-T": "PM^T", "RSM-T": "RSM^T",
          "RIPM-T": "RIPM^T", "RSM-T-IBP": "RSM^T (IBP)", "RSM-T-CROWN": "RSM^T (CROWN)",
          "RSM-T-CROWN-Fast": "RSM^T (CROWN-IBP, no mixing)"}
#: Table 6: the training bound of each RSM^T variant (the paper's column for the CROWN-FAST row:
#: "CROWN-Fast", citing Fastened-CROWN, which is not what it runs).
BOUNDS = {"RSM-T-IBP": "IBP", "RSM-T-CROWN": "CROWN",
          "RSM-T-CROWN-Fast": "CROWN-IBP without mixing (auto_LiRPA CROWN-FAST; paper column: Fastened-CROWN)",
          "RSM-T": "CROWN-IBP"}
