"""The eps-scheduler of SparseVLR App. B.1 (auto_LiRPA's linear and smoothed schedules) at known steps."""

import pytest

from holistic.objectives.eps_schedule import EpsSchedule, linear_eps, ramp_steps, smoothed_eps


def test_ramp_starts_after_s_minus_1_natural_epochs_and_ends_after_l_epochs():
    assert ramp_steps(1, 60, 100) == (0, 6000)
    assert ramp_steps(10, 60, 100) == (900, 6900)


def test_linear_schedule_at_known_steps():
    s = EpsSchedule(0.4, "linear", start=3, length=2)
    E = 5  # k_0 = 10, k_1 = 20
    assert [s.eps(e, 4, E) for e in (0, 1)] == [0.0, 0.0]
    assert s.eps(2, 0, E) == 0.0
    assert s.eps(2, 4, E) == pytest.approx(0.16)
    assert s.eps(3, 0, E) == pytest.approx(0.2)
    assert s.eps(4, 0, E) == pytest.approx(0.4)
    assert s.eps(9, 3, E) == 0.4


def test_smoothed_schedule_polynomial_then_linear_with_matching_slope():
    k0, k1, mid = 10, 50, 0.25  # k_m = 20; alpha = 1 / (30 * 4 * 10^3 + 10 * 10^3) = 1 / 130000
    assert smoothed_eps(10, k0, k1, 1.0, mid) == 0.0
    assert smoothed_eps(15, k0, k1, 1.0, mid) == pytest.approx(5 ** 4 / 130000)
    assert smoothed_eps(20, k0, k1, 1.0, mid) == pytest.approx(1 / 13)
    assert smoothed_eps(35, k0, k1, 1.0, mid) == pytest.approx(7 / 13)
    assert smoothed_eps(50, k0, k1, 1.0, mid) == 1.0
    assert smoothed_eps(80, k0, k1, 1.0, mid) == 1.0
    left = smoothed_eps(20, k0, k1, 1.0, mid) - smoothed_eps(19.999, k0, k1, 1.0, mid)
    right = smoothed_eps(21, k0, k1, 1.0, mid) - smoothed_eps(20, k0, k1, 1.0, mid)
    assert left / 0.001 == pytest.approx(right, rel=1e-3)  # C^1 at the mid point


def test_smoothed_schedule_with_the_papers_mnist_settings():
    s = EpsSchedule(0.4, "smoothed", start=10, length=60)  # (T, s, l) = (100, 10, 60)
    E = 7
    assert s.eps(8, E - 1, E) == 0.0 and s.eps(9, 0, E) == 0.0   # 9 natural epochs, then the ramp
    assert 0 < s.eps(9, 1, E) < 1e-6
    assert s.eps(68, E - 1, E) < 0.4 and s.eps(69, 0, E) == 0.4  # eps_max from epoch 69's first step (0-based)
    values = [s.eps(e, i, E) for e in range(100) for i in range(E)]
    assert values == sorted(values)  # non-decreasing


def test_fixed_schedule_and_the_value_before_an_epoch():
    assert EpsSchedule(0.3, "fixed").eps(0, 0, 10) == 0.3
    assert EpsSchedule(0.3, "fixed").eps_before_epoch(0, 10) == 0.3
    s = EpsSchedule(1.0, "linear", start=1, length=2)
    assert s.eps_before_epoch(0, 4) == 0.0
    assert s.eps_before_epoch(1, 4) == pytest.approx(3 / 8)
    with pytest.raises(ValueError, match="unknown eps schedule"):
        EpsSchedule(0.1, "cosine")


def test_linear_eps_clips_to_the_range():
    assert linear_eps(-5, 0, 10, 2.0) == 0.0
    assert linear_eps(15, 0, 10, 2.0) == 2.0
