"""The greedy counterpart of the optimal policy tree: econml's ``PolicyTree``.

econml grows the tree top-down like CART: at each node it takes the single split that
maximises the summed reward of the two children *as leaves* (criterion
``neg_welfare``), and recurses, never revisiting a split. The exact search of
:mod:`holistic.studies.hdl.policy.tree` instead chooses every split jointly (a split that is poor
on its own but enables good splits below it can be chosen), so on the training data
its reward is never lower than the greedy tree's of the same depth and leaf size (the
greedy tree is one of the trees the exact search considers), and often higher. This
is the distinction Amram et al. (2022) draw between optimal and greedy policy trees.

Settings that make econml's tree a plain, deterministic greedy tree on the same
problem as :func:`holistic.studies.hdl.policy.tree.optimal_tree`:

* ``honest=False``: every observation is used both to choose splits and to set leaf
  values (an honest tree would use half of them for each);
* ``max_depth=depth``, ``min_samples_leaf=min_leaf``, ``min_samples_split=2*min_leaf``
  (the smallest node that can be split into two admissible children),
  ``min_balancedness_tol=0.5`` (no balance constraint beyond ``min_leaf``),
  ``max_features=None`` (all features at every node), ``min_impurity_decrease=0``;
* ``random_state=seed``: econml visits the features in a random order at each node
  and keeps the first best split, so a fixed seed fixes how ties are broken.

Leaves prescribe ``argmax`` of the leaf's mean rewards (ties to the lowest index, as in
the exact tree); econml's thresholds are midpoints between consecutive values, the
same convention as the exact tree.
"""

from __future__ import annotations

import numpy as np

from .tree import Split, Tree, check_inputs, leaf_for, tolerance


def greedy_estimator(depth: int, min_leaf: int, seed: int):
    """The configured (unfitted) ``econml.policy.PolicyTree`` (settings: module docstring)."""
    from econml.policy import PolicyTree

    return PolicyTree(criterion="neg_welfare", splitter="best", max_depth=int(depth),
                      min_samples_split=max(2, 2 * int(min_leaf)),
                      min_samples_leaf=int(min_leaf), min_weight_fraction_leaf=0.0,
                      max_features=None, random_state=int(seed), min_impurity_decrease=0.0,
                      min_balancedness_tol=0.5, honest=False)


def from_econml(estimator, X: np.ndarray, Gamma: np.ndarray) -> Tree:
    """Convert a fitted econml ``PolicyTree`` into the :class:`Leaf`/:class:`Split` tree.

    Each leaf keeps econml's prescription (``argmax`` of its value); its ``n`` and
    ``reward`` are recomputed from the training data ``(X, Gamma)`` routed by econml.
    """
    t = estimator.tree_
    node_of = estimator.apply(X)
    tol = tolerance(Gamma)

    def build(node: int) -> Tree:
        left, right = int(t.children_left[node]), int(t.children_right[node])
        if left < 0:
            action = int(np.argmax(t.value[node, :, 0]))
            return leaf_for(Gamma, _members_below(t, node, node_of), tol, action=action)
        return Split(feature=int(t.feature[node]), threshold=float(t.threshold[node]),
                     left=build(left), right=build(right))

    return build(0)


def _members_below(t, node: int, node_of: np.ndarray) -> np.ndarray:
    """Training rows whose leaf (from ``apply``) is ``node``."""
    return np.flatnonzero(node_of == node)


def greedy_tree(X, Gamma, depth: int, min_leaf: int = 1, seed: int = 0) -> Tree:
    """Fit econml's greedy policy tree on ``(X, Gamma)`` and return it as a :data:`Tree`.

    Depth 0 is the best single leaf (econml needs ``max_depth >= 1``; at depth 0 greedy
    and exact coincide).
    """
    X, G = check_inputs(X, Gamma, depth, min_leaf)
    if depth == 0:
        return leaf_for(G, np.arange(len(X)), tolerance(G))
    est = greedy_estimator(depth, min_leaf, seed).fit(X, G)
    return from_econml(est, X, G)


__all__ = ["greedy_estimator", "from_econml", "greedy_tree"]
