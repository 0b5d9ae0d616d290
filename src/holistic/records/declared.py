"""What a run declares its records hold, for the readers to check the files against: the radii
every model is measured at (``attack.eps``) and each (data set, method) job's grid, every
configuration of the method's grid (``train.grid``, in ``config_id`` order) on every split
(``split.n_splits``, with ``split.per_dataset``), as the train job builds it
(``holistic.methods.model_grid``). The ``aggregate`` and ``report`` stages pass one to the readers
(:func:`holistic.records.evals.load_evals`, :func:`holistic.records.train_log.load_logs`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from ..errors import HolisticError


@dataclass(frozen=True)
class Declared:
    """The run's declarations: ``params`` (merged, validated) and the ``study``
    (``holistic.studies.base.Study``; None: the radii only, no grid)."""

    params: Mapping = field(compare=False)
    study: object | None = None

    @property
    def radii(self) -> tuple[str, ...]:
        """``attack.eps`` as radius keys (``holistic.records.evals.eps_key``)."""
        return tuple(str(float(r)) for r in self.params["attack"]["eps"])

    @property
    def has_grid(self) -> bool:
        return self.study is not None

    def configs(self, method: str) -> list[dict]:
        """The configurations of ``method``'s grid, index = ``config_id`` (a replicate,
        ``DL@seed+1``, has its method's), from the method's own ``train.grid`` where
        ``studies.<study>.method_train`` sets one (:func:`holistic.config.method_params`).
        ValueError for a method the study does not have."""
        from ..config import method_params

        try:
            m = self.study.method(method, self.params)
        except HolisticError as exc:
            raise ValueError(str(exc)) from None
        return m.expand_grid(method_params(self.params, self.study.name, method)["train"]["grid"])

    def n_splits(self, dataset: str) -> int:
        """The number of splits the run makes of ``dataset``."""
        from ..data.splits import split_params

        return int(split_params(self.params, dataset)["n_splits"])

    def n_models(self, dataset: str, method: str) -> int:
        """The models of the (``dataset``, ``method``) job's grid: configurations x splits."""
        return len(self.configs(method)) * self.n_splits(dataset)


__all__ = ["Declared"]
