"""Learning-rate decay after eps_max is reached (auto_LiRPA's StepLR(10, 0.5) in simple_training)."""

from holistic.objectives.eps_schedule import EpsSchedule
from holistic.train.lr_decay import decays_before, lr_factor, reached_max_eps, step_decay


def test_step_decay_halves_every_ten_decayed_epochs():
    assert [step_decay(n) for n in (0, 9, 10, 19, 20, 35)] == [1.0, 1.0, 0.5, 0.5, 0.25, 0.125]
    assert step_decay(4, step_size=2, gamma=0.1) == 0.1 ** 2


def test_decay_counts_the_epochs_that_start_at_eps_max():
    s = EpsSchedule(0.4, "linear", start=2, length=3)  # eps_max from epoch 4's first step (0-based)
    E = 5
    assert [decays_before(e, s, E) for e in range(7)] == [0, 0, 0, 0, 0, 1, 2]
    assert lr_factor(4, s, E) == 1.0
    assert lr_factor(14, s, E) == 0.5 and lr_factor(13, s, E) == 1.0
    assert reached_max_eps(0.3995, 0.4) and not reached_max_eps(0.398, 0.4)


def test_a_fixed_schedule_decays_from_the_first_epoch():
    s = EpsSchedule(0.1, "fixed")
    assert [decays_before(e, s, 3) for e in range(3)] == [1, 2, 3]
    assert lr_factor(9, s, 3) == 0.5
