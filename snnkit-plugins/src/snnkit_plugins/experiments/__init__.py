"""Named, ready-to-run experiments shipped with snnkit (``snnkit experiments`` lists them)."""

from __future__ import annotations

from pathlib import Path

from snnkit import hookimpl

HERE = Path(__file__).parent


@hookimpl
def snnkit_register_experiments(registry):
    registry.add(
        "poisson-lif-demo",
        HERE / "poisson_lif_demo.toml",
        summary="Poisson inputs into 50 learning LIF neurons for 20 samples: needs no data set, runs in seconds.",
    )
    registry.add(
        "mnist-diehl-cook",
        HERE / "mnist_diehl_cook.toml",
        summary="Diehl & Cook 2015 on MNIST: 100 neurons learn digits without labels for one epoch, then are tested.",
    )
    registry.add(
        "cartpole-mstdp",
        HERE / "cartpole_mstdp.toml",
        summary="CartPole-v1 learned with reward-modulated STDP (mstdpet): 40 population-coded inputs, 20 LIF neurons.",
    )
    registry.add(
        "mnist-surrogate-fc",
        HERE / "mnist_surrogate_fc.toml",
        summary="784-1000-10 LIF network trained on MNIST by surrogate-gradient backpropagation, 5 epochs of 25 steps.",
    )
    registry.add(
        "mnist-stdp-gradient-readout",
        HERE / "mnist_stdp_gradient_readout.toml",
        summary="Hybrid: Diehl & Cook features learned by STDP, then a readout trained by gradient on them.",
    )
    registry.add(
        "mnist-surrogate-conv",
        HERE / "mnist_surrogate_conv.toml",
        summary="Convolutional spiking network (conv, pool, conv, pool, dense), MNIST, surrogate gradients, 3 epochs.",
    )
    registry.add(
        "nmnist-diehl-cook",
        HERE / "nmnist_diehl_cook.toml",
        summary="Diehl & Cook 2015 on N-MNIST event-camera digits (tonic): 1 ms bins as input spikes, one epoch.",
    )
    registry.add(
        "shd-surrogate",
        HERE / "shd_surrogate.toml",
        summary="Recurrent 700-256-20 LIF network on Spiking Heidelberg Digits (tonic), surrogate gradients.",
    )
    registry.add(
        "mnist-increasing-inhibition",
        HERE / "mnist_increasing_inhibition.toml",
        summary="Hazan et al. 2018 on MNIST: 100 STDP neurons on a grid, inhibition growing with distance and time.",
    )
    registry.add(
        "mnist-locally-connected",
        HERE / "mnist_locally_connected.toml",
        summary="Saunders et al. 2019 on MNIST: 25 STDP filters per 12 x 12 patch at 3 x 3 locations, competing.",
    )
    registry.add(
        "mnist-reservoir",
        HERE / "mnist_reservoir.toml",
        summary="Liquid-state machine on MNIST: 500 fixed recurrent LIF neurons, logistic-regression readout.",
    )
