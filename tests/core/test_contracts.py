"""The contract suites can fail: each is run here against a component that breaks it."""

from types import SimpleNamespace

import pytest
import torch

from snnkit import Monitor, PluginManager, Transition
from snnkit.testing import (
    DatasetContract,
    EncoderContract,
    EnvironmentContract,
    MonitorContract,
    NeuronContract,
    PipelineContract,
    PlotContract,
)
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


def with_builtins(**hooks):
    """The installed plugins and one faulty one registered in code (skipped with the core alone)."""
    pytest.importorskip("snnkit_plugins")
    plugins = PluginManager()
    plugins.load_setuptools_entrypoints()
    plugins.register(SimpleNamespace(**hooks), name="broken")
    return plugins


class Aliasing(Monitor):
    """Keeps the tensors it is handed instead of copies."""

    keeps_values = True

    def __init__(self, target, variables=("s",)):
        super().__init__(target, variables)
        self.kept = {v: [] for v in self.variables}

    def record(self, values):
        for name, value in values.items():
            self.kept[name].append(value[None])

    def get(self, variable):
        return torch.cat(self.kept[variable])


def test_the_monitor_checks_catch_a_monitor_that_keeps_references():
    class Suite(MonitorContract):
        name = "aliasing"

    plugins = manager(snnkit_register_monitors=lambda registry: registry.add("aliasing", Aliasing))
    Suite().test_steps_and_blocks_read_back_as_handed(plugins)  # what it holds is right at first
    with pytest.raises(AssertionError, match="kept a reference, not a copy"):
        Suite().test_keeps_copies_not_references(plugins)


def test_the_dataset_checks_catch_float_labels_and_changing_items():
    class Noisy(torch.utils.data.Dataset):
        def __len__(self):
            return 3

        def __getitem__(self, index):
            return torch.rand(4), torch.tensor(1.0)

    class Suite(DatasetContract):
        name = "noisy"

    plugins = manager(snnkit_register_datasets=lambda registry: registry.add("noisy", lambda train=True: Noisy()))
    with pytest.raises(AssertionError, match="labels must be integers"):
        Suite().test_both_splits_hold_labelled_float_data(plugins)
    with pytest.raises(AssertionError, match="reading an item twice gave different data"):
        Suite().test_the_same_index_gives_the_same_item(plugins)


def test_the_environment_checks_catch_randomness_not_drawn_from_the_seed():
    class Drifting:
        n_actions = 2

        def reset(self, seed=None):
            return torch.rand(3)  # ignores the seed

        def step(self, action):
            return Transition(torch.rand(3), 0.0, False, False)

        def close(self):
            pass

    class Suite(EnvironmentContract):
        name = "drifting"

    plugins = manager(snnkit_register_environments=lambda registry: registry.add("drifting", Drifting))
    Suite().test_steps_return_transitions_of_one_shape(plugins)
    with pytest.raises(AssertionError, match="the same seed and actions gave other observations"):
        Suite().test_the_same_seed_and_actions_repeat_the_episode(plugins)


def test_the_plot_checks_catch_a_plot_that_ignores_its_figure_and_a_bare_key_error():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def careless(recording, **params):
        index, values = recording.metrics()["accuracy"]  # a KeyError on a recording without it
        figure, ax = plt.subplots()
        ax.plot(index.numpy(), values.numpy())
        return figure

    class Suite(PlotContract):
        name = "careless"

    plugins = with_builtins(snnkit_register_plots=lambda registry: registry.add("careless", careless))
    Suite().test_draws_a_figure_with_content(plugins)
    with pytest.raises(AssertionError, match="must draw into that figure"):
        Suite().test_draws_into_the_figure_it_is_given(plugins)
    with pytest.raises(KeyError):  # not a SnnkitError naming what is missing: the check fails
        Suite().test_an_empty_recording_is_a_clear_error(plugins)


def test_the_pipeline_checks_catch_progress_left_out_of_the_checkpoint(tmp_path, monkeypatch):
    from snnkit import Pipeline

    class Counting(Pipeline):
        """Counts its units in an attribute that state_dict leaves out."""

        def __init__(self):
            self.count = 0

        def step(self, network, index, context):
            self.count += 1
            return {"count": float(self.count)}

    class Suite(PipelineContract):
        name = "counting"
        experiment = """
[run]
name = "counting"
samples = 4
[pipeline]
plugin = "counting"
[[network.layers]]
name = "in"
neuron = "input"
shape = 1
"""

    plugins = with_builtins(snnkit_register_pipelines=lambda registry: registry.add("counting", Counting))
    monkeypatch.chdir(tmp_path)
    Suite().test_runs_to_completion_with_finite_metrics(plugins, tmp_path)
    with pytest.raises(AssertionError, match="metrics differ after the resume"):
        Suite().test_a_stopped_run_resumes_to_the_uninterrupted_result(plugins, tmp_path)
