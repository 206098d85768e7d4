"""Encoders: spike statistics, orderings and shapes."""

import math

import pytest
import torch

from snnkit.testing import EncoderContract

ENCODERS = ["poisson", "bernoulli", "rank-order", "single", "repeat", "gaussian-population"]


@pytest.mark.parametrize("name", ENCODERS)
def test_discovered_and_seeded(plugins, name):
    component = plugins.get("encoders", name)
    assert component.provider.distribution == "snnkit-plugins"
    encoder = component.build()
    data = torch.rand(3, 4, generator=torch.Generator().manual_seed(0))
    a = encoder(data, 50, generator=torch.Generator().manual_seed(1))
    b = encoder(data, 50, generator=torch.Generator().manual_seed(1))
    assert a.shape[:2] == (50, 3) and torch.equal(a, b)


@pytest.mark.parametrize(("rate", "time", "dt"), [(20.0, 250, 1.0), (63.75, 350, 1.0), (100.0, 200, 0.5)])
def test_poisson_counts_have_poisson_mean_and_variance(plugins, rate, time, dt):
    encoder = plugins.build("encoders", "poisson", max_rate=rate)
    spikes = encoder(torch.ones(20000, 1), time, dt=dt, generator=torch.Generator().manual_seed(0))
    counts = spikes.sum(0).flatten().double()
    mean = rate * time * dt / 1000.0
    assert counts.mean().item() == pytest.approx(mean, abs=4 * math.sqrt(mean / 20000))
    assert counts.var().item() == pytest.approx(mean, rel=0.05)  # Poisson: variance = mean
    assert spikes.sum(0).max() <= time


def test_poisson_rates_follow_intensity_and_spikes_spread_uniformly(plugins):
    encoder = plugins.build("encoders", "poisson", max_rate=50.0)
    data = torch.tensor([0.0, 0.25, 1.0]).repeat(5000, 1)
    spikes = encoder(data, 200, generator=torch.Generator().manual_seed(2))
    rates = spikes.float().mean(dim=(0, 1)) * 1000  # Hz at dt = 1 ms
    assert (
        rates[0] == 0
        and rates[1].item() == pytest.approx(12.5, rel=0.05)
        and rates[2].item() == pytest.approx(50, rel=0.03)
    )
    per_step = spikes[:, :, 2].float().mean(1)
    assert per_step[:100].mean().item() == pytest.approx(per_step[100:].mean().item(), rel=0.05)
    with pytest.raises(ValueError, match="non-negative"):
        encoder(torch.tensor([[-1.0]]), 10)


def test_poisson_trains_near_one_spike_per_step_keep_exact_counts_and_uniform_steps(plugins):
    # mean 15 spikes in 20 steps: most draws of a step collide with a taken one and are redrawn
    encoder = plugins.build("encoders", "poisson", max_rate=750.0)
    spikes = encoder(torch.ones(20000, 1), 20, generator=torch.Generator().manual_seed(3))
    counts = spikes.sum(0).flatten().double()
    k = torch.arange(20, dtype=torch.float64)
    pmf = torch.exp(k * math.log(15.0) - 15.0 - torch.lgamma(k + 1))
    capped_mean = (k * pmf).sum() + 20 * (1 - pmf.sum())  # E[min(N, 20)], N ~ Poisson(15)
    assert counts.mean().item() == pytest.approx(capped_mean.item(), abs=0.05)
    per_step = spikes.double().mean(dim=(1, 2))
    assert torch.allclose(per_step, torch.full_like(per_step, capped_mean.item() / 20), atol=0.015)


def test_bernoulli_probability_per_step(plugins):
    spikes = plugins.build("encoders", "bernoulli", max_prob=0.5)(
        torch.full((10000, 1), 0.4), 20, generator=torch.Generator()
    )
    assert spikes.float().mean().item() == pytest.approx(0.2, abs=0.005)


def test_rank_order_spikes_once_strongest_first(plugins):
    data = torch.tensor([[0.3, 0.9, 0.0, 0.6, 0.6]])
    spikes = plugins.build("encoders", "rank-order")(data, 9)
    assert spikes.sum(0).tolist() == [[1, 1, 0, 1, 1]]
    first = spikes[:, 0].float().argmax(0)
    assert first[1] < first[3] == first[4] < first[0]


