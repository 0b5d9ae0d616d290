"""Training a grid of models of one method, stacked and trained together.

* :mod:`~holistic.train.loop`: :func:`~holistic.train.loop.train_grid`, the generic trainer,
  as rounds of epochs of steps, each epoch ending with the choice of the kept checkpoint;
* :mod:`~holistic.train.grid`: a grid in training (its pieces, data and state);
* :mod:`~holistic.train.pieces`: what the trainer reads of a method's pieces (their optional
  hooks, :class:`~holistic.train.pieces.Hooks`) and the helpers the pieces share with it (the
  pieces import this module, never the trainer);
* :mod:`~holistic.train.config` (:class:`~holistic.train.config.TrainConfig`, the device),
  :mod:`~holistic.train.schedule` (steps per epoch, epochs per round), :mod:`~holistic.train.seeds`
  (every random draw's seed), :mod:`~holistic.train.batches` (every model's minibatches),
  :mod:`~holistic.train.validation` (validation and the kept checkpoint),
  :mod:`~holistic.train.result` (:class:`~holistic.train.result.TrainResult`, per-round records);
* :mod:`~holistic.train.adam` (one Adam over the stacked models), :mod:`~holistic.train.optimizers`
  (the optimizers, ``adam``, ``sgd``, ``sgd-nesterov``, and the learning-rate schedules as registered
  pieces, a method's choice), :mod:`~holistic.train.clip`
  (per-model gradient clipping), :mod:`~holistic.train.lr_decay` (SparseVLR's learning-rate
  decay);
* :mod:`~holistic.train.chunks` (a grid cut into chunks of models, results unchanged) and
  :mod:`~holistic.train.resume` (a killed training resumed at a round's end, bit for bit).

The methods themselves are compositions of registered pieces (``holistic.methods``,
``holistic.models``, ``holistic.objectives``, ``holistic.procedures``).
"""
