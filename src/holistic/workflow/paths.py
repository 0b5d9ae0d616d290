"""The workflow's file layout: each job's data, model and result paths (``{wildcard}`` patterns by
default, concrete paths when given names), and a method name as part of a stage name.

Core module: it imports no study."""

from __future__ import annotations

import re


def raw(dataset="{dataset}"):
    return f"data/raw/{dataset}.npz"


def splits(dataset="{dataset}"):
    return f"data/splits/{dataset}.npz"


def model(study="{study}", dataset="{dataset}", method="{method}"):
    return f"models/{study}/{dataset}/{method}.safetensors"


def train_log(study="{study}", dataset="{dataset}", method="{method}"):
    return f"results/{study}/train/{dataset}/{method}.json"


def eval_file(study="{study}", dataset="{dataset}", method="{method}"):
    return f"results/{study}/eval/{dataset}/{method}.json"


def curves_file(study="{study}", dataset="{dataset}", method="{method}"):
    return f"results/{study}/curves/{dataset}/{method}.csv"


def slug(name: str) -> str:
    """A method name as part of a DVC stage name: ``Robust+Sparse`` -> ``robust_sparse``."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
