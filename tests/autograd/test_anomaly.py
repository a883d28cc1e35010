"""detect_anomaly names the op and the user's line where a NaN or Inf first appears."""
import pytest

import ember
from ember.errors import AnomalyError


def test_forward_nan_names_op_and_line():
    x = ember.tensor([-1.0, 4.0], requires_grad=True)
    with ember.autograd.detect_anomaly():
        with pytest.raises(AnomalyError) as err:
            y = ember.log(x)  # the offending line
    msg = str(err.value)
    assert "log" in msg and "test_anomaly.py" in msg and "the offending line" in msg


def test_backward_nan_names_op_and_forward_line():
    x = ember.tensor([0.0, 4.0], requires_grad=True)
    with ember.autograd.detect_anomaly():
        y = ember.sqrt(x)  # finite forward, infinite gradient at 0
        with pytest.raises(AnomalyError) as err:
            y.sum().backward()
    msg = str(err.value)
    assert "backward of sqrt" in msg and "y = ember.sqrt(x)" in msg


def test_infinities_the_user_put_in_do_not_trip_it():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    with ember.autograd.detect_anomaly():
        y = ember.where(x > 1, x, float("-inf"))
        assert not ember.isfinite(y).all()


def test_off_by_default():
    x = ember.tensor([-1.0], requires_grad=True)
    assert ember.isnan(ember.log(x)).all()
    assert not ember.autograd.is_anomaly_enabled()
