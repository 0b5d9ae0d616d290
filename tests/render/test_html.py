"""Markdown and text results as HTML pages of the Snakemake report."""

import subprocess
import sys
from pathlib import Path

import pytest

from holistic.errors import DataError
from holistic.render.html import render_file


def test_markdown_tables_become_html_tables(tmp_path):
    src = tmp_path / "table6.md"
    src.write_text("**Table 6**\n\n| objective | DL | HDL |\n|:---|---:|---:|\n| mean | 1.00 | **2.00** |\n")
    render_file(src, tmp_path / "table6.html")
    page = (tmp_path / "table6.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "<title>table6</title>" in page
    assert "<table>" in page and "<td style=\"text-align: right;\"><strong>2.00</strong></td>" in page


def test_text_is_preformatted_and_escaped(tmp_path):
    src = tmp_path / "trees.txt"
    src.write_text("(1) split: p <= 17\n  (2) * action: Robust+Sparse\n")
    render_file(src, tmp_path / "trees.html")
    page = (tmp_path / "trees.html").read_text()
    assert "<pre>(1) split: p &lt;= 17\n  (2) * action: Robust+Sparse\n</pre>" in page


def test_missing_source_names_the_file_and_writes_nothing(tmp_path):
    with pytest.raises(DataError, match="nothing.md: file not found"):
        render_file(tmp_path / "nothing.md", tmp_path / "out.html")
    assert not (tmp_path / "out.html").exists()


def test_the_page_stage_renders_each_source_to_its_output_and_refuses_unpaired_lists(tmp_path):
    root = Path(__file__).resolve().parents[2]
    (tmp_path / "a.md").write_text("| x |\n|---|\n| 1 |\n")
    (tmp_path / "b.txt").write_text("plain <text>\n")
    run = lambda *args: subprocess.run([sys.executable, str(root / "stages/html_page.py"),  # noqa: E731
                                        "--params", str(root / "params.yaml"), *args],
                                       capture_output=True, text=True, cwd=tmp_path)
    done = run("--src", "a.md", "b.txt", "--out", "a.html", "b.html")
    assert done.returncode == 0, done.stderr
    assert "<table>" in (tmp_path / "a.html").read_text()
    assert "<pre>plain &lt;text&gt;\n</pre>" in (tmp_path / "b.html").read_text()
    bad = run("--src", "a.md", "b.txt", "--out", "c.html")
    assert bad.returncode == 2 and "one output per source" in bad.stderr
    assert not (tmp_path / "c.html").exists()
