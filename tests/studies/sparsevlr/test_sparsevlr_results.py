"""The study's reading of the sparse procedures' train logs: one prune an epoch (the default
cadence), or prunes every K optimizer steps grouped by the epoch they fell in."""

import math

from holistic.studies.sparsevlr.results import prune_values


def test_prunes_every_k_steps_are_summed_per_epoch_and_the_last_ones_active_count_kept():
    trace = {"sparse_state_changes": [[4, 6], [2, 0], [8, 2]], "sparse_active_before_prune": [[30, 31], [28, 29],
                                                                                             [33, 35]],
             "sparse_prune_epoch": [0, 1, 1]}
    assert prune_values(trace, 1, 0) == {"state_changes": 10, "active_before_prune": 33}
    assert prune_values(trace, 0, 1) == {"state_changes": 6, "active_before_prune": 31}
    assert all(math.isnan(v) for v in prune_values(trace, 2, 0).values())  # no prune fell in epoch 2
    per_epoch = {k: v for k, v in trace.items() if k != "sparse_prune_epoch"}
    assert prune_values(per_epoch, 1, 0) == {"state_changes": 2, "active_before_prune": 28}
    assert all(math.isnan(v) for v in prune_values({}, 0, 0).values())  # the static mask / a dense model
