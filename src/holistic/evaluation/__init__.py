"""Measuring trained models: what is measured and how it becomes the tables' metrics.

* :mod:`~holistic.evaluation.run`: every model of a grid measured at once: natural accuracy,
  every attack of the suite at each radius, verified accuracy under each bound, sparsity of the
  weights and of the activations (a noise-injected model also with its noise on), as tidy
  records (``holistic.records.evals``);
* :mod:`~holistic.evaluation.metrics`: the weight measurements (zero connections, pruned input
  channels, small weights) and the metrics of the study tables
  (:data:`~holistic.evaluation.metrics.METRICS`: each names its measurement, its summary over
  the splits and the direction in which it is better), read without a ``torch`` import by the
  selection and report stages.
"""
