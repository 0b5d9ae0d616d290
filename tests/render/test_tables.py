"""The one number formatter and the one Markdown / CSV table writer."""

import math

import pandas as pd

from holistic.render.labels import METRIC_TITLES, wrapped
from holistic.render.tables import (bold_best, frame_csv, markdown_table, number, ordered,
                                    percent, rows_csv)


def test_number_formats():
    assert number(1.005, 2) == "1.00" and number(2.675, 2) == "2.67"   # binary value rounded
    assert number(math.nan, 2) == "" and number(None, 2, missing="-") == "-"
    assert number(0.5, 2, sign=True) == "+0.50" and number(-0.001, 2) == "-0.00"
    assert number(-0.001, 2, no_negative_zero=True) == "0.00"
    assert percent(0.156) == "15.6%" and percent(math.nan) == "-"


def test_markdown_table_caption_alignment_and_bold():
    cells = bold_best({"a": "1.00", "b": "2.00", "c": "2.00"}, ["a", "b", "c", "d"])
    assert cells == ["1.00", "**2.00**", "**2.00**", "-"]
    assert bold_best({"a": "1.0", "b": "2.0"}, ["a", "b"], best="min") == ["**1.0**", "2.0"]
    md = markdown_table(["x", "a"], [["r", "1"]], "lr", caption="**cap**")
    assert md == "**cap**\n\n| x | a |\n|:---|---:|\n| r | 1 |\n"


def test_csv_writers():
    assert rows_csv(["a", "b"], [["x,y", "1"]]) == 'a,b\n"x,y",1\n'
    assert frame_csv(pd.DataFrame({"a": [0.5, math.nan], "b": [1, 2]})) == "a,b\n0.500000,1\n,2\n"
    assert ordered(["z", "HDL", "DL", "a"], ["DL", "HDL"]) == ["DL", "HDL", "a", "z"]


def test_labels():
    assert METRIC_TITLES["stability"] == "Stability"
    assert wrapped("natural_accuracy") == "Natural\naccuracy"
