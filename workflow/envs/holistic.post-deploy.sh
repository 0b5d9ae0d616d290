#!/usr/bin/env bash
# Run by `snakemake --sdm conda` inside the new environment, from the project root:
# the project and its dependencies, pinned like `make setup` (torch CPU build included).
set -euo pipefail
python -m pip install -q -c constraints.txt -e .
