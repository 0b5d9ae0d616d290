#!/usr/bin/env bash
# The `paper` profile timed on a lent GPU on three UCI sets of different sizes, then the whole
# 45-set study extrapolated (bench/paper_study_estimate.py states the method).
#
# Prepare here (the device machine has no network and no ../shared):
#   mkdir -p data/mirror/uci && cp ../shared/data/uci/{breast-cancer-wisconsin-diagnostic,spambase,magic-gamma-telescope}_* data/mirror/uci/
# Run through the device tool with carry: ["data/mirror"], e.g. timeout_s 540:
#   bash bench/gpu_paper_estimate.sh
# Results come back under $OUT (results/bench/paper_profile_<set>.json, paper_study_estimate.json).
set -euo pipefail
OUT=${OUT:-results/bench}
mkdir -p "$OUT"
pip install -q safetensors pyyaml 2>/dev/null || true   # the device image has torch
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
for d in breast-cancer-wisconsin-diagnostic spambase magic-gamma-telescope; do
  timeout 170 python bench/paper_profile_time.py --dataset "$d" --device cuda --mirror data/mirror/uci \
      --out "$OUT/paper_profile_$d.json" || echo "$d: stopped (time limit)"
done
python bench/paper_study_estimate.py "$OUT"/paper_profile_*.json --out "$OUT/paper_study_estimate.json"
