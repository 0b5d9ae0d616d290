"""Draw a policy tree like Figures 4-5 of the paper (matplotlib, Agg backend).

Split nodes are grey boxes ``feature <= threshold``; leaves are coloured boxes with the
prescribed method and the number of training data sets in the leaf; the edge to the
left child is labelled ``yes`` (the test holds), the edge to the right child ``no``.
Leaves are placed left to right at the bottom of their own level, each parent midway
above its children. The PNG carries no software/version metadata, so the same tree
gives the same bytes on every run.
"""

from __future__ import annotations

import os
from typing import Sequence

from ....render.figures import new_figure, save_png
from .tree import Leaf, Split, Tree, leaves, tree_depth

#: Leaf colours, indexed by the prescribed treatment (matplotlib's tab10, lightened).
LEAF_COLOURS = ("#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2",
                "#dbdb8d", "#9edae5", "#c7c7c7")
SPLIT_COLOUR = "#eeeeee"


def layout(tree: Tree) -> list[tuple[Tree, float, int, Tree | None, bool]]:
    """Nodes with their position: (node, x, level, parent, is_left_child); leaves get
    x = 0, 1, 2, ... from left to right, a split the mean x of its two children."""
    out: list = []
    next_leaf = [0]

    def place(node: Tree, level: int, parent, is_left: bool) -> float:
        if isinstance(node, Leaf):
            x = float(next_leaf[0])
            next_leaf[0] += 1
        else:
            xl = place(node.left, level + 1, node, True)
            xr = place(node.right, level + 1, node, False)
            x = (xl + xr) / 2.0
        out.append((node, x, level, parent, is_left))
        return x

    place(tree, 0, None, False)
    return out


def node_label(node: Tree, feature_names: Sequence[str], action_names: Sequence[str]) -> str:
    """Text of a box: ``feature <= threshold`` or ``method`` / ``n = ...``."""
    if isinstance(node, Split):
        return f"{feature_names[node.feature]} \u2264 {node.threshold:.4g}"
    return f"{action_names[node.action]}\nn = {node.n}"


def plot_tree(tree: Tree, png_path: str | os.PathLike, feature_names: Sequence[str],
              action_names: Sequence[str], title: str = "", note: str = "") -> None:
    """Draw ``tree`` and write it atomically to ``png_path``; ``note`` (the run's departures
    from the paper) in small type in a band along the bottom."""
    import textwrap

    n_leaves, depth = len(leaves(tree)), tree_depth(tree)
    width, height = max(4.5, 2.6 * n_leaves), 1.5 * (depth + 1) + 0.8
    text = textwrap.fill(note, int(width * 15)) if note else ""  # about 15 characters an inch at 7 points
    band = (text.count("\n") + 1) * 9.0 / 72.0 + 0.1 if text else 0.0  # inches, 9 points a line
    fig = new_figure((width, height + band))
    low = band / (height + band)
    ax = fig.add_axes((0.0, low, 1.0, (0.9 if title else 1.0) * (1.0 - low)))
    if text:
        fig.text(0.5, 0.01, text, fontsize=7, ha="center", va="bottom")
    ax.set_xlim(-0.6, n_leaves - 0.4)
    ax.set_ylim(-depth - 0.5, 0.5)
    ax.set_axis_off()
    nodes = layout(tree)
    pos = {id(node): (x, -level) for node, x, level, _, _ in nodes}
    for node, x, level, parent, is_left in nodes:
        if parent is None:
            continue
        px, py = pos[id(parent)]
        ax.plot([px, x], [py, -level], color="0.45", linewidth=1.0, zorder=1)
        ax.text((px + x) / 2.0, (py - level) / 2.0, "yes" if is_left else "no", fontsize=8,
                ha="center", va="center", color="0.25", zorder=2,
                bbox=dict(boxstyle="square,pad=0.15", facecolor="white", edgecolor="none"))
    for node, x, level, _, _ in nodes:
        colour = (LEAF_COLOURS[node.action % len(LEAF_COLOURS)] if isinstance(node, Leaf)
                  else SPLIT_COLOUR)
        ax.text(x, -level, node_label(node, feature_names, action_names), fontsize=9,
                ha="center", va="center", zorder=3,
                bbox=dict(boxstyle="round,pad=0.45", facecolor=colour, edgecolor="0.25"))
    if title:
        fig.suptitle(title, fontsize=10, y=1.0 - 0.03 * (1.0 - low))
    save_png(fig, png_path)


__all__ = ["LEAF_COLOURS", "SPLIT_COLOUR", "layout", "node_label", "plot_tree"]
