"""Every file format of the platform, each in one module with its writer and reader:
``evals`` (a job's measurements as tidy rows), ``train_log`` (a training job's log),
``curves`` (a training job's per-epoch validation accuracy), ``selected`` (the selection
trace of Section 4). Model files: ``holistic.checkpoint``. ``declared``: what a run declares its
records hold (the radii, each job's grid), which the readers check the files against
(docs/records.md).
"""
