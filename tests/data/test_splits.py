"""Stratified seeded splits and the two preprocessing modes."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from holistic.data.preprocess import fit_scaler, input_box, transform
from holistic.data.splits import load_splits, make_splits, save_splits
from holistic.errors import DataError, ParamsError

Y = np.repeat([0, 1, 2], [100, 60, 40])  # imbalanced, n = 200


def test_disjoint_covering_and_shapes():
    s = make_splits(Y, n_splits=4, test_fraction=0.2, val_fraction=0.25, seed=0)
    assert s["test"].dtype == s["train"].dtype == s["val"].dtype == np.int64
    assert s["test"].shape == (40,)
    assert s["train"].shape == (4, 120) and s["val"].shape == (4, 40)
    for tr, va in zip(s["train"], s["val"]):
        parts = [s["test"], tr, va]
        allidx = np.concatenate(parts)
        assert len(np.unique(allidx)) == len(Y)  # disjoint ...
        assert np.array_equal(np.sort(allidx), np.arange(len(Y)))  # ... and covering
    # the test set is the same for every split, the train/val draws differ
    assert not np.array_equal(s["train"][0], s["train"][1])


def test_stratified():
    s = make_splits(Y, n_splits=3, test_fraction=0.2, val_fraction=0.25, seed=1)
    whole = np.bincount(Y) / len(Y)
    for idx in [s["test"], *s["train"], *s["val"]]:
        counts = np.bincount(Y[idx], minlength=3)
        assert np.all(np.abs(counts - whole * len(idx)) <= 1.0), counts


def test_reproducible_and_seed_dependent():
    a = make_splits(Y, 3, 0.2, 0.2, seed=7)
    b = make_splits(Y, 3, 0.2, 0.2, seed=7)
    c = make_splits(Y, 3, 0.2, 0.2, seed=8)
    for k in ("test", "train", "val"):
        assert np.array_equal(a[k], b[k])
    assert not np.array_equal(a["test"], c["test"])
    assert not np.array_equal(a["train"], c["train"])


def test_tiny_class_falls_back_with_warning():
    y = np.array([0] * 20 + [1])  # class 1 has a single member: cannot stratify
    with pytest.warns(UserWarning, match="cannot stratify"):
        s = make_splits(y, 2, 0.2, 0.2, seed=0)
    assert s["train"].shape[0] == 2
    assert len(s["test"]) + s["train"].shape[1] + s["val"].shape[1] == 21


def test_too_few_rows_is_data_error():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DataError, match="cannot split"):
            make_splits(np.array([0]), 1, 0.2, 0.2, seed=0)


def test_save_load_roundtrip(tmp_path):
    s = make_splits(Y, 2, 0.2, 0.2, seed=3)
    p = tmp_path / "sp" / "x.npz"
    save_splits(p, s)
    t = load_splits(p)
    for k in ("test", "train", "val"):
        assert np.array_equal(s[k], t[k]) and t[k].dtype == np.int64
    q = tmp_path / "sp" / "y.npz"
    save_splits(q, s)
    assert p.read_bytes() == q.read_bytes()  # byte-reproducible
    assert not list(p.parent.glob("*.tmp"))
    with pytest.raises(DataError, match="missing.npz: splits file not found"):
        load_splits(tmp_path / "missing.npz")


# ----------------------------------------------------------------------------- preprocessing

def test_minmax_fitted_on_train_only_and_clipped():
    Xtr = np.array([[0.0, 5.0, 1.0], [10.0, 7.0, 1.0]])
    sc = fit_scaler(Xtr, "minmax")
    assert np.array_equal(sc["shift"], [0, 5, 1]) and np.array_equal(sc["scale"], [10, 2, 1])  # constant col: 1
    Z = transform(Xtr, sc, "minmax")
    assert Z.dtype == np.float32 and np.array_equal(Z, [[0, 0, 0], [1, 1, 0]])
    Xte = np.array([[20.0, 6.0, 3.0], [-5.0, 4.0, 0.0]])  # beyond the training range
    assert np.array_equal(transform(Xte, sc, "minmax"), [[1, 0.5, 1], [0, 0, 0]])
    assert input_box("minmax") == (0.0, 1.0)


def test_paper_mode_is_standardised_over_255():
    rng = np.random.default_rng(0)
    Xtr = rng.normal(3.0, 2.0, size=(50, 3))
    Xtr[:, 2] = 4.0  # constant column
    sc = fit_scaler(Xtr, "paper")
    Z = transform(Xtr, sc, "paper").astype(np.float64)
    assert np.allclose(Z[:, :2].mean(0), 0, atol=1e-6)
    assert np.allclose(Z[:, :2].std(0), 1 / 255, rtol=1e-5)
    assert np.all(Z[:, 2] == 0)
    Xte = Xtr[:5] + 100.0
    expected = (Xte - Xtr.mean(0)) / (np.where(Xtr.std(0) > 0, Xtr.std(0), 1) * 255)
    assert np.allclose(transform(Xte, sc, "paper"), expected, rtol=1e-6)  # not clipped
    assert input_box("paper") is None


def test_unknown_mode():
    with pytest.raises(ParamsError, match="split.preprocessing"):
        fit_scaler(np.zeros((2, 2)), "zscore")


# --------------------------------------------------------------------------- image sets

Y_IMG = np.tile(np.arange(10), 30)  # 300 rows: 200 "official training" rows, then 100 test rows


def test_official_split_uses_the_official_test_set_and_splits_the_training_rows():
    s = make_splits(Y_IMG, n_splits=3, test_fraction=0.2, val_fraction=0.2, seed=0, test_start=200)
    assert np.array_equal(s["test"], np.arange(200, 300))  # the official test set, whole
    assert s["train"].shape == (3, 160) and s["val"].shape == (3, 40)  # 80/20 of the 200 training rows
    for tr, va in zip(s["train"], s["val"]):
        assert np.array_equal(np.sort(np.concatenate([tr, va])), np.arange(200))
        assert np.all(np.bincount(Y_IMG[va], minlength=10) == 4)  # stratified
    # `auto` is `official` where there is an official test set; `random` ignores it
    assert np.array_equal(make_splits(Y_IMG, 3, 0.2, 0.2, 0, test_start=200, mode="official")["test"], s["test"])
    rnd = make_splits(Y_IMG, 3, 0.2, 0.2, 0, test_start=200, mode="random")
    assert len(rnd["test"]) == 60 and rnd["test"].min() < 200


def test_official_mode_needs_an_official_test_set():
    with pytest.raises(DataError, match="official"):
        make_splits(Y, 3, 0.2, 0.2, 0, mode="official")


def test_a_slice_is_a_stratified_seeded_subsample():
    s = make_splits(Y_IMG, 1, 0.2, 0.2, 0, test_start=200, max_trainval_rows=50, max_test_rows=20)
    assert s["train"].shape == (1, 40) and s["val"].shape == (1, 10) and s["test"].shape == (20,)
    assert s["test"].min() >= 200 and s["train"].max() < 200
    assert np.all(np.bincount(Y_IMG[s["test"]], minlength=10) == 2)
    again = make_splits(Y_IMG, 1, 0.2, 0.2, 0, test_start=200, max_trainval_rows=50, max_test_rows=20)
    assert all(np.array_equal(s[k], again[k]) for k in s)


def test_per_dataset_settings_override_the_split_section():
    from holistic.data.splits import split_params

    params = {"split": {"n_splits": 3, "test_fraction": 0.2, "val_fraction": 0.2, "preprocessing": "minmax",
                        "per_dataset": {"mnist": {"n_splits": 1, "max_test_rows": 500}}}}
    assert split_params(params, "mnist") == {"n_splits": 1, "test_fraction": 0.2, "val_fraction": 0.2,
                                             "preprocessing": "minmax", "max_test_rows": 500}
    assert split_params(params, "sklearn-iris")["n_splits"] == 3


# --------------------------------------------------------------------- the published split

PUBLISHED_ROWS = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "published_test_rows"


def _uci_sets():
    from holistic.data import registry

    return [registry.get(n) for n in registry.names() if registry.get(n).source == "uci"]


@pytest.mark.skipif(not (PUBLISHED_ROWS / "SHA256SUMS").is_file(), reason="../shared/reference not beside the project")
def test_published_split_reproduces_the_published_test_rows_of_all_45_sets():
    import hashlib
    import math

    sums = {name: digest for digest, name in
            (line.split() for line in (PUBLISHED_ROWS / "SHA256SUMS").read_text().splitlines())}
    sets = _uci_sets()
    assert len(sets) == 45
    for info in sets:
        y = np.zeros(info.n, dtype=np.int64)  # the published split ignores the labels
        s = make_splits(y, n_splits=10, test_fraction=0.2, val_fraction=0.2, seed=123, mode="published")
        listing = "".join(f"{r}\n" for r in s["test"]).encode()
        assert hashlib.sha256(listing).hexdigest() == sums[f"{info.stem}_test_rows.txt"], info.name
        n_rest = info.n - math.ceil(info.n / 5)
        n_val = int(0.2 * n_rest)
        assert s["train"].shape == (10, n_rest - n_val) and s["val"].shape == (10, n_val), info.name
        for tr, va in zip(s["train"], s["val"]):  # a partition of every row
            assert np.array_equal(np.sort(np.concatenate([s["test"], tr, va])), np.arange(info.n))


def test_published_split_is_scikit_learns_train_test_split_with_the_published_seeds():
    from sklearn.model_selection import train_test_split

    n = 351  # ionosphere's rows
    s = make_splits(np.zeros(n, dtype=np.int64), 10, 0.2, 0.2, seed=0, mode="published")
    rest, test = train_test_split(np.arange(n), test_size=1 / 5, random_state=0)
    assert np.array_equal(s["test"], test)
    for e in range(10):
        tr, va = train_test_split(rest, test_size=int(0.2 * len(rest)), random_state=4557077 * (e + 1))
        assert np.array_equal(s["train"][e], tr) and np.array_equal(s["val"][e], va)
    # the params seed plays no part: the published seeds are fixed
    again = make_splits(np.zeros(n, dtype=np.int64), 10, 0.2, 0.2, seed=7, mode="published")
    assert all(np.array_equal(s[k], again[k]) for k in s)


def test_published_split_refuses_slices_and_image_sets():
    with pytest.raises(DataError, match="every row"):
        make_splits(Y, 3, 0.2, 0.2, 0, mode="published", max_test_rows=10)
    with pytest.raises(DataError, match="official test set"):
        make_splits(Y_IMG, 3, 0.2, 0.2, 0, test_start=200, mode="published")
