"""The surrogate gradients: their pseudo-derivatives against the formulas, checked by gradcheck
against the smooth function each is the derivative of, and ``spike`` forward and backward."""

import math

import pytest
import torch

from snnkit import Surrogate, spike
from snnkit.testing import SurrogateContract

NAMES = ["fast-sigmoid", "atan", "sigmoid", "triangle", "straight-through"]

# The smooth function each pseudo-derivative is the derivative of (written here from the papers'
# formulas, independently of the plugins' code), with the slope used in the checks.
PRIMITIVES = {
    "fast-sigmoid": (3.0, lambda x, k: x / (1 + k * x.abs())),
    "atan": (2.0, lambda x, k: torch.atan(math.pi / 2 * k * x) / math.pi),
    "sigmoid": (4.0, lambda x, k: torch.sigmoid(k * x)),
    "triangle": (
        0.5,
        lambda x, k: torch.where(x.abs() < 1 / k, k * x - torch.sign(x) * (k * x) ** 2 / 2, 0.5 * torch.sign(x)),
    ),
    "straight-through": (1.5, lambda x, k: k * x),
}


@pytest.mark.parametrize("name", NAMES)
def test_discovered_through_the_entry_point(plugins, name):
    component = plugins.get("surrogates", name)
    assert component.provider.distribution == "snnkit-plugins" and component.provider.plugin == "surrogates"


@pytest.mark.parametrize("name", NAMES)
class TestSurrogateContract(SurrogateContract):
    @pytest.fixture(autouse=True)
    def _name(self, name):
        self.name = name


def test_pseudo_derivatives_at_hand_computed_points(plugins):
    x = torch.tensor([0.0, 0.1, -0.5, 2.0], dtype=torch.float64)
    expected = {
        ("fast-sigmoid", 10.0): [1.0, 1 / 4, 1 / 36, 1 / 441],
        ("atan", 2.0): [
            1.0,
            1 / (1 + (math.pi * 0.1) ** 2),
            1 / (1 + (math.pi * 0.5) ** 2),
            1 / (1 + (2 * math.pi) ** 2),
        ],
        ("sigmoid", 1.0): [0.25] + [math.exp(-v) / (1 + math.exp(-v)) ** 2 for v in (0.1, -0.5, 2.0)],
        ("triangle", 1.0): [1.0, 0.9, 0.5, 0.0],
        ("straight-through", 2.0): [2.0, 2.0, 2.0, 2.0],
    }
    for (name, slope), values in expected.items():
        surrogate = plugins.build("surrogates", name, slope=slope)
        torch.testing.assert_close(surrogate.derivative(x), torch.tensor(values, dtype=torch.float64), msg=name)


class _Smooth(torch.autograd.Function):
    """Forward: a smooth primitive; backward: the surrogate's derivative. gradcheck compares the
    backward with the primitive's numerical derivative."""

    @staticmethod
    def forward(ctx, x, surrogate, primitive):
        ctx.save_for_backward(x)
        ctx.surrogate = surrogate
        return primitive(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * ctx.surrogate.derivative(x), None, None


@pytest.mark.parametrize("name", NAMES)
def test_gradcheck_against_the_primitive(plugins, name):
    slope, primitive = PRIMITIVES[name]
    surrogate = plugins.build("surrogates", name, slope=slope)
    # away from the kinks of |x| (fast-sigmoid, triangle), where finite differences are not exact
    x = torch.tensor([-3.1, -0.73, -0.21, 0.13, 0.58, 1.37, 2.9], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda v: _Smooth.apply(v, surrogate, lambda u: primitive(u, slope)), (x,))


def test_spike_is_the_exact_step_forward_and_the_surrogate_backward(plugins):
    surrogate = plugins.build("surrogates", "fast-sigmoid", slope=2.0)
    v = torch.tensor([0.5, 1.0, 1.5, 3.0], dtype=torch.float64, requires_grad=True)
    s, fired = spike(v, 1.0, surrogate)
    assert s.tolist() == [0.0, 1.0, 1.0, 1.0] and s.dtype == torch.float64
    assert fired.tolist() == [False, True, True, True] and not fired.requires_grad
    (s * torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)).sum().backward()
    x = v.detach() - 1.0
    torch.testing.assert_close(v.grad, torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64) / (1 + 2 * x.abs()) ** 2)


def test_spike_without_gradient_needs_no_surrogate():
    v = torch.tensor([[0.0, 2.0]])
    assert spike(v, 1.0, None)[0].tolist() == [[0.0, 1.0]]
    spikes, fired = spike(v, 1.0, None, active=torch.tensor([[True, False]]))
    assert spikes.tolist() == [[0.0, 0.0]] and fired.tolist() == [[False, False]]


@pytest.mark.parametrize("name", NAMES)
def test_a_slope_that_is_not_positive_is_refused(plugins, name):
    with pytest.raises(ValueError, match="slope must be a positive number"):
        plugins.build("surrogates", name, slope=0.0)


def test_a_surrogate_of_your_own_is_a_surrogate(plugins):
    class Box(Surrogate):
        def derivative(self, x):
            return (x.abs() < 0.5).to(x.dtype)

    v = torch.tensor([0.9, 1.2, 2.0], requires_grad=True)
    spike(v, 1.0, Box())[0].sum().backward()
    assert v.grad.tolist() == [1.0, 1.0, 0.0]
