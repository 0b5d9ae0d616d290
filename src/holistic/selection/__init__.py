"""Section 4 of the paper: model selection on the validation sets and result tables.

``select`` holds the pure selection logic on pandas DataFrames: flatten the eval
files into one row per trained model, choose per (data set, method, metric) the
configuration with the best mean validation value and report its test value,
and the multi-objective rank (Section 4.1, Fig. 2). ``tables`` loads the eval
files, writes Tables A1-A4 shaped CSV/Markdown tables, the rank table, the
selection trace, ``metrics.json`` and the summary plot.
"""
