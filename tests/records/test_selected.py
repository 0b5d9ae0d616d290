"""The selected.csv and train log formats: writer and reader agree, errors name the file."""

import json

import pandas as pd
import pytest

from holistic.errors import DataError
from holistic.records.selected import check_selected, read_selected, selected_csv
from holistic.records.train_log import load_logs


def test_selected_round_trip(tmp_path):
    sel = pd.DataFrame([{"dataset": "d", "method": "M", "metric": "stability", "config_id": 0,
                         "config": '{"lr": 0.01}', "validation": 1 / 3, "test": 2.0}])
    text = selected_csv(sel)
    assert text.splitlines()[1] == 'd,M,stability,0,"{""lr"": 0.01}",0.333333,2.000000'
    (tmp_path / "selected.csv").write_text(text)
    back = read_selected(tmp_path / "selected.csv")
    assert list(back.columns) == list(sel.columns) and back["test"].iat[0] == 2.0
    assert len(check_selected(back)) == 1
    with pytest.raises(DataError, match="unknown method 'M'"):
        check_selected(back, "x.csv", methods=["DL"])


def test_train_logs_ordered_by_given_methods(tmp_path):
    paths = []
    for m in ("B", "A"):
        p = tmp_path / f"{m}.json"
        p.write_text(json.dumps({"dataset": "d", "method": m, "models": 1, "steps": 2,
                                 "seconds": 1.0, "seconds_per_batch": 0.5}))
        paths.append(p)
    assert list(load_logs(paths)["method"]) == ["B", "A"]
    assert list(load_logs(paths, ["A", "B"])["method"]) == ["A", "B"]
    with pytest.raises(DataError, match="B.json: field 'method' is 'B'"):
        load_logs(paths, ["A"])
