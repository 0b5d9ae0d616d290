"""The validation-curve figure: means per data set, method and epoch; a reproducible PNG."""

import pandas as pd

from holistic.records.curves import COLUMNS
from holistic.render.curves import mean_curves, write_curves_figure


def _curves():
    rows = [("wine", "DL", 0, s, e, v) for s, vs in enumerate([(0.5, 0.75), (0.25, 1.0)]) for e, v in enumerate(vs)]
    rows += [("wine", "HDL", 0, 0, e, v) for e, v in enumerate((0.5, 0.5))]
    rows += [("iris", "DL", c, 0, e, 0.1 * (c + e)) for c in range(2) for e in range(3)]
    return pd.DataFrame(rows, columns=list(COLUMNS))


def test_mean_curves_average_every_model_of_a_method_per_epoch_in_file_order():
    m = mean_curves(_curves())
    assert list(zip(m["dataset"], m["method"], m["epoch"])) == [
        ("wine", "DL", 0), ("wine", "DL", 1), ("wine", "HDL", 0), ("wine", "HDL", 1),
        ("iris", "DL", 0), ("iris", "DL", 1), ("iris", "DL", 2)]
    assert list(m["val_accuracy"][:2]) == [0.375, 0.875] and list(m["models"]) == [2, 2, 1, 1, 2, 2, 2]
    assert abs(m["val_accuracy"].iloc[-1] - 0.25) < 1e-12


def test_the_figure_and_its_data_are_the_same_bytes_on_rerun(tmp_path):
    for run in ("a", "b"):
        write_curves_figure(_curves(), tmp_path / run / "curves.png", tmp_path / run / "curves.csv")
    a, b = (tmp_path / "a" / "curves.png").read_bytes(), (tmp_path / "b" / "curves.png").read_bytes()
    assert a[:8] == b"\x89PNG\r\n\x1a\n" and a == b
    assert (tmp_path / "a" / "curves.csv").read_text() == (tmp_path / "b" / "curves.csv").read_text()
    assert (tmp_path / "a" / "curves.csv").read_text().splitlines()[:2] == [
        "dataset,method,epoch,val_accuracy,models", "wine,DL,0,0.375000,2"]
