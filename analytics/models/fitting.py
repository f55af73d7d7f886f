"""Each learned model fitted once per training set: the blend reuses its members, a second backtest its first.

Training fits the same model on the same rows several times over: at every choosing and reported
origin the blend refits the logistic and boosted models fitted beside it (same parameters, same
rows, same seed), and the with/without comparisons refit the winner at the reported origins the
nested backtest already fitted it at. ``SharedFits`` keeps each fitted learned model under the key
of its training set (the caller's: the snapshot dates of one cache) and its class and parameters, so
it is fitted once and the figures are unchanged: every fit is deterministic (seeded folds and trees).

Only the learned models are kept (``LogisticModel``, ``BoostedModel``, and a ``BlendModel`` through
its members); rules are cheap to fit, and a ``FrozenEstimator`` is never refitted anyway.

``fit_all`` fits an origin's models on ``FIT_THREADS`` threads (the blends after their members): the
trees and the solvers release the GIL, so two fits run side by side on two cores. Each fit is the
same as alone (OpenMP and BLAS held at one thread, as the learned models hold them), so the figures do not change.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor

from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from threadpoolctl import threadpool_limits

from analytics.models.learned import BlendModel, BoostedModel, LogisticModel

SHARED = (LogisticModel, BoostedModel)
FIT_THREADS = 2


def model_key(model: object) -> tuple:
    """The class and parameters of ``model``, nested estimators by their own key (never a truncated repr)."""
    params = model.get_params(deep=False)
    return (type(model).__module__, type(model).__qualname__,
            tuple(sorted((name, model_key(value) if hasattr(value, "get_params") else repr(value))
                         for name, value in params.items())))


class SharedFits:
    """Fitted learned models by ``(training set, class and parameters)`` (see the module docstring)."""

    def __init__(self) -> None:
        self._fitted: dict[tuple, object] = {}
        self.fits = 0  # learned models actually fitted (tests read it)

    def fit(self, model: object, data: Hashable, fit: Callable[[object], object]) -> object:
        """``model`` (unfitted) fitted by ``fit(model)`` on the training set named ``data``, or the
        equal model already fitted there."""
        if isinstance(model, BlendModel):  # its members as fitted beside it, then the blend on top
            members = [self.fit(clone(member if member is not None else default()), data, fit)
                       for member, default in ((model.logistic, LogisticModel), (model.boosted, BoostedModel))]
            return fit(BlendModel(FrozenEstimator(members[0]), FrozenEstimator(members[1])))
        if not isinstance(model, SHARED):
            return fit(model)
        key = (data, model_key(model))
        if key not in self._fitted:
            self._fitted[key] = fit(model)
            self.fits += 1
        return self._fitted[key]

    def fit_all(self, models: dict[str, object], data: Hashable, fit: Callable[[object], object],
                errors: tuple[type[Exception], ...] = (ValueError,), threads: int = FIT_THREADS) -> dict[str, object]:
        """Name → fitted model, or the exception of ``errors`` its fit raised, for ``models`` (unfitted),
        in their order; the blends after the others, so they find their members fitted."""
        def one(name: str) -> object:
            try:
                return self.fit(models[name], data, fit)
            except errors as error:
                return error

        blends = [name for name, model in models.items() if isinstance(model, BlendModel)]
        others = [name for name in models if name not in blends]
        done = dict(zip(others, side_by_side([lambda name=name: one(name) for name in others], threads)))
        done.update(zip(blends, side_by_side([lambda name=name: one(name) for name in blends], 1)))
        return {name: done[name] for name in models}


def side_by_side(fits: list[Callable[[], object]], threads: int = FIT_THREADS) -> list[object]:
    """The results of ``fits`` (independent model fits), in order, run on ``threads`` threads with
    OpenMP and BLAS held at one thread each (the learned models' own setting), so each fit is the same
    as alone. Held here, around the pool, because the limit is process-wide: a fit's own hold, left
    while the other thread's is still on, would restore the default under it."""
    with threadpool_limits(1, user_api=None):
        if threads > 1 and len(fits) > 1:
            with ThreadPoolExecutor(threads) as pool:
                return list(pool.map(lambda fit: fit(), fits))
        return [fit() for fit in fits]
