"""``conv1d``, ``conv3d``, ``local1d``, ``local3d``, ``maxpool1d`` and ``maxpool3d``: against
torch.nn.functional, explicit loops, autograd, and their 2-D counterparts on the same problem
laid out with a singleton axis (learning rules included)."""

import itertools
import math

import pytest
import torch
import torch.nn.functional as F

import snnkit
from snnkit import Context, Network
from snnkit.errors import NetworkError, NIRExportError, ShapeError
from snnkit.testing import ConnectionContract
from snnkit_plugins.connections._spatial import unfold_strided
from snnkit_plugins.learning.mstdpet import MSTDPET
from snnkit_plugins.learning.post_pre import PostPre
from snnkit_plugins.learning.triplet_stdp import TripletSTDP
from snnkit_plugins.learning.weight_dependent_post_pre import WeightDependentPostPre

from .learning_helpers import apply_rule

NAMES = ["conv1d", "conv3d", "local1d", "local3d", "maxpool1d", "maxpool3d"]


@pytest.mark.parametrize("name", NAMES)
def test_discovered_through_the_snnkit_plugins_entry_point(plugins, name):
    assert plugins.get("connections", name).provider.distribution == "snnkit-plugins"


class TestConv1dContract(ConnectionContract):
    name = "conv1d"
    source_shape = (2, 9)
    target_shape = (3, 4)
    params = {"kernel_size": 3, "stride": 2}


class TestConv3dContract(ConnectionContract):
    name = "conv3d"
    source_shape = (2, 4, 5, 5)
    target_shape = (3, 2, 2, 2)
    params = {"kernel_size": (3, 2, 3), "stride": (1, 2, 2)}


class TestLocal1dContract(ConnectionContract):
    name = "local1d"
    source_shape = (2, 7)
    target_shape = (3, 5)
    params = {"kernel_size": 3}


class TestLocal3dContract(ConnectionContract):
    name = "local3d"
    source_shape = (2, 3, 4, 4)
    target_shape = (3, 2, 2, 2)
    params = {"kernel_size": (2, 3, 3)}


class TestMaxPool1dContract(ConnectionContract):
    name = "maxpool1d"
    source_shape = (2, 8)
    target_shape = (2, 4)
    params = {"kernel_size": 2}


class TestMaxPool3dContract(ConnectionContract):
    name = "maxpool3d"
    source_shape = (2, 4, 4, 4)
    target_shape = (2, 2, 2, 2)
    params = {"kernel_size": 2}


def spikes(shape, batch=2, seed=0, p=0.4):
    return torch.rand(batch, *shape, generator=torch.Generator().manual_seed(seed)) < p


def seeded(seed=0):
    return torch.Generator().manual_seed(seed)


# -- outputs


def test_conv1d_by_hand():
    """Kernel [1, -1] over [1, 1, 0, 1, 0] with stride 1 and one zero at each end, plus a bias."""
    from snnkit_plugins.connections.conv1d import Conv1d

    conv = Conv1d((1, 5), (1, 6), kernel_size=2, padding=1, weight=torch.tensor([[[1.0, -1.0]]]), bias=0.5)
    x = torch.tensor([[[1.0, 1.0, 0.0, 1.0, 0.0]]])
    out, _ = conv(x, conv.initial_state(1), Context())
    # padded input 0 1 1 0 1 0 0: windows (0,1) (1,1) (1,0) (0,1) (1,0) (0,0)
    assert out.flatten().tolist() == [-0.5, 0.5, 1.5, -0.5, 1.5, 0.5]


