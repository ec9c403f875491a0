"""The detector's shape rules on their own: bottleneck width, scored units, batch size,
epochs and the weights of the score's parts, as pure functions of the data's sizes."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from skgen._outlier_shape import (
    MAX_EPOCHS,
    MIN_EPOCHS,
    STEP_BUDGET,
    auto_batch_size,
    auto_components,
    auto_max_epochs,
    part_weights,
    scored_components,
    variance_components,
)


def _spectrum(variances, n=2000, seed=0):
    """Rows whose principal variances are exactly ``variances``, on random axes."""
    rng = np.random.RandomState(seed)
    p = len(variances)
    noise = rng.normal(size=(n, p))
    white = np.linalg.qr(noise - noise.mean(axis=0))[0] * np.sqrt(n)  # centred and white
    axes = np.linalg.qr(rng.normal(size=(p, p)))[0]
    return (white * np.sqrt(variances)) @ axes


@pytest.mark.parametrize("share, expected", [(0.5, 1), (0.8, 2), (0.9, 3), (0.99, 4)])
def test_variance_components_explain_the_share(share, expected):
    """Variances 50, 30, 10, 9, 1 of 100: the leading axes hold exactly 50%, 80%, 90%,
    99%, which is enough."""
    Z = _spectrum([50.0, 30.0, 10.0, 9.0, 1.0])
    assert variance_components(Z.copy(), share) == expected


def test_variance_components_stay_below_the_columns_and_rows():
    Z = _spectrum([1.0] * 6)
    assert variance_components(Z.copy(), 0.999) == 5  # at most n_features - 1
    assert variance_components(Z[:3].copy(), 0.999) == 2  # at most n_samples - 1
    assert variance_components(np.ones((10, 4)), 0.9) == 1  # no variance at all


def test_variance_components_centre_their_scratch_copy_in_place():
    Z = _spectrum([2.0, 1.0]) + 5.0
    variance_components(Z, 0.9)
    assert_allclose(Z.mean(axis=0), 0.0, atol=1e-12)


@pytest.mark.parametrize("n_features, expected", [(1, 1), (2, 1), (4, 2), (8, 3), (30, 6),
                                                  (512, 23)])
def test_scored_components_are_the_ceiling_of_the_root(n_features, expected):
    assert scored_components(n_features) == expected


@pytest.mark.parametrize("variances, expected", [
    ([10.0] * 8 + [1e-4] * 22, 8),   # the spectrum decides: 8 equal axes hold it all
    ([10.0] * 2 + [1e-4] * 28, 6),   # at least ceil(sqrt(30)) = 6
    ([1.0] * 30, 10),                # a flat spectrum: at most 30 // 3 = 10
    ([1.0] * 6, 3),                  # 6 columns: ceil(sqrt(6)) = 3 beats 6 // 3 = 2
])
def test_auto_components(variances, expected):
    assert auto_components(_spectrum(variances)) == expected


def test_auto_components_of_a_wide_embedding_keep_two_thirds_to_measure():
    assert auto_components(_spectrum(np.linspace(1.0, 2.0, 512), n=600)) == 170


@pytest.mark.parametrize("n_samples, expected", [(100, 256), (5120, 256), (5121, 257),
                                                 (20_000, 1000)])
def test_auto_batch_size_takes_at_most_twenty_steps_an_epoch(n_samples, expected):
    assert auto_batch_size(n_samples) == expected


@pytest.mark.parametrize("n_train, batch_size, expected", [
    (100, 100, MAX_EPOCHS),     # one step an epoch: 300 epochs, capped
    (20_000, 1000, 15),         # 20 steps an epoch
    (3000, 256, 25),            # 12 steps an epoch
    (10**6, 256, MIN_EPOCHS),   # 3,907 steps an epoch: the floor
])
def test_auto_max_epochs_spend_the_step_budget(n_train, batch_size, expected):
    assert STEP_BUDGET == 300
    assert auto_max_epochs(n_train, batch_size) == expected


def test_part_weights_shrink_the_code_parts_of_a_wide_short_x():
    """Equal thirds from as many rows as columns; below that the two code parts (equal to
    each other) shrink with the rows per column, towards nothing, and the weights sum to 1."""
    assert_allclose(part_weights(500, 8), np.full(3, 1 / 3))
    assert_allclose(part_weights(60, 60), np.full(3, 1 / 3))
    rows = [59, 40, 20, 10, 2]
    weights = np.array([part_weights(n, 60) for n in rows])
    assert_allclose(weights.sum(axis=1), 1.0)
    assert np.all(weights > 0)
    np.testing.assert_array_equal(weights[:, 1], weights[:, 2])
    assert np.all(np.diff(weights[:, 1]) < 0) and np.all(np.diff(weights[:, 0]) > 0)
    assert weights[-1, 1] < 0.05  # 2 rows for 60 columns: the reconstruction decides
    # the same rows per column, the same weights
    assert_allclose(part_weights(20, 30), part_weights(40, 60))
