"""Weight initialisation by name."""

import pytest
import torch

from snnkit.errors import ShapeError
from snnkit.init import WeightSpecError, initial_weights


def test_constant_and_tensor_specs():
    assert initial_weights(0.5, (2, 3)).tolist() == [[0.5] * 3] * 2
    assert initial_weights("constant(-1)", (2,)).tolist() == [-1.0, -1.0]
    w = torch.arange(6.0).reshape(2, 3)
    copy = initial_weights(w, (2, 3))
    assert torch.equal(copy, w) and copy is not w
    with pytest.raises(ShapeError):
        initial_weights(w, (3, 2))


def test_uniform_defaults_follow_the_bounds():
    g = torch.Generator().manual_seed(0)
    w = initial_weights("uniform", (10000,), generator=g)
    assert 0.0 <= w.min() and w.max() < 0.3 and w.mean().item() == pytest.approx(0.15, abs=0.01)
    w = initial_weights("uniform", (10000,), wmin=-2.0, wmax=-1.0, generator=g)
    assert -2.0 <= w.min() and w.max() <= -1.0
    w = initial_weights("uniform(1, 3)", (10000,), generator=g)
    assert w.mean().item() == pytest.approx(2.0, abs=0.03)


def test_normal_is_seeded_and_clamped():
    a = initial_weights("normal(0, 1)", (1000,), generator=torch.Generator().manual_seed(4))
    b = initial_weights("normal(0, 1)", (1000,), generator=torch.Generator().manual_seed(4))
    assert torch.equal(a, b)
    assert initial_weights("normal(0, 1)", (1000,), wmin=0.0).min() >= 0.0
    assert initial_weights("normal", (20000,)).std().item() == pytest.approx(0.1, rel=0.05)


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("gaussian", "unknown distribution"),
        ("normal(1)", "takes 2 arguments"),
        ("uniform(a, b)", "must be numbers"),
        ("uniform(2, 1)", "high must not be below low"),
        ("constant", "takes 1 arguments"),
        (None, "got a NoneType"),
    ],
)
def test_bad_specs_say_what_would_be_right(spec, reason):
    with pytest.raises(WeightSpecError) as info:
        initial_weights(spec, (2,))
    assert reason in str(info.value) and "'uniform(low, high)'" in str(info.value)
