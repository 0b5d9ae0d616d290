# Shared by all rules: validated params, the job grid, and the stage command prefix.
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir) / "src"))

from holistic.config import load_params
from holistic.train.methods import METHODS, param_keys

# params.yaml, then each --configfile in order: exactly what the stage scripts merge.
PARAM_FILES = ["params.yaml"] + [str(f) for f in workflow.overwrite_configfiles or []]
P = load_params(PARAM_FILES)  # schema-checked before any job starts
if json.dumps(P, sort_keys=True) != json.dumps(config, sort_keys=True):
    raise ValueError(
        "settings given with --config do not reach the stage scripts; "
        "put them in a YAML file and pass it with --configfile"
    )

PY = sys.executable
STAGE_ARGS = " ".join(f"--params {f}" for f in PARAM_FILES)
DATASETS = P["data"]["datasets"]
METHOD_NAMES = list(METHODS)
TABLE_NAMES = ["natural_accuracy", "adversarial_accuracy", "stability", "sparsity", "rank"]
TABLES = expand("results/tables/{table}.{ext}", table=TABLE_NAMES, ext=["csv", "md"])


wildcard_constraints:
    dataset="[a-z0-9][a-z0-9-]*",
    method="|".join(m.replace("+", r"\+") for m in METHOD_NAMES),


def settings(*keys):
    """JSON of the dotted params keys a job depends on: a change reruns exactly those jobs."""
    out = {}
    for key in keys:
        value = P
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        out[key] = value
    return json.dumps(out, sort_keys=True)


def in_report(path, caption, category, **labels):
    """Mark an output for `snakemake --report`: caption file in workflow/report/, grouped by category."""
    return report(path, caption=f"../report/{caption}", category=category,
                  labels=labels or None)
