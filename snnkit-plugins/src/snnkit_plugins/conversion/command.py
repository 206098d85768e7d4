"""The ``snnkit convert`` command: a saved torch model as a spiking network, with its accuracy per
number of steps (``docs/ann-to-snn.md``)."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from snnkit import hookimpl
from snnkit.plugins import PluginManager, get_plugin_manager
from snnkit_plugins.conversion.ann import ConversionError, ann_to_snn, normalisation_factors, stages
from snnkit_plugins.conversion.evaluate import save_converted, spiking_accuracy


def load_model(path: Path) -> nn.Sequential:
    """The ``nn.Sequential`` that ``torch.save(model, path)`` wrote (the whole module, not its
    ``state_dict``, which holds no architecture). Unpickling runs code: convert only files you trust."""
    try:
        model = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:
        if _is_torchscript(path):
            reason = "it is a TorchScript archive; save the module itself with torch.save(model, path)"
        else:
            reason = f"torch.load cannot read it ({type(exc).__name__}: {exc})"
        raise ConversionError(None, str(path), reason) from None
    if isinstance(model, dict):
        raise ConversionError(
            None,
            str(path),
            "it holds a state_dict, which has no architecture; save the module itself with torch.save(model, path)",
        )
    if not isinstance(model, nn.Module):
        raise ConversionError(None, str(path), f"it holds a {type(model).__name__}, not a torch module")
    return model  # type: ignore[return-value]


def _is_torchscript(path: Path) -> bool:
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            return any(name.endswith("constants.pkl") for name in archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def fit_input(model: nn.Sequential, x: Tensor) -> Tensor:
    """Dataset items ``[N, *shape]`` in the shape ``model`` takes: a channel axis added for a
    first Conv2d of one channel fed ``[N, H, W]`` images, items flattened for a first Linear."""
    first = next((s.module for s in stages(model) if s.weighted), None)
    if isinstance(first, nn.Conv2d) and x.dim() == 3 and first.in_channels == 1:
        return x.unsqueeze(1)
    if isinstance(first, nn.Linear) and x.dim() > 2 and math.prod(x.shape[1:]) == first.in_features:
        if not isinstance(model[0], nn.Flatten):
            return x.flatten(1)
    return x


def _items(dataset: Any, indices: Tensor) -> tuple[Tensor, Tensor]:
    xs, ys = zip(*(dataset[int(i)] for i in indices), strict=True)
    return torch.stack([torch.as_tensor(x).float() for x in xs]), torch.as_tensor([int(y) for y in ys])


def _params(settings: tuple[str, ...]) -> dict[str, Any]:
    params = {}
    for setting in settings:
        if "=" not in setting:
            raise ConversionError(None, "--data-set", f"write {setting!r} as KEY=VALUE, e.g. path=digits.pt")
        key, raw = setting.split("=", 1)
        try:
            params[key.strip()] = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            params[key.strip()] = raw
    return params


@hookimpl
def snnkit_register_commands(cli: Any) -> None:
    import click  # the command line's dependency, not the package's

    @cli.command("convert")
    @click.argument("model_path", metavar="MODEL", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--data", "data_name", required=True, help="Dataset plugin for calibration and test, e.g. mnist.")
    @click.option("--data-set", "data_params", multiple=True, metavar="KEY=VALUE", help="A dataset parameter.")
    @click.option("--root", default=None, help="Where the dataset's files are (default: $SNNKIT_DATA).")
    @click.option("--calibration", default=1000, show_default=True, help="Training samples that set the weights.")
    @click.option("--percentile", default=99.9, show_default=True, help="Of each layer's positive activations.")
    @click.option("--steps", default="50,100,200,500", show_default=True, help="Steps to measure accuracy at.")
    @click.option("--test-samples", type=int, default=None, help="Test samples to measure on (default: all).")
    @click.option("--batch-size", default=500, show_default=True, help="Test samples per spiking run.")
    @click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="File to write (.pt).")
    @click.option("--force", is_flag=True, help="Replace an existing file at the output.")
    @click.pass_obj
    def convert(
        plugins: PluginManager | None,
        model_path: Path,
        data_name: str,
        data_params: tuple[str, ...],
        root: str | None,
        calibration: int,
        percentile: float,
        steps: str,
        test_samples: int | None,
        batch_size: int,
        output: Path,
        force: bool,
    ) -> None:
        """Convert MODEL, a trained torch nn.Sequential saved whole with torch.save(model, path), into a
        spiking network of integrate-and-fire neurons (docs/ann-to-snn.md); print and record its accuracy
        on the test split of --data after each number of --steps, beside the model's own, and save it to
        --output (snnkit_plugins.conversion.load_converted reads it back). Unpickling MODEL runs code:
        convert only files you trust."""
        plugins = plugins or get_plugin_manager()
        if output.exists() and not force:
            raise click.UsageError(f"{output} exists; give --force to replace it")
        try:
            counts = sorted({int(s) for s in steps.split(",")})
        except ValueError:
            raise click.BadParameter(
                f"{steps!r}: give numbers of steps, e.g. 50,100,200", param_hint="--steps"
            ) from None
        if not counts or counts[0] < 1:
            raise click.BadParameter("numbers of steps must be positive", param_hint="--steps")
        if calibration < 1 or batch_size < 1:
            raise click.BadParameter("--calibration and --batch-size must be positive")
        model = load_model(model_path)
        model.eval()
        params = _params(data_params)
        if root is not None:
            params["root"] = root
        train = plugins.build("datasets", data_name, train=True, **params)
        test = plugins.build("datasets", data_name, train=False, **params)
        chosen = torch.randperm(len(train), generator=torch.Generator().manual_seed(0))[:calibration]
        x_cal, _ = _items(train, chosen)
        x_cal = fit_input(model, x_cal)
        n_test = len(test) if test_samples is None else min(test_samples, len(test))
        x_test, y_test = _items(test, torch.arange(n_test))
        x_test = fit_input(model, x_test)
        network = ann_to_snn(model, x_cal, percentile=percentile, plugins=plugins)
        factors = normalisation_factors(model, x_cal, percentile)
        with torch.no_grad():
            param = next(model.parameters())
            ann = float((model(x_test.to(param.dtype)).argmax(1) == y_test).float().mean())
        accuracy = spiking_accuracy(network, x_test, y_test, steps=counts, batch_size=batch_size)
        spiking = [name for name in network.layers if name != network.input_layer]
        click.echo(
            f"converted {model_path}: {len(spiking)} layers of if neurons ({', '.join(spiking)}), weights normalised"
            f" at the {percentile:g}th percentile of {len(x_cal)} training samples of {data_name}"
        )
        click.echo(f"ANN accuracy on {n_test} test samples: {100 * ann:.2f} %")
        click.echo("steps  SNN accuracy  SNN - ANN")
        for t, a in accuracy.items():
            click.echo(f"{t:>5}  {100 * a:>10.2f} %  {100 * (a - ann):+.2f} points")
        metadata = {
            "source": str(model_path),
            "data": data_name,
            "calibration_samples": len(x_cal),
            "percentile": percentile,
            "normalisation": factors,
            "test_samples": n_test,
            "ann_accuracy": ann,
            "accuracy": accuracy,
        }
        save_converted(network, output, metadata=metadata)
        click.echo(f"wrote {output}: the spiking network and these figures (load_converted reads it)")
