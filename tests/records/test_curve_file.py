"""The curve files of the train jobs: every model at every epoch, exactly as trained."""

import numpy as np
import pytest
import torch

from conftest import blobs, hdl
from holistic.data.stacked import stack_splits
from holistic.errors import DataError
from holistic.jobs.train import save_curves
from holistic.methods import model_grid
from holistic.records.curves import COLUMNS, load_curves
from holistic.train.config import TrainConfig
from holistic.train.loop import train_grid


def test_a_curve_file_holds_every_model_at_every_epoch_and_its_kept_epoch(tmp_path):
    X, y = blobs(160, 4, 3, seed=5)
    idx = np.random.default_rng(0).permutation(160)
    data = stack_splits(X, y, {"test": idx[:40], "train": np.stack([idx[40:120], idx[80:160]]),
                               "val": np.stack([idx[120:160], idx[40:80]])}, "minmax")
    specs = model_grid(hdl("DL"), {"lr": [0.01, 0.001]}, 2)
    res = train_grid(data, hdl("DL"), specs, TrainConfig(epochs=5, batch_size=16), log=None)
    path = tmp_path / "curves" / "DL.csv"
    save_curves(path, res, specs, {"dataset": "blobs", "method": "DL"})
    assert [p.name for p in path.parent.iterdir()] == ["DL.csv"]  # no temporary left behind
    df = load_curves([path])
    assert list(df.columns) == list(COLUMNS) and len(df) == 5 * len(specs)
    assert set(df["dataset"]) == {"blobs"} and set(df["method"]) == {"DL"}
    for g, spec in enumerate(specs):
        rows = df[(df["config_id"] == spec.config_id) & (df["split"] == spec.split)]
        assert list(rows["epoch"]) == list(range(5))
        # exactly the trained values (float64 round trip), the kept epoch's being the kept accuracy
        assert torch.equal(torch.tensor(rows["val_accuracy"].to_numpy()), res.val_curve[:, g])
        assert rows["val_accuracy"].iloc[int(res.best_epoch[g])] == float(res.best_val_accuracy[g])


def test_a_bad_curve_file_is_named(tmp_path):
    with pytest.raises(DataError, match="missing.csv: curve file not found"):
        load_curves([tmp_path / "missing.csv"])
    (tmp_path / "short.csv").write_text("dataset,method,epoch,val_accuracy\nd,M,0,0.5\n")
    with pytest.raises(DataError, match=r"short\.csv: column\(s\) config_id, split missing"):
        load_curves([tmp_path / "short.csv"])
    (tmp_path / "high.csv").write_text(",".join(COLUMNS) + "\nd,M,0,0,0,0.5\nd,M,0,0,1,1.5\n")
    with pytest.raises(DataError, match=r"high\.csv: row 3: val_accuracy 1\.5 is not in \[0, 1\]"):
        load_curves([tmp_path / "high.csv"])
