"""``Network(threads=...)``: the threads a run steps with, given back afterwards, and never a
change in what the network computes."""

import pytest
import torch

from snnkit import Network


def network(plugins, threads, n=300):
    net = Network(dt=1.0, seed=3, plugins=plugins, threads=threads)
    net.add_layer("in", "input", n)
    net.add_layer("out", "lif", n, refractory=0.0)
    net.add_connection("in", "out", "dense", weight=torch.rand(n, n, generator=torch.Generator().manual_seed(1)))
    net.add_monitor("out_v", "state", target="out", variables=["v", "s"])
    return net


def spikes_in(n, batch, steps=50):
    return torch.rand(steps, batch, n, generator=torch.Generator().manual_seed(0)) < 0.15


@pytest.fixture
def thread_calls(monkeypatch):
    """Every torch.set_num_threads call, made for real."""
    calls = []
    real = torch.set_num_threads
    monkeypatch.setattr(torch, "set_num_threads", lambda n: (calls.append(n), real(n))[1])
    return calls


@pytest.fixture(autouse=True)
def keep_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize(("setting", "batch", "during"), [(3, 1, 3), ("auto", 1, 1), (3, 4, 3)])
def test_a_run_steps_with_the_setting_and_gives_the_callers_back(plugins, thread_calls, setting, batch, during):
    torch.set_num_threads(5)
    thread_calls.clear()
    network(plugins, setting, n=20).run({"in": spikes_in(20, batch)}, time=50)
    assert thread_calls == [during, 5] and torch.get_num_threads() == 5


def test_none_leaves_torchs_setting_alone(plugins, thread_calls):
    torch.set_num_threads(5)
    thread_calls.clear()
    network(plugins, None, n=20).run({"in": spikes_in(20, 1)}, time=50)
    assert thread_calls == [] and torch.get_num_threads() == 5


def test_auto_for_batches_uses_the_free_cores(plugins, thread_calls, monkeypatch):
    import snnkit.threads

    monkeypatch.setattr(snnkit.threads, "_measured", None)
    monkeypatch.setattr(snnkit.threads, "busy_cores", lambda: 0.0)  # an idle machine
    monkeypatch.setattr(snnkit.threads.os, "cpu_count", lambda: 4)
    torch.set_num_threads(1)
    thread_calls.clear()
    network(plugins, "auto", n=20).run({"in": spikes_in(20, 8)}, time=50)
    assert thread_calls == [4, 1]


def test_auto_gives_a_large_network_the_free_cores_at_batch_one(plugins, thread_calls, monkeypatch):
    import snnkit.threads

    monkeypatch.setattr(snnkit.threads, "_measured", None)
    monkeypatch.setattr(snnkit.threads, "busy_cores", lambda: 1.0)  # one of four cores busy
    monkeypatch.setattr(snnkit.threads.os, "cpu_count", lambda: 4)
    monkeypatch.setattr(snnkit.threads, "LARGE", 400)  # the rule, without a 2-million-synapse network
    torch.set_num_threads(1)
    small, large = network(plugins, "auto", n=19), network(plugins, "auto", n=20)  # 361 and 400 synapses
    assert (small.auto_threads(1), large.auto_threads(1), small.auto_threads(8)) == (1, 3, 3)
    thread_calls.clear()
    large.run({"in": spikes_in(20, 1)}, time=50)
    assert thread_calls == [3, 1]


@pytest.mark.parametrize("setting", [0, -1, 1.5, "many", True])
def test_a_wrong_setting_is_refused_saying_what_is_accepted(plugins, setting):
    with pytest.raises(ValueError, match=r'threads must be a number of threads \(at least 1\), "auto" or None'):
        Network(plugins=plugins, threads=setting)


def results(plugins, threads, n, batch, rule=None):
    net = Network(dt=1.0, seed=3, plugins=plugins, threads=threads)
    net.add_layer("in", "input", n)
    net.add_layer("out", "lif", n, refractory=0.0)
    weight = torch.rand(n, n, generator=torch.Generator().manual_seed(1)) * (300 / n)
    net.add_connection("in", "out", "dense", weight=weight, rule=rule, name="c")
    net.add_monitor("m", "state", target="out", variables=["v", "s"])
    net.run({"in": spikes_in(n, batch)}, time=50)
    return net.monitors["m"].get("v"), net.monitors["m"].get("s"), net.connections["c"].weight.detach()


@pytest.mark.parametrize(
    ("n", "batch", "rule"), [(1000, 1, None), (1000, 8, None), (1000, 1, "post-pre"), (300, 1, "post-pre")]
)
def test_thread_counts_do_not_change_the_results(plugins, n, batch, rule):
    """Event-driven propagation (large connections) and learning sum in the same order whatever the threads."""
    one, *others = [results(plugins, threads, n, batch, rule) for threads in (1, 2, 4)]
    for other in others:
        assert all(torch.equal(a, b) for a, b in zip(one, other, strict=True))
    assert one[1].any() and not one[1].all()


def test_small_dense_products_agree_to_float_rounding(plugins):
    """A small connection (under 100,000 synapses) at batch 1 is one BLAS product, which splits its sum
    among threads: the last bits may differ (why "auto" keeps batch-1 runs on one thread and a resumed
    run uses the thread count it started with)."""
    one, two = (results(plugins, threads, 300, 1) for threads in (1, 2))
    torch.testing.assert_close(two[0], one[0], rtol=1e-6, atol=1e-4)
