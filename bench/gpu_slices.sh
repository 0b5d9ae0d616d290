#!/usr/bin/env bash
# The GPU slices of two papers (issue 33, item 5), at most 8 minutes on one H100 in all:
#   bench/gpu_lth.py  Cosentino et al. Table 1: PGD-init tickets at P_m 51.3 / 16.9 % against the dense
#                     PGD-trained net, rounds of 30,000 steps (3 trials stacked);
#   bench/gpu_guo.py  Guo et al. Fig. 2: the LeNet-5 progressive sweep (16 prunes of 1/3), rounds of
#                     50,000 steps, r_inf (FGS, no box, eps 0.1) and r_2 (DeepFool) every round.
#   bench/gpu_sparsevlr.py, bench/gpu_rvsm.py  (issue 32, item 5; each alone: SLICES=sparsevlr, SLICES=rvsm): SparseVLR
#                     Table 2, dense vs RSM^T 99 % (CROWN-IBP, eps 0.4); ResMLP-RVSM vs ResMLP-ADMM-proj (PGD AT, MNIST).
# Each script times a few hundred steps first and scales its steps a round down to fit its
# training budget (saying so in its output and JSON: "scaled", "scale_note").
#
# Prepare here (the device machine has no network and no ../shared; data/ is git-ignored, so it is carried):
#   mkdir -p data/mirror/mnist && cp ../shared/data/mnist/*-ubyte.gz ../shared/data/mnist/SHA256SUMS data/mirror/mnist/ \
#     && (cd data/mirror/mnist && sha256sum -c SHA256SUMS)
# Run through the device tool with carry: ["data/mirror/mnist"] and timeout_s 540:
#   bash bench/gpu_slices.sh                 # both: lth with 190 s of training, guo with what is left
#   SLICES=guo bash bench/gpu_slices.sh      # one of them, with the whole 8 minutes
# Results come back under $OUT: gpu_lth.json, gpu_lth_eval.json, gpu_lth.log and the same for gpu_guo
# (6 files; the tool returns at most 8).
set -uo pipefail
OUT=${OUT:-results/bench}
SLICES=${SLICES:-lth guo}
TOTAL=${TOTAL_S:-470}           # seconds for the scripts together (8 minutes less the start)
LTH_BUDGET=${LTH_BUDGET_S:-190} # lth's training seconds when both run (import, data, probe, evaluation: ~40 s more)
LTH_LIMIT=${LTH_LIMIT_S:-255}   # and its time limit then
RESERVE=95                      # seconds a script alone is given besides training (guo's DeepFool on 17 x G models)
MIRROR=${MIRROR:-data/mirror/mnist}
DEVICE=${DEVICE:-cuda}          # DEVICE=cpu EXTRA=--smoke: the driver's own check, anywhere
EXTRA=${EXTRA:-}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
PY=$(command -v python3 || command -v python)
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
if ! (cd "$MIRROR" && sha256sum -c --quiet SHA256SUMS); then
  echo "MNIST mirror $MIRROR missing or corrupt: prepare it (see the head of this file) and carry it" >&2
  exit 2
fi
start=$SECONDS
left() { echo $((TOTAL - (SECONDS - start))); }
for s in $SLICES; do
  limit=$(left)
  if [ "$s" = lth ] && [ "$(echo "$SLICES" | wc -w)" -gt 1 ]; then
    budget=$LTH_BUDGET; limit=$LTH_LIMIT
  else
    budget=$((limit - RESERVE))
  fi
  if [ "$budget" -lt 30 ]; then
    echo "$s: skipped ($(left) s left)"; continue
  fi
  echo "== $s: training budget $budget s, time limit $limit s"
  timeout "$limit" "$PY" "bench/gpu_$s.py" --device "$DEVICE" --budget-s "$budget" --mirror "$MIRROR" \
      --out "$OUT/gpu_$s.json" $EXTRA 2>&1 | tee "$OUT/gpu_$s.log"
  rc=${PIPESTATUS[0]}
  [ "$rc" -eq 0 ] || echo "$s: exit $rc (124: stopped at its time limit; the JSON holds what it reached: status)"
done
echo "total $((SECONDS - start)) s"