@pytest.mark.parametrize(
    ("name", "source", "target", "params", "reference"),
    [
        ("conv1d", (2, 11), (3, 6), {"kernel_size": 3, "stride": 2, "padding": 1}, F.conv1d),
        ("conv1d", (1, 6), (2, 6), {"kernel_size": (1,)}, F.conv1d),
        (
            "conv3d",
            (2, 5, 6, 7),
            (3, 3, 3, 4),
            {"kernel_size": (3, 2, 3), "stride": (1, 2, 2), "padding": (0, 0, 1)},
            F.conv3d,
        ),
    ],
)
def test_conv_matches_torch_functional(plugins, name, source, target, params, reference):
    conv = plugins.build(
        "connections",
        name,
        source,
        target,
        weight="normal(0, 1)",
        bias=torch.tensor([0.1, -0.2, 0.3])[: target[0]],
        generator=seeded(),
        **params,
    )
    x = spikes(source, batch=3)
    out, _ = conv(x, conv.initial_state(3), Context())
    expected = reference(x.float(), conv.weight, conv.bias, stride=conv.stride, padding=conv.padding)
    assert tuple(out.shape) == (3, *target)
    torch.testing.assert_close(out, expected)


def reference_local(x, weight, kernel, stride, padding):
    """Explicit loops over every output location ``loc`` of any dimension: ``out[b, f, *loc] =
    sum(patch(loc) * weight[f, flat(loc)])``, the patch channel-major, the kernel row-major."""
    xp = F.pad(x.double(), [p for p in reversed(padding) for _ in range(2)])
    size = [(n - k) // s + 1 for n, k, s in zip(xp.shape[2:], kernel, stride, strict=True)]
    out = torch.zeros(x.shape[0], weight.shape[0], *size, dtype=torch.float64)
    for flat, loc in enumerate(itertools.product(*map(range, size))):
        window = tuple(slice(i * s, i * s + k) for i, s, k in zip(loc, stride, kernel, strict=True))
        patch = xp[(slice(None), slice(None), *window)].reshape(x.shape[0], -1)
        for f in range(weight.shape[0]):
            out[(slice(None), f, *loc)] = patch @ weight[f, flat].double()
    return out


@pytest.mark.parametrize(
    ("name", "source", "target", "params"),
    [
        ("local1d", (2, 9), (3, 5), {"kernel_size": 3, "stride": 2, "padding": 1}),
        ("local3d", (2, 4, 5, 4), (2, 3, 3, 2), {"kernel_size": (2, 3, 2), "stride": (1, 2, 2), "padding": (0, 1, 0)}),
    ],
)
def test_local_matches_explicit_loops_with_a_kernel_per_location(plugins, name, source, target, params):
    conn = plugins.build("connections", name, source, target, weight="normal(0, 1)", generator=seeded(), **params)
    k = (params["kernel_size"],) if isinstance(params["kernel_size"], int) else params["kernel_size"]
    assert conn.weight.shape == (target[0], math.prod(target[1:]), source[0] * math.prod(k))
    x = spikes(source)
    out, _ = conn(x, conn.initial_state(2), Context())
    expected = reference_local(x, conn.weight, conn.kernel_size, conn.stride, conn.padding)
    torch.testing.assert_close(out.double(), expected, rtol=1e-5, atol=1e-5)


def test_local3d_with_one_kernel_everywhere_is_conv3d(plugins):
    conv = plugins.build(
        "connections", "conv3d", (2, 4, 4, 4), (3, 2, 3, 2), kernel_size=(3, 2, 3), weight="normal(0, 1)"
    )
    locations = 2 * 3 * 2
    shared = conv.weight.detach().reshape(3, 1, -1).expand(3, locations, -1).clone()
    local = plugins.build("connections", "local3d", (2, 4, 4, 4), (3, 2, 3, 2), kernel_size=(3, 2, 3), weight=shared)
    x = spikes((2, 4, 4, 4))
    torch.testing.assert_close(local(x, (), Context())[0], conv(x, (), Context())[0])


@pytest.mark.parametrize(
    ("kernel", "stride", "padding"), [((3, 2), (1, 1), (0, 0)), ((2, 3), (2, 1), (1, 2)), ((1, 1), (3, 2), (0, 1))]
)
def test_the_strided_unfold_lays_patches_out_as_torch_unfold(kernel, stride, padding):
    """The 1-D and 3-D connections take patches by strided views: in 2-D these equal F.unfold's."""
    x = torch.randn(2, 3, 7, 6, generator=seeded())
    torch.testing.assert_close(
        unfold_strided(x, kernel, stride, padding), F.unfold(x, kernel, stride=stride, padding=padding)
    )


def reference_maxpool(history, kernel, tau, dt=1.0):
    """Explicit loops: relay the spike of the first neuron (row-major) with the highest decayed count."""
    rate = torch.zeros(history.shape[1:], dtype=torch.float64)
    size = [n // k for n, k in zip(history.shape[3:], kernel, strict=True)]
    outs = []
    for x in history.double():
        rate = rate * math.exp(-dt / tau) + x
        out = torch.zeros(*x.shape[:2], *size, dtype=torch.float64)
        for b, c in itertools.product(range(x.shape[0]), range(x.shape[1])):
            for loc in itertools.product(*map(range, size)):
                members = itertools.product(*(range(i * k, i * k + k) for i, k in zip(loc, kernel, strict=True)))
                best = max(members, key=lambda m: (rate[(b, c, *m)].item(), [-v for v in m]))
                out[(b, c, *loc)] = x[(b, c, *best)]
        outs.append(out)
    return torch.stack(outs)


@pytest.mark.parametrize(
    ("name", "source", "kernel"), [("maxpool1d", (2, 6), (2,)), ("maxpool3d", (1, 4, 2, 4), (2, 2, 2))]
)
def test_maxpool_relays_the_most_active_neuron_of_each_window(plugins, name, source, kernel):
    target = (source[0], *(n // k for n, k in zip(source[1:], kernel, strict=True)))
    pool = plugins.build("connections", name, source, target, kernel_size=kernel, weight=2.0, tau_rate=5.0)
    history = torch.rand(25, 2, *source, generator=seeded(3)) < 0.3
    state, outs = pool.initial_state(2), []
    for step in history:
        out, state = pool(step, state, Context())
        outs.append(out)
    expected = 2.0 * reference_maxpool(history, kernel, tau=5.0)
    assert expected.sum() > 20 and (history.sum() > torch.stack(outs).sum() / 2)  # relays some spikes, not all
    torch.testing.assert_close(torch.stack(outs).double(), expected)


def test_maxpool1d_by_hand(plugins):
    pool = plugins.build("connections", "maxpool1d", (1, 4), (1, 2), kernel_size=2, tau_rate=1e9)
    history = torch.tensor([[1, 0, 0, 1], [1, 0, 0, 1], [0, 1, 1, 1]], dtype=torch.bool)[:, None, None, :]
    state, outs = pool.initial_state(1), []
    for step in history:
        out, state = pool(step, state, Context())
        outs.append(out.flatten().tolist())
    # window 0: neuron 0 leads 2 to 1, so neuron 1's spike is not relayed; window 1: neuron 3 leads
    assert outs == [[1.0, 1.0], [1.0, 1.0], [0.0, 1.0]]


# -- the same problem in 2-D: a singleton axis added to the 1-D and 3-D layouts


def twin(plugins, kind, dims, source, target, kernel, stride, padding, weight=None, **extra):
    """A ``{kind}{dims}d`` connection and the ``{kind}2d`` one that computes the same thing: 1-D
    ``[C, L]`` is 2-D ``[C, 1, L]``; 3-D ``[C, D, 1, W]`` is 2-D ``[C, D, W]`` (kernel 1 on the height)."""
    nd = plugins.build(
        "connections",
        f"{kind}{dims}d",
        source,
        target,
        kernel_size=kernel,
        stride=stride,
        padding=padding,
        **extra,
        **({} if weight is None else {"weight": weight}),
    )
    if dims == 1:
        source2, target2 = (source[0], 1, source[1]), (target[0], 1, target[1])
        two = {"kernel_size": (1, kernel), "stride": (1, stride), "padding": (0, padding)}
    else:
        source2, target2 = (source[0], source[1], source[3]), (target[0], target[1], target[3])
        two = {
            "kernel_size": (kernel[0], kernel[2]),
            "stride": (stride[0], stride[2]),
            "padding": (padding[0], padding[2]),
        }
    w2 = None if kind == "maxpool" else nd.weight.detach().clone().reshape(_weight2_shape(kind, nd.weight, dims))
    flat = plugins.build(
        "connections", f"{kind}2d", source2, target2, **two, **extra, **({} if w2 is None else {"weight": w2})
    )
    return nd, flat


def _weight2_shape(kind, weight, dims):
    if kind == "local":
        return weight.shape  # [filters, locations, channels * kernel]: the same layout
    if dims == 1:
        return (*weight.shape[:2], 1, weight.shape[2])
    return (*weight.shape[:3], weight.shape[4])


PROBLEMS = {
    1: ((2, 9), (3, 5), 3, 2, 1),
    3: ((2, 4, 1, 7), (3, 3, 1, 4), (2, 1, 3), (1, 1, 2), (0, 0, 1)),
}


@pytest.mark.parametrize(("kind", "dims"), list(itertools.product(["conv", "local"], [1, 3])))
def test_output_and_outer_equal_the_2d_connection_on_the_same_problem(plugins, kind, dims):
    source, target, kernel, stride, padding = PROBLEMS[dims]
    nd, flat = twin(plugins, kind, dims, source, target, kernel, stride, padding, weight="normal(0, 1)")
    pre = spikes(source, batch=3)
    post = torch.rand(3, *target, generator=seeded(1))  # real values: traces, as learning rules pass
    pre2, post2 = pre.reshape(3, *flat.source_shape), post.reshape(3, *flat.target_shape)
    torch.testing.assert_close(nd(pre, (), Context())[0].reshape(3, -1), flat(pre2, (), Context())[0].reshape(3, -1))
    torch.testing.assert_close(nd.outer(pre, post).reshape(3, -1), flat.outer(pre2, post2).reshape(3, -1))
    before = nd.weight.detach().clone()
    nd.add_outer(pre, post)
    flat.add_outer(pre2, post2)
    torch.testing.assert_close(nd.weight.reshape(-1), flat.weight.reshape(-1))
    assert not torch.equal(nd.weight, before)


@pytest.mark.parametrize(("kind", "dims"), list(itertools.product(["conv", "local"], [1, 3])))
def test_add_outer_is_the_gradient_of_post_times_the_input(plugins, kind, dims):
    """sum_b outer(pre, post)[b] = d/dW sum(post * forward(pre)): every synapse sharing a weight counts."""
    shapes = {1: ((2, 8), (3, 4), 3, 2, 1), 3: ((2, 4, 3, 5), (2, 2, 2, 3), (2, 2, 3), (2, 1, 2), (0, 0, 1))}
    source, target, kernel, stride, padding = shapes[dims]
    conn = plugins.build(
        "connections",
        f"{kind}{dims}d",
        source,
        target,
        kernel_size=kernel,
        stride=stride,
        padding=padding,
        weight="normal(0, 1)",
        generator=seeded(),
    )
    pre, post = spikes(source, batch=2), torch.rand(2, *target, generator=seeded(2))
    w = conn.weight.detach().clone().requires_grad_()
    conn.weight = torch.nn.Parameter(w)
    (conn(pre, (), Context())[0] * post).sum().backward()
    expected = conn.weight.grad.clone()
    with torch.no_grad():
        conn.weight.zero_()
        conn.add_outer(pre, post)
    torch.testing.assert_close(conn.weight.detach(), expected)


# One rule of each way to change weights: add_outer, add_outer with a weight factor, add_outer of
# several traces, outer into a per-synapse eligibility (hebbian, mstdp and rmax use the same calls).
RULES = {
    "post-pre": lambda: PostPre((0.02, 0.05), tc_pre=10.0, tc_post=15.0),
    "weight-dependent-post-pre": lambda: WeightDependentPostPre((0.02, 0.05)),
    "triplet-stdp": lambda: TripletSTDP(),
    "mstdpet": lambda: MSTDPET(nu=0.05),
}


@pytest.mark.parametrize("rule", sorted(RULES))
@pytest.mark.parametrize(("kind", "dims"), list(itertools.product(["conv", "local"], [1, 3])))
def test_learning_rules_update_as_on_the_2d_connection(plugins, kind, dims, rule):
    """A hand-made spike pattern: the rule's updates on the 1-D or 3-D connection equal its updates
    on the 2-D connection that computes the same thing."""
    source, target, kernel, stride, padding = PROBLEMS[dims]
    nd, flat = twin(
        plugins, kind, dims, source, target, kernel, stride, padding, weight="uniform(0.2, 0.8)", wmin=0.0, wmax=1.0
    )
    steps = 20
    pre = torch.zeros(steps, 2, *source, dtype=torch.bool)
    post = torch.zeros(steps, 2, *target, dtype=torch.bool)
    pre.view(steps, 2, -1)[3::4, 0, ::3] = True  # sample 0: every third source, every fourth step
    pre.view(steps, 2, -1)[5::7, 1, 1::2] = True  # sample 1: every other source, every seventh step
    post.view(steps, 2, -1)[4::5, :, ::2] = True  # every other target, a step after some pre spikes
    post.view(steps, 2, -1)[9, 1, 1::3] = True
    reward = torch.tensor([1.0, -0.5]) if rule == "mstdpet" else None
    before = nd.weight.detach().clone()
    apply_rule(RULES[rule](), nd, pre, post, reward=reward)
    apply_rule(
        RULES[rule](),
        flat,
        pre.reshape(steps, 2, *flat.source_shape),
        post.reshape(steps, 2, *flat.target_shape),
        reward=reward,
    )
    torch.testing.assert_close(nd.weight.reshape(-1), flat.weight.reshape(-1), rtol=1e-5, atol=1e-7)
    assert (nd.weight - before).abs().max() > 1e-3, "the pattern must change the weights for the test to mean anything"


@pytest.mark.parametrize("dims", [1, 3])
def test_maxpool_equals_maxpool2d_on_the_same_problem(plugins, dims):
    source, target, kernel, padding = {
        1: ((2, 9), (2, 3), 3, 0),
        3: ((1, 4, 1, 6), (1, 2, 1, 3), (2, 1, 2), (0, 0, 0)),
    }[dims]
    nd, flat = twin(plugins, "maxpool", dims, source, target, kernel, kernel, padding, tau_rate=8.0)
    history = torch.rand(30, 2, *source, generator=seeded(5)) < 0.3
    s1, s2 = nd.initial_state(2), flat.initial_state(2)
    relayed = 0.0
    for x in history:
        o1, s1 = nd(x, s1, Context())
        o2, s2 = flat(x.reshape(2, *flat.source_shape), s2, Context())
        assert torch.equal(o1.reshape(-1), o2.reshape(-1))
        relayed += float(o1.sum())
    assert 0 < relayed < history.sum()


# -- weights, shapes, errors


def test_conv3d_norm_is_per_filter(plugins):
    conv = plugins.build("connections", "conv3d", (2, 3, 3, 3), (3, 2, 2, 2), kernel_size=2, norm=1.5)
    torch.testing.assert_close(conv.weight.sum(dim=(1, 2, 3, 4)), torch.full((3,), 1.5))
    local = plugins.build("connections", "local1d", (2, 5), (3, 3), kernel_size=3, norm=2.0)
    torch.testing.assert_close(local.weight.sum(2), torch.full((3, 3), 2.0))


def test_wrong_shapes_name_the_shape_needed(plugins):
    with pytest.raises(ShapeError, match=r"conv1d connection: .* expected shape \(4, 8\), received \(4, 10\)"):
        plugins.build("connections", "conv1d", (1, 10), (4, 10), kernel_size=3)
    with pytest.raises(ShapeError, match=r"local3d connection: the source must be \[channels, depth, height, width\]"):
        plugins.build("connections", "local3d", (1, 5, 5), (1, 3, 3), kernel_size=3)
    with pytest.raises(ShapeError, match=r"maxpool1d connection: the source must be \[channels, length\]"):
        plugins.build("connections", "maxpool1d", (1, 4, 4), (1, 2, 2), kernel_size=2)
    with pytest.raises(ValueError, match=r"kernel_size must be an int or a triple of ints, got \(3, 3\)"):
        plugins.build("connections", "conv3d", (1, 5, 5, 5), (1, 3, 3, 3), kernel_size=(3, 3))


def test_conv1d_and_pools_in_a_network_with_learning(plugins):
    """input [1, 12] -> conv1d (post-pre) -> [2, 10] -> maxpool1d -> [2, 5]: spikes flow, kernels learn."""
    net = Network(plugins=plugins, seed=0)
    net.add_layer("in", "input", (1, 12))
    net.add_layer("conv", "mcculloch-pitts", (2, 10), threshold=0.5)
    net.add_layer("pool", "mcculloch-pitts", (2, 5), threshold=0.5)
    net.add_connection(
        "in", "conv", "conv1d", kernel_size=3, weight="uniform(0.3, 0.6)", rule="post-pre", wmin=0.0, wmax=1.0
    )
    net.add_connection("conv", "pool", "maxpool1d", kernel_size=2)
    net.add_monitor("pool", "state", target="pool")
    before = net.connections["in->conv"].weight.detach().clone()
    net.run({"in": torch.rand(20, 1, 1, 12, generator=seeded()) < 0.5}, time=20)
    assert net.monitors["pool"].get("s").sum() > 0
    assert not torch.equal(net.connections["in->conv"].weight, before)


def test_conv1d_round_trips_through_nir_and_the_others_are_refused(plugins):
    nir = pytest.importorskip("nir")
    lif = {"refractory": 0.0, "v_rest": 0.0, "v_reset": 0.0, "v_thresh": 1.0, "tau_mem": 20.0}
    net = Network(dt=1.0, seed=2, zero_delay=True, plugins=plugins)
    net.add_layer("in", "input", (2, 10))
    net.add_layer("out", "lif", (3, 5), **lif)
    net.add_connection("in", "out", "conv1d", kernel_size=3, stride=2, padding=1, weight="uniform(0, 0.6)", bias=0.05)
    graph = snnkit.to_nir(net)
    assert isinstance(graph.nodes["in->out"], nir.Conv1d)
    back = snnkit.from_nir(graph, plugins=plugins)
    x = {"in": torch.rand(30, 2, 2, 10, generator=seeded()) < 0.3}
    runs = []
    for n in (net, back):
        n.add_monitor("m", "state", target="out", variables=["s", "v"])
        n.eval()
        n.run(x, time=30, learning=False)
        runs.append((n.monitors["m"].get("s"), n.monitors["m"].get("v")))
    assert runs[0][0].sum() > 0 and torch.equal(runs[0][0], runs[1][0]) and torch.equal(runs[0][1], runs[1][1])
    for name, source, target in [("conv3d", (1, 3, 3, 3), (1, 2, 2, 2)), ("maxpool1d", (1, 4), (1, 2))]:
        other = Network(dt=1.0, plugins=plugins, zero_delay=True)
        other.add_layer("in", "input", source)
        other.add_layer("out", "lif", target, **lif)
        other.add_connection("in", "out", name, kernel_size=2)
        with pytest.raises(NIRExportError, match=rf"connection 'in->out' \('{name}'"):
            snnkit.to_nir(other)


@pytest.mark.parametrize(
    ("name", "source", "target", "params", "conv", "pool"),
    [
        ("conv1d", (2, 11), (3, 4), {"kernel_size": 3, "pool": 2}, F.conv1d, F.max_pool1d),  # 9 -> 4: one dropped
        ("conv2d", (1, 9, 9), (2, 2, 2), {"kernel_size": 3, "pool": 3}, F.conv2d, F.max_pool2d),
        ("conv3d", (2, 4, 5, 5), (3, 1, 2, 1), {"kernel_size": 2, "pool": (3, 2, 4)}, F.conv3d, F.max_pool3d),
    ],
)
def test_pool_max_pools_the_currents_and_passes_their_gradient(plugins, name, source, target, params, conv, pool):
    layer = plugins.build(
        "connections",
        name,
        source,
        target,
        weight="normal(0, 1)",
        bias=0.1,
        generator=seeded(),
        learnable=True,
        **params,
    )
    x = torch.rand(3, *source, generator=seeded(), dtype=torch.float32).requires_grad_()
    out, _ = layer(x, layer.initial_state(3), Context())
    expected = pool(conv(x, layer.weight, layer.bias), layer.pool)
    assert tuple(out.shape) == (3, *target)
    torch.testing.assert_close(out, expected)
    weights = torch.randn(out.shape, generator=seeded())
    grads = torch.autograd.grad((out * weights).sum(), (x, layer.weight))
    wanted = torch.autograd.grad((expected * weights).sum(), (x, layer.weight))
    for got, want in zip(grads, wanted, strict=True):
        assert got.abs().sum() > 0
        torch.testing.assert_close(got, want)


def test_pool_is_refused_where_it_cannot_work(plugins):
    with pytest.raises(ShapeError, match=r"stride, padding and pool the target: expected shape \(3, 4\)"):
        plugins.build("connections", "conv1d", (2, 11), (3, 9), kernel_size=3, pool=2)  # the unpooled size
    for pool in (0, -1, (2, -2, 2)):
        with pytest.raises(ValueError, match="pool must be positive"):
            plugins.build("connections", "conv3d", (1, 6, 6, 6), (1, 1, 1, 1), kernel_size=3, pool=pool)
    with pytest.raises(ValueError, match=r"the pool window \(9, 9\) is larger than the convolution's output \(8, 8\)"):
        plugins.build("connections", "conv2d", (1, 12, 12), (1, 1, 1), kernel_size=5, pool=9)
    net = Network(dt=1.0, seed=0, plugins=plugins)
    net.add_layer("in", "input", (1, 10))
    net.add_layer("out", "lif", (2, 4))
    with pytest.raises(
        NetworkError, match=r"'in->out' cannot take rule 'post-pre': its currents are max-pooled.*maxpool1d"
    ):
        net.add_connection("in", "out", "conv1d", kernel_size=3, pool=2, rule="post-pre")  # before anything runs
    assert "in->out" not in net.connections
    conv = plugins.build("connections", "conv1d", (1, 10), (2, 4), kernel_size=3, pool=2)
    with pytest.raises(NetworkError, match="conv1d connection cannot learn by a local rule"):  # a rule used directly
        conv.add_outer(torch.ones(1, 1, 10), torch.ones(1, 2, 4))
    net = Network(dt=1.0, seed=0, plugins=plugins, zero_delay=True)
    net.add_layer("in", "input", (1, 10))
    net.add_layer("out", "lif", (2, 4), refractory=0.0)
    net.add_connection("in", "out", "conv1d", kernel_size=3, pool=2)
    with pytest.raises(NIRExportError, match="max-pools its currents"):
        snnkit.to_nir(net)


def test_printing_a_network_shows_each_window(plugins):
    net = Network(plugins=plugins)
    net.add_layer("in", "input", (1, 9))
    net.add_layer("conv", "lif", (2, 4))
    net.add_layer("local", "lif", (2, 3))
    net.add_layer("pool", "lif", (2, 1))
    net.add_connection("in", "conv", "conv1d", kernel_size=3, pool=2, padding=1)
    net.add_connection("conv", "local", "local1d", kernel_size=2)
    net.add_connection("conv", "pool", "maxpool1d", kernel_size=3)
    printed = str(net)
    conv = "Conv1d(source_shape=(1, 9), target_shape=(2, 4), kernel_size=(3,), stride=(1,), padding=(1,), pool=(2,))"
    assert conv in printed
    assert "Local1d(source_shape=(2, 4), target_shape=(2, 3), kernel_size=(2,), stride=(1,), padding=(0,))" in printed
    assert "MaxPool1d(source_shape=(2, 4), target_shape=(2, 1), kernel_size=(3,), stride=(3,), padding=(0,))" in printed
