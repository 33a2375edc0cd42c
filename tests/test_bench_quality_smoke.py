"""`make bench`'s quality benchmark runs through on a tiny budget and reports every figure it promises (it once
shipped reading budget fields the demo's config no longer had, and failed before measuring anything)."""
from __future__ import annotations

import pytest

from tests.bench import Report


@pytest.mark.slow
def test_the_quality_benchmark_reports_its_figures_on_a_tiny_budget(monkeypatch):
    from tests.bench import bench_quality

    monkeypatch.setattr(bench_quality, "BUDGET", {"size": 96, "frames": 24, "crop_size": 64, "fit_size": 60,
                                                  "base_steps": 6, "fit_steps": 3})
    report = Report(module="tests.bench.bench_quality")
    bench_quality.run(report)
    names = [f.name for f in report.figures]
    assert names[0].startswith("budget: training steps per variant (base 6 + fit 3), 64² crops, 96² pirouette")
    for variant in ("rigid", "loose", "cg"):
        assert any(n.startswith(f"{variant} profile PSNR, 3D crops") for n in names), variant
        assert any(n.startswith("share of back frames") and n.endswith(f"with an output, {variant}, 3D crops")
                   for n in names), variant
    for measure in ("identity margin", "actor's performance"):  # checked against the truth, or said it cannot be
        assert sum(n.startswith((f"pairs of variants ordered alike by {measure} with and without truth",
                                 f"pairs of variants the truth orders by {measure}")) for n in names) == 1, names
