"""The base every rnnkit estimator inherits: scikit-learn's parameter handling and a fitted check.

An estimator takes its hyperparameters in ``__init__`` and stores them there unmodified, under
the same names (no checks, no derived values: ``fit`` checks them); what ``fit`` learns ends in
``_``; ``fit`` returns ``self``, and fitting twice equals one fit on the second data.
:class:`sklearn.base.BaseEstimator` reads the parameters from ``__init__``'s signature, so
``get_params``, ``set_params`` and :func:`sklearn.base.clone` are never written by hand.
"""

import inspect
from typing import ClassVar

from sklearn.base import BaseEstimator

from rnnkit._checks import InputError


class Estimator(BaseEstimator):
    """An rnnkit estimator: ``get_params`` / ``set_params`` / ``clone`` from ``__init__``, and
    :meth:`check_fitted`.

    ``fitted_attribute`` names the learned attribute that ``fit`` sets last; until it exists
    the estimator is unfitted (a ``fit`` that failed half-way leaves it unfitted too).
    """

    fitted_attribute: ClassVar[str] = ""

    def __sklearn_is_fitted__(self) -> bool:
        """Whether ``fit`` (or ``load``) has run: scikit-learn's ``check_is_fitted`` asks it."""
        return hasattr(self, self.fitted_attribute)

    def check_fitted(self) -> None:
        """Raise InputError naming the class unless the estimator is fitted."""
        if not self.__sklearn_is_fitted__():
            raise InputError(f"this {type(self).__name__} is not fitted yet: call fit first")

    def set_params(self, **params) -> "Estimator":
        """Set hyperparameters by name (``model__seed`` reaches into a nested estimator).

        An unknown name raises InputError naming the class, the name and the parameters it has.
        """
        known = self.get_params(deep=False)
        for name in params:
            if name.partition("__")[0] not in known:
                raise InputError(f"{type(self).__name__} has no parameter {name!r}; it has "
                                 f"{', '.join(known)}")
        return super().set_params(**params)

    def hyperparameters(self) -> dict:
        """The constructor's arguments in its signature's order, as given (not deep)."""
        return {name: getattr(self, name) for name in self._signature_names()}

    @classmethod
    def _signature_names(cls) -> list[str]:
        return [p.name for p in inspect.signature(cls.__init__).parameters.values()
                if p.name != "self" and p.kind != p.VAR_KEYWORD]


__all__ = ["Estimator"]