def test_single_latency_falls_with_intensity(plugins):
    data = torch.tensor([[1.0, 0.75, 0.25, 0.0]])
    spikes = plugins.build("encoders", "single")(data, 9)
    assert spikes.sum(0).tolist() == [[1, 1, 1, 0]]
    assert spikes[:, 0].float().argmax(0)[:3].tolist() == [0, 2, 6]


def test_repeat_and_gaussian_population(plugins):
    assert plugins.build("encoders", "repeat")(torch.tensor([[True, False]]), 3).dtype == torch.bool
    encoder = plugins.build(
        "encoders", "gaussian-population", neurons=5, low=[0.0, -1.0], high=[1.0, 1.0], max_prob=0.8
    )
    p = encoder.probabilities(torch.tensor([[1.0, -1.0]]))
    assert p.shape == (1, 10)
    assert p[0, 4].item() == pytest.approx(0.8) and p[0, 5].item() == pytest.approx(0.8)  # each value at its top neuron
    assert p[0, :5].argmax() == 4 and p[0, 5:].argmax() == 0
    spikes = encoder(torch.tensor([[1.0, -1.0]]).repeat(4000, 1), 10, generator=torch.Generator().manual_seed(0))
    assert spikes.shape == (10, 4000, 10)
    torch.testing.assert_close(spikes.float().mean(dim=(0, 1)), p[0], atol=0.01, rtol=0)


def test_a_rate_encoder_at_another_rate_is_a_copy():
    from snnkit import RateEncoder
    from snnkit_plugins.encoders.poisson import Poisson

    encoder = Poisson(max_rate=40.0)
    faster = encoder.with_max_rate(72.0)
    assert isinstance(faster, RateEncoder) and (encoder.max_rate, faster.max_rate) == (40.0, 72.0)
    data = torch.full((1, 200), 1.0)
    slow = encoder(data, 1000, generator=torch.Generator().manual_seed(0)).sum().item() / 200
    fast = faster(data, 1000, generator=torch.Generator().manual_seed(0)).sum().item() / 200
    assert abs(slow - 40) < 3 and abs(fast - 72) < 4  # spikes per neuron in one second


class TestPoissonContract(EncoderContract):
    name = "poisson"


class TestBernoulliContract(EncoderContract):
    name = "bernoulli"


class TestRankOrderContract(EncoderContract):
    name = "rank-order"


class TestRepeatContract(EncoderContract):
    name = "repeat"
    emits_spikes = False  # constant currents


class TestSingleContract(EncoderContract):
    name = "single"


class TestGaussianPopulationContract(EncoderContract):
    name = "gaussian-population"


class TestDeltaContract(EncoderContract):
    name = "delta"
    data_shape = (8, 3)  # 8 frames of 3 features


def test_delta_spikes_on_rises_and_falls_by_the_threshold():
    from snnkit_plugins.encoders.delta import Delta

    # one feature rising by 0.25 per frame, one falling by 0.25 per frame, one still
    frames = torch.tensor([[0.0, 1.0, 0.5], [0.25, 0.75, 0.5], [0.5, 0.5, 0.5], [0.75, 0.25, 0.5]])
    spikes = Delta(threshold=0.5)(frames[None], 4)  # [time, batch, 2, features]
    on, off = spikes[:, 0, 0], spikes[:, 0, 1]
    # a change of 0.5 since the last spike is first reached at frame 2, then not again by frame 3
    assert on[:, 0].tolist() == [False, False, True, False] and not off[:, 0].any()
    assert off[:, 1].tolist() == [False, False, True, False] and not on[:, 1].any()
    assert not spikes[:, 0, :, 2].any()
    stretched = Delta(threshold=0.5, off_spikes=False)(frames[None], 8)  # each frame held for 2 steps
    assert stretched.shape == (8, 1, 3) and stretched[:, 0, 0].nonzero().flatten().tolist() == [4]


def test_delta_refuses_data_without_frames_and_a_threshold_of_zero():
    from snnkit_plugins.encoders.delta import Delta

    with pytest.raises(ValueError, match="threshold must be a positive change"):
        Delta(threshold=0.0)
    with pytest.raises(ValueError, match=r"data must be \[batch, frames, ...\]"):
        Delta()(torch.zeros(3), 10)
