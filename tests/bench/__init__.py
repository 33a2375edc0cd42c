"""Benchmarks (`make bench`, i.e. `python -m tests.bench [NAME ...]`), not run by `make test`.

Each module in BENCH_MODULES has `run(report)` and calls `report.add(...)` for every figure, with the
same-run baseline it is compared with where there is one. The runner writes bench-report/REPORT.md (the
machine first, then one table per module, each figure beside its baseline as a ratio) and
bench-report/results.json. A module that fails is recorded and the others still run.
"""
from __future__ import annotations

import importlib
import logging
import os
import platform
import re
import sys
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pipeline.atomic import atomic_write_json, atomic_write_text

log = logging.getLogger(__name__)

# Explicit, in the order they run. Add yours here.
BENCH_MODULES: tuple[str, ...] = (
    "tests.bench.bench_media",
    "tests.bench.bench_cg",
    "tests.bench.bench_track",
    "tests.bench.bench_real",
    "tests.bench.bench_dataset",
    "tests.bench.bench_faces",
    "tests.bench.bench_train",
    "tests.bench.bench_convert",
    "tests.bench.bench_eval",
    "tests.bench.bench_quality",
    "tests.bench.bench_real_eval",
    "tests.bench.bench_performance",
    "tests.bench.bench_site",
    "tests.bench.bench_jobs",
    "tests.bench.bench_gpu",
)

REPORT_DIR = Path(__file__).resolve().parents[2] / "bench-report"
_GOAL = re.compile(r"^\s*(?P<ratio>ratio\s*)?(?P<op><=|>=|<|>|==|=)?\s*(?P<number>-?\d+(?:\.\d+)?)\s*[x%]?\s*$")


@dataclass
class Figure:
    module: str
    name: str
    value: float
    unit: str
    baseline: str | None = None
    baseline_value: float | None = None
    goal: str | None = None
    ratio: float | None = None  # value / baseline_value
    met: bool | None = None  # whether the goal is met, when the goal is a comparison ("< 5", "ratio <= 1.3", "100")

    def __post_init__(self) -> None:
        if self.baseline_value:
            self.ratio = self.value / self.baseline_value
        self.met = _goal_met(self.goal, self.value, self.ratio)


def _goal_met(goal: str | None, value: float, ratio: float | None) -> bool | None:
    m = _GOAL.match(goal or "")
    if m is None:
        return None
    x = ratio if m["ratio"] else value
    if x is None:
        return None
    target = float(m["number"])
    op = m["op"] or "=="
    return {"<": x < target, "<=": x <= target, ">": x > target, ">=": x >= target,
            "=": abs(x - target) <= 1e-9 * max(1.0, abs(target)),
            "==": abs(x - target) <= 1e-9 * max(1.0, abs(target))}[op]


@dataclass
class Report:
    figures: list[Figure] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    module: str = ""

    def add(self, name: str, value: float, unit: str, baseline: str | None = None,
            baseline_value: float | None = None, goal: str | None = None) -> None:
        """Record one figure of the running module; `baseline_value` is the same-run baseline it is compared to."""
        figure = Figure(self.module, name, float(value), unit, baseline,
                        None if baseline_value is None else float(baseline_value), goal)
        log.info("%s: %s", name, _value_text(figure.value, unit))
        self.figures.append(figure)


def machine() -> dict[str, str]:
    """CPU model, cores, memory, Python and torch versions: what the figures depend on."""
    cpu = next((line.split(":", 1)[1].strip() for line in _lines("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor() or platform.machine())
    mem_kb = next((int(line.split()[1]) for line in _lines("/proc/meminfo") if line.startswith("MemTotal")), 0)
    try:
        import torch

        torch_version = torch.__version__
        gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    except ImportError:
        torch_version, gpu = "not installed", "none"
    return {"cpu": cpu, "cores": str(os.cpu_count()), "memory": f"{mem_kb / 1024 ** 2:.1f} GiB",
            "python": platform.python_version(), "torch": torch_version, "os": platform.platform(), "gpu": gpu}


def _lines(path: str) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []


def _value_text(value: float | None, unit: str = "") -> str:
    if value is None:
        return ""
    text = f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    return f"{text} {unit}".strip()


def render_markdown(report: Report, info: dict[str, str]) -> str:
    lines = ["# Benchmark report", "", f"Machine: {info['cpu']}, {info['cores']} cores, {info['memory']} memory; "
             f"GPU: {info.get('gpu', 'none')}; Python {info['python']}, torch {info['torch']}; {info['os']}.", ""]
    for module in dict.fromkeys([*report.seconds, *report.failures]):
        lines += [f"## {module.rsplit('.', 1)[-1]} ({report.seconds.get(module, 0):.0f} s)", ""]
        if module in report.failures:
            lines += ["FAILED:", "", "```", report.failures[module].strip(), "```", ""]
        figures = [f for f in report.figures if f.module == module]
        if figures:
            lines += ["| figure | value | baseline (same run) | baseline value | ratio | goal | met |",
                      "| --- | --- | --- | --- | --- | --- | --- |"]
            for f in figures:
                met = {True: "yes", False: "**no**", None: ""}[f.met]
                ratio = f"{f.ratio:.2f}x" if f.ratio is not None else ""
                lines.append(f"| {f.name} | {_value_text(f.value, f.unit)} | {f.baseline or ''} | "
                             f"{_value_text(f.baseline_value, f.unit)} | {ratio} | {f.goal or ''} | {met} |")
            lines.append("")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """Run the modules named in `argv` (by their short name, e.g. `media`), or all of them."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    wanted = [m for m in BENCH_MODULES if not argv or m.rsplit(".", 1)[-1].removeprefix("bench_") in argv]
    unknown = set(argv) - {m.rsplit(".", 1)[-1].removeprefix("bench_") for m in BENCH_MODULES}
    if unknown:
        print(f"unknown benchmark(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    report = Report()
    for name in wanted:
        report.module = name
        start = time.perf_counter()
        try:
            importlib.import_module(name).run(report)
        except Exception:
            report.failures[name] = traceback.format_exc()
            log.error("%s failed:\n%s", name, report.failures[name])
        except KeyboardInterrupt:  # a time limit (make bench-gpu's) or Ctrl-C: keep the figures measured so far
            report.failures[name] = "interrupted (a time limit or Ctrl-C); the figures above were measured before"
            report.seconds[name] = time.perf_counter() - start
            break
        report.seconds[name] = time.perf_counter() - start
    info = machine()
    atomic_write_text(REPORT_DIR / "REPORT.md", render_markdown(report, info))
    atomic_write_json(REPORT_DIR / "results.json", {
        "machine": info, "figures": [asdict(f) for f in report.figures], "failures": report.failures,
        "seconds": report.seconds})
    print(f"wrote {REPORT_DIR / 'REPORT.md'} and results.json")
    return 1 if report.failures else 0

