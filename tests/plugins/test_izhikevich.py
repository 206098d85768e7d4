"""``izhikevich``: the presets reproduce their defining firing patterns (Izhikevich 2003, fig. 2)."""

import itertools

import pytest
import torch

from snnkit import Network
from snnkit.testing import NeuronContract
from snnkit_plugins.neurons.izhikevich import PRESETS

from .helpers import drive, spike_steps


def test_discovered_through_the_snnkit_plugins_entry_point(plugins):
    assert plugins.get("neurons", "izhikevich").provider.distribution == "snnkit-plugins"


class TestIzhikevichContract(NeuronContract):
    name = "izhikevich"


class TestIzhikevichMixedContract(NeuronContract):
    name = "izhikevich"
    params = {"preset": "mixed"}


def intervals(plugins, preset, current=10.0, steps=400, rest=50):
    """Inter-spike intervals (ms) after a step of ``current`` that follows ``rest`` ms at rest."""
    layer = plugins.build("neurons", "izhikevich", 1, preset=preset)
    spikes, _ = drive(layer, [0.0] * rest + [current] * steps)
    times = spike_steps(spikes)
    assert times and times[0] >= rest, "a neuron at rest must stay silent"
    return [b - a for a, b in itertools.pairwise(times)]


def test_regular_spiking_adapts(plugins):
    isi = intervals(plugins, "regular-spiking")
    assert len(isi) >= 5
    assert all(b >= a for a, b in itertools.pairwise(isi))  # intervals never shorten
    assert isi[-1] > 1.8 * isi[0]  # spike-frequency adaptation
    assert isi[-1] > 30  # low steady rate


def test_fast_spiking_fires_fast_without_progressive_slowing(plugins):
    fs, rs = intervals(plugins, "fast-spiking"), intervals(plugins, "regular-spiking")
    steady = fs[2:]
    assert max(steady) - min(steady) <= 1  # tonic: no slowing down once started
    assert max(steady) * 3 < rs[-1]  # at least three times the regular-spiking rate
    assert fs[-1] / fs[0] < rs[-1] / rs[0]  # less adaptation than regular spiking


def test_chattering_fires_bursts(plugins):
    isi = intervals(plugins, "chattering")
    short = [i for i in isi if i <= 6]
    long = [i for i in isi if i >= 30]
    assert len(short) + len(long) == len(isi)  # two time scales and nothing in between
    assert len(long) >= 3 and len(short) >= 3 * len(long)  # repeated bursts of several spikes


def test_intrinsically_bursting_starts_with_a_burst_then_fires_tonically(plugins):
    isi = intervals(plugins, "intrinsically-bursting")
    assert isi[0] <= 6  # initial burst
    assert all(i >= 25 for i in isi[3:])  # then single spikes


def test_low_threshold_spiking_fires_fast_and_adapts(plugins):
    isi = intervals(plugins, "low-threshold-spiking")
    assert isi[-1] < 25 and isi[-1] > 2 * isi[0]


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_preset_fires_under_input_and_rests_without(plugins, preset):
    assert intervals(plugins, preset)


def test_explicit_parameters_override_the_preset(plugins):
    layer = plugins.build("neurons", "izhikevich", 2, preset="chattering", d=8.0, c=-65.0)
    assert layer.c.tolist() == [-65.0, -65.0] and layer.d.tolist() == [8.0, 8.0]
    assert layer.a.tolist() == pytest.approx([0.02, 0.02])


def test_mixed_population_is_seeded_and_follows_the_paper(plugins):
    def layer(seed):
        net = Network(plugins=plugins, seed=seed)
        return net.add_layer("n", "izhikevich", 2000, preset="mixed", excitatory=0.8)

    a, b, c = layer(1), layer(1), layer(2)
    assert torch.equal(a.c, b.c) and not torch.equal(a.c, c.c)
    exc = a.excitatory
    assert 0.77 < exc.float().mean() < 0.83
    assert torch.allclose(a.a[exc], torch.tensor(0.02)) and (a.c[exc] >= -65).all() and (a.c[exc] <= -50).all()
    assert (a.d[exc] >= 2).all() and (a.d[exc] <= 8).all()
    assert (a.a[~exc] >= 0.02).all() and (a.a[~exc] <= 0.1).all() and (a.b[~exc] >= 0.2).all()
    assert (a.c[~exc] == -65).all() and (a.d[~exc] == 2).all()


def test_unknown_preset_suggests_the_closest(plugins):
    with pytest.raises(ValueError, match="unknown Izhikevich preset 'fast-spiker'; did you mean 'fast-spiking'"):
        plugins.build("neurons", "izhikevich", 1, preset="fast-spiker")
