"""Readouts of an echo state network: W_out, b_out in y_t = W_out h_t + b_out, learned from the
reservoir's states in closed form (ridge regression) or one sample at a time (recursive least
squares)."""

import numpy as np
import scipy.linalg

from rnnkit._checks import check_in_range

RIDGE_GRID = (1e-8, 1e-6, 1e-4, 1e-2, 1.0, 1e2)  # the λ tried when one is chosen on validation


def ridge_readout(states: np.ndarray, targets: np.ndarray, ridge: float,
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Closed-form ridge regression with an unpenalised intercept: (W_out (O, N), b_out (O,)).

    With X the states (n, N) and Y the targets (n, O), centred by their means x̄, ȳ::

        W_outᵀ = (X_cᵀ X_c + λ I)⁻¹ X_cᵀ Y_c,    b_out = ȳ - W_out x̄

    the minimiser of ‖Y - X W_outᵀ - b_out‖² + λ ‖W_out‖² (scikit-learn's ``Ridge(alpha=λ)``).
    Solved by a Cholesky factorisation of the N × N Gram matrix.
    """
    mean_x, mean_y = states.mean(axis=0), targets.mean(axis=0)
    xc, yc = states - mean_x, targets - mean_y
    gram = xc.T @ xc
    gram[np.diag_indices_from(gram)] += ridge
    try:
        weight = scipy.linalg.cho_solve(scipy.linalg.cho_factor(gram), xc.T @ yc).T
    except np.linalg.LinAlgError:  # singular when ridge = 0
        weight = np.linalg.lstsq(xc, yc, rcond=None)[0].T
    return weight, mean_y - weight @ mean_x


class RecursiveLeastSquares:
    """Online readout: W_out and b_out updated one sample at a time (streaming data).

    With z = [h; 1], the gain k = P z / (λ_f + zᵀ P z), the error e = y - W z, then
    W <- W + e kᵀ and P <- (P - k zᵀ P) / λ_f, from P_0 = I / ridge. With forgetting λ_f = 1
    the result after n samples equals ridge regression on [h; 1] with the intercept penalised
    too: W = Yᵀ Z (Zᵀ Z + ridge · I)⁻¹. λ_f < 1 weighs old samples down (drifting data).
    """

    def __init__(self, num_features: int, num_outputs: int, ridge: float = 1e-2,
                 forgetting: float = 1.0) -> None:
        check_in_range("ridge", ridge, 0.0, 1e12, low_open=True)
        check_in_range("forgetting", forgetting, 0.0, 1.0, low_open=True)
        self.forgetting = forgetting
        self.weight_aug = np.zeros((num_outputs, num_features + 1))
        self.precision_inv = np.eye(num_features + 1) / ridge  # P

    def update(self, h: np.ndarray, y: np.ndarray) -> None:
        """Take one sample: state h (N,), target y (O,)."""
        z = np.append(h, 1.0)
        pz = self.precision_inv @ z
        k = pz / (self.forgetting + z @ pz)
        self.weight_aug += np.outer(y - self.weight_aug @ z, k)
        self.precision_inv -= np.outer(k, pz)
        self.precision_inv /= self.forgetting

    @property
    def weight(self) -> np.ndarray:
        return self.weight_aug[:, :-1]

    @property
    def bias(self) -> np.ndarray:
        return self.weight_aug[:, -1]


__all__ = ["RIDGE_GRID", "RecursiveLeastSquares", "ridge_readout"]
