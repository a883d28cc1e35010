"""Level 1: `Tensor`, `Function`, the backward engine, grad modes, anomaly detection, gradcheck."""
from ember.autograd.grad_mode import (detect_anomaly, enable_grad, inference_mode, is_anomaly_enabled,
                                      is_grad_enabled, no_grad, set_detect_anomaly, set_grad_enabled)
from ember.autograd.tensor import Size, Tensor
from ember.autograd.function import Function
from ember.autograd.engine import backward, grad
from ember.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck
