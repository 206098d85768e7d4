"""ANN-to-SNN conversion (``docs/ann-to-snn.md``): a trained ``torch.nn.Sequential`` as a spiking
network of integrate-and-fire neurons, its accuracy per number of steps, and a file to keep it in.

>>> from snnkit_plugins.conversion import ann_to_snn, spiking_accuracy  # doctest: +SKIP
>>> net = ann_to_snn(model, calibration_images)  # doctest: +SKIP
>>> spiking_accuracy(net, test_images, test_labels, steps=[50, 100, 200])  # doctest: +SKIP
{50: 0.978, 100: 0.987, 200: 0.989}
"""

from snnkit_plugins.conversion.ann import (
    SUPPORTED,
    ConversionError,
    ann_to_snn,
    fold_batchnorm,
    normalisation_factors,
    stages,
)
from snnkit_plugins.conversion.evaluate import classify, load_converted, save_converted, spiking_accuracy

__all__ = [
    "SUPPORTED",
    "ConversionError",
    "ann_to_snn",
    "classify",
    "fold_batchnorm",
    "load_converted",
    "normalisation_factors",
    "save_converted",
    "spiking_accuracy",
    "stages",
]
