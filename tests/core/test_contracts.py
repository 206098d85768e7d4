"""The contract suites can fail: each is run here against a component that breaks it."""

from types import SimpleNamespace

import pytest
import torch

from snnkit import PluginManager
from snnkit.testing import EncoderContract, NeuronContract
from tests.core.toys import Adaptive


class CachedThreshold(Adaptive):
    """Copies its learned threshold at construction and uses the copy: a loaded state is ignored."""

    def __init__(self, shape, *, tau: float = 10.0) -> None:
        super().__init__(shape, tau=tau)
        self.cached = self.theta.clone()

    def forward(self, input, state, ctx):
        v = state.v + input
        s = (v >= self.cached).float()
        return s, type(state)(v * (1 - s))


class Mutating:
    """An encoder that scales its data in place and draws from the global generator."""

    def __call__(self, data, time, *, dt=1.0, generator=None):
        data.mul_(0.5)
        return torch.rand(time, *data.shape) < data


def manager(**hooks):
    plugins = PluginManager()
    plugins.register(SimpleNamespace(**hooks), name="broken")
    return plugins


def test_the_state_dict_check_catches_a_component_that_ignores_what_it_loads():
    plugins = manager(snnkit_register_neurons=lambda registry: registry.add("cached", CachedThreshold))

    class Suite(NeuronContract):
        name, drive = "cached", 2.0

    with pytest.raises(AssertionError, match="changing every saved tensor changed nothing the layer does"):
        Suite().test_state_dict_round_trip(plugins)


def test_the_encoder_checks_catch_hidden_randomness_and_changed_data():
    plugins = manager(snnkit_register_encoders=lambda registry: registry.add("mutating", Mutating))

    class Suite(EncoderContract):
        name = "mutating"

    with pytest.raises(AssertionError, match="randomness must come only from the generator"):
        Suite().test_the_same_generator_gives_the_same_spikes(plugins)
    with pytest.raises(AssertionError, match="changed its input in place"):
        Suite().test_data_is_not_changed(plugins)


def test_a_layer_returning_the_wrong_thing_is_named_on_the_first_step():
    from snnkit import Network
    from snnkit.errors import NetworkError
    from tests.core.toys import Relay

    class Flat(Relay):
        def forward(self, input, state, ctx):
            spikes, state = super().forward(input, state, ctx)
            return spikes.reshape(spikes.shape[0], -1), state  # forgets the layer's shape

    class Forgetful(Relay):
        def forward(self, input, state, ctx):
            return input >= self.threshold  # no state

    plugins = manager(
        snnkit_register_neurons=lambda registry: [registry.add("flat", Flat), registry.add("forgetful", Forgetful)]
    )
    for name, problem in (
        ("flat", r"returned shape \(1, 6\), expected \(1, 2, 3\)"),
        ("forgetful", r"must return \(output, state\), returned Tensor"),
    ):
        net = Network(plugins=plugins)
        net.add_layer("x", name, (2, 3))
        with pytest.raises(
            NetworkError, match=rf"layer 'x' \(\w+, plugin '{name}' from \(registered in code\)\): forward {problem}"
        ):
            net.run({"x": torch.zeros(3, 1, 2, 3)}, time=3)
