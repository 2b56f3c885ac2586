"""The learning-rate schedule: constant, then linear decay (paper) or the official decrement."""
import pytest

from stargan_tf.families.stargan.schedule import learning_rate_at


@pytest.mark.parametrize("iteration, expected", [(0, 1e-4), (99, 1e-4), (100, 1e-4), (150, 0.5e-4), (190, 0.1e-4),
                                                 (199, 0.1e-4)])
def test_paper_decay_is_linear_to_zero_over_the_last_iterations(iteration, expected):
    assert float(learning_rate_at(iteration, 1e-4, 200, 100, 10)) == pytest.approx(expected, rel=1e-5)


def test_paper_decay_with_update_step_one_is_exactly_linear():
    assert float(learning_rate_at(175, 1e-4, 200, 100, 1)) == pytest.approx(0.25e-4, rel=1e-5)


@pytest.mark.parametrize("iteration, expected", [(100, 1e-4), (109, 1e-4), (110, 0.99e-4), (150, 0.95e-4)])
def test_official_decay_subtracts_once_per_update_step(iteration, expected):
    lr = learning_rate_at(iteration, 1e-4, 200, 100, 10, mode="official")
    assert float(lr) == pytest.approx(expected, rel=1e-5)


def test_no_decay_window_keeps_the_rate():
    assert float(learning_rate_at(10**6, 2e-4, 100, 0, 10)) == pytest.approx(2e-4)
