"""A sweep's results: one row per trial, the mean and spread over seeds per setting, and a plot.

Read from a sweep folder (``sweep.json`` and ``trials/KEY.json``, see :mod:`snnkit.sweeps`);
:meth:`SweepResults.write` puts ``results.csv`` (the trials), ``summary.csv`` (per setting) and
``results.json`` (both) beside them.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from snnkit.errors import SnnkitError


@dataclass
class SweepResults:
    """The trials of the sweep in ``folder``: ``rows`` in the sweep's order, each with ``key``,
    ``seed``, ``params``, ``status``, ``error``, ``seconds`` and the final ``metrics``."""

    folder: Path
    parameters: list[str]
    rows: list[dict[str, Any]]
    objective: str | None = None

    @classmethod
    def load(cls, folder: str | Path) -> SweepResults:
        """The results of the sweep recorded in ``folder``, as far as it went."""
        folder = Path(folder)
        manifest = folder / "sweep.json"
        if not manifest.exists():
            raise SnnkitError(f"{folder} holds no sweep (no sweep.json): run `snnkit sweep` with --output {folder}")
        spec = json.loads(manifest.read_text())
        rows = []
        for key in spec["keys"]:
            info = folder / "trials" / f"{key}.json"
            row = json.loads(info.read_text()) if info.exists() else {"key": key, "status": "not started"}
            rows.append(row)
        return cls(folder, list(spec["parameters"]), rows, spec.get("objective"))

    @property
    def metrics(self) -> list[str]:
        """The names of every final metric some trial recorded, sorted."""
        return sorted({name for row in self.rows for name in row.get("metrics", {})})

    def table(self) -> list[dict[str, Any]]:
        """One flat dict per trial: ``trial``, the parameters, ``seed``, ``status``, ``seconds``,
        the metrics, ``error``."""
        flat = []
        for row in self.rows:
            params = row.get("params", {})
            line = {"trial": row["key"], **{p: params.get(p) for p in self.parameters}, "seed": row.get("seed")}
            line |= {"status": row["status"], "seconds": row.get("seconds")}
            line |= {m: row.get("metrics", {}).get(m) for m in self.metrics}
            flat.append(line | {"error": row.get("error")})
        return flat

    def summary(self) -> list[dict[str, Any]]:
        """One dict per setting of the parameters: the setting, ``seeds`` (how many trials),
        ``complete`` (how many finished), and for every metric ``METRIC.mean`` and ``METRIC.std``
        (the sample standard deviation over the finished seeds; ``None`` with fewer than two)."""
        groups: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
        for row in self.rows:
            setting = {p: row.get("params", {}).get(p) for p in self.parameters}
            groups.setdefault(json.dumps(setting, sort_keys=True), (setting, []))[1].append(row)
        lines = []
        for setting, rows in groups.values():
            done = [r for r in rows if r["status"] == "complete"]
            line = {**setting, "seeds": len(rows), "complete": len(done)}
            for metric in self.metrics:
                values = [r["metrics"][metric] for r in done if metric in r.get("metrics", {})]
                line[f"{metric}.mean"] = sum(values) / len(values) if values else None
                line[f"{metric}.std"] = _std(values)
            lines.append(line)
        return lines

    def write(self) -> None:
        """``results.csv``, ``summary.csv`` and ``results.json`` in the sweep's folder."""
        for name, lines in (("results.csv", self.table()), ("summary.csv", self.summary())):
            with open(self.folder / name, "w", newline="") as file:
                columns = list(dict.fromkeys(k for line in lines for k in line))
                writer = csv.DictWriter(file, columns)
                writer.writeheader()
                writer.writerows(lines)
        data = {"parameters": self.parameters, "trials": self.rows, "summary": self.summary()}
        (self.folder / "results.json").write_text(json.dumps(data, indent=1) + "\n")

    def format(self, metrics: list[str] | None = None) -> str:
        """The trials, then the summary per setting, as aligned text tables."""
        metrics = self.metrics if metrics is None else metrics
        trials = [{k: v for k, v in line.items() if k not in self.metrics or k in metrics} for line in self.table()]
        summary = [
            {k: v for k, v in line.items() if not k.endswith((".mean", ".std")) or k.rsplit(".", 1)[0] in metrics}
            for line in self.summary()
        ]
        return f"trials ({self.folder})\n{_text(trials)}\n\nmean and spread over seeds\n{_text(summary)}"

    def pick(self, metric: str | None = None) -> str:
        """``metric`` if some trial recorded it; by default the sweep's objective, else the first
        ``test_`` metric, else the first one."""
        metric = metric or self.objective or next((m for m in self.metrics if m.startswith("test_")), None)
        metric = metric or (self.metrics[0] if self.metrics else None)
        if metric is None or metric not in self.metrics:
            known = ", ".join(self.metrics) or "none yet"
            raise SnnkitError(f"no trial of the sweep recorded metric {metric!r}; recorded: {known}")
        return metric


def _std(values: list[float]) -> float | None:
    if len(values) < 2:
        return None
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _text(lines: list[dict[str, Any]]) -> str:
    """Aligned columns, a header first."""
    if not lines:
        return "(no trials)"
    columns = list(dict.fromkeys(k for line in lines for k in line))
    cells = [columns, *([_cell(line.get(c)) for c in columns] for line in lines)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in cells)


__all__ = ["SweepResults"]
