"""eval's human-readable outputs: a Markdown table per variant and PNG plots (matplotlib, no display needed)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.atomic import atomic_path
from pipeline.eval.metrics import BIN_NAMES, YAW_BINS

COLUMNS = (("bin", "yaw bin", None), ("frames", "frames", "d"), ("share", "with output", ".0%"),
           ("psnr_db", "PSNR dB", ".1f"), ("ssim", "SSIM", ".3f"), ("identity_margin", "identity margin", "+.2f"),
           ("adherence_actor", "actor's performance", ".2f"), ("adherence_dancer", "dancer's performance", ".2f"),
           ("flicker", "flicker", ".4f"), ("flicker_ratio", "flicker / truth's", ".2f"))


def markdown(shot: str, results: dict[str, dict[str, Any]]) -> str:
    """Per variant, one row per yaw bin and one for all frames."""
    lines = [f"# Evaluation of {shot} against its ground truth", "",
             "Yaw bins on |yaw|: " + ", ".join(f"{n} {lo:g}-{hi:g} deg" for n, lo, hi in YAW_BINS) + ". "
             "PSNR and SSIM inside the head matte against the actor in the plate's pose (truth/rigid); identity "
             "margin > 0 nearer the actor than the dancer's plate; performance: where the mouth lies between the "
             "actor's (actor 1) and the dancer's (dancer 1) expression; flicker: frame-to-frame change of the error.",
             ""]
    for name, result in results.items():
        lines += [f"## {name}", "", "| " + " | ".join(title for _, title, _ in COLUMNS) + " |",
                  "|" + "|".join(" --- " for _ in COLUMNS) + "|"]
        for row in [*result["bins"], result["all"]]:
            lines.append("| " + " | ".join(_cell(row.get(key), fmt) for key, _, fmt in COLUMNS) + " |")
        lines.append("")
    return "\n".join(lines)


def _cell(value: Any, fmt: str | None) -> str:
    if value is None:
        return "-"
    return str(value) if fmt is None else format(value, fmt)


def plot(folder: Path, results: dict[str, dict[str, Any]]) -> list[Path]:
    """psnr.png (per frame, yaw bins shaded), bins.png (PSNR and share per bin), mouth.png (performance)."""
    from matplotlib.figure import Figure

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    shades = dict(zip(BIN_NAMES, ("#ffffff", "#eef3fb", "#dde7f7", "#c9d8f0")))

    fig = Figure(figsize=(9, 3.6), layout="constrained")
    ax = fig.add_subplot()
    first = next(iter(results.values()))["frames"]
    for f in first:
        ax.axvspan(f["frame"] - 0.5, f["frame"] + 0.5, color=shades[f["bin"]], lw=0)
    for name, result in results.items():
        frames = result["frames"]
        ax.plot([f["frame"] for f in frames], [f.get("psnr_db") or float("nan") for f in frames], label=name, lw=1.2)
    ax.set(xlabel="frame (shading: yaw bin, darker towards the back of the head)", ylabel="masked PSNR (dB)")
    ax.legend(fontsize=8)
    written.append(_save(fig, folder / "psnr.png"))

    fig = Figure(figsize=(9, 3.6), layout="constrained")
    ax_psnr, ax_share = fig.subplots(1, 2)
    width = 0.8 / max(1, len(results))
    for k, (name, result) in enumerate(results.items()):
        xs = [i + k * width for i in range(len(BIN_NAMES))]
        ax_psnr.bar(xs, [r["psnr_db"] or 0.0 for r in result["bins"]], width, label=name)
        ax_share.bar(xs, [r["share"] or 0.0 for r in result["bins"]], width, label=name)
    for ax, label in ((ax_psnr, "masked PSNR (dB)"), (ax_share, "share of frames with an output")):
        ax.set_xticks([i + 0.4 - width / 2 for i in range(len(BIN_NAMES))], BIN_NAMES, fontsize=8)
        ax.set_ylabel(label)
    ax_share.set_ylim(0, 1.05)
    ax_psnr.legend(fontsize=8)
    written.append(_save(fig, folder / "bins.png"))

    fig = Figure(figsize=(9, 3.6), layout="constrained")
    ax = fig.add_subplot()
    refs = {"actor (truth/rigid)": "mouth_actor", "dancer (truth/loose)": "mouth_dancer"}
    for label, key in refs.items():
        ax.plot([f["frame"] for f in first], [_nan(f.get(key)) for f in first], "--", color="grey" if "actor" in
                label else "black", lw=1.0, label=label)
    for name, result in results.items():
        frames = result["frames"]
        ax.plot([f["frame"] for f in frames], [_nan(f.get("mouth_output")) for f in frames], lw=1.2, label=name)
    ax.set(xlabel="frame", ylabel="mouth open (measured)")
    ax.legend(fontsize=8)
    written.append(_save(fig, folder / "mouth.png"))
    return written


def _nan(value: float | None) -> float:
    return float("nan") if value is None else float(value)


def _save(fig, path: Path) -> Path:
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    return path
