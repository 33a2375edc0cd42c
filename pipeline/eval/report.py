"""eval's human-readable outputs: a Markdown table per variant and PNG plots (matplotlib, no display needed)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.atomic import atomic_path
from pipeline.eval.metrics import BIN_NAMES, YAW_BINS
from pipeline.eval.truthfree import HELD_OUT_FRAMES

COLUMNS = (("bin", "yaw bin", None), ("frames", "frames", "d"), ("share", "with output", ".0%"),
           ("psnr_db", "PSNR dB", ".1f"), ("ssim", "SSIM", ".3f"), ("identity_margin", "identity margin", "+.2f"),
           ("adherence_actor", "actor's performance", ".2f"), ("adherence_dancer", "dancer's performance", ".2f"),
           ("flicker", "flicker", ".4f"), ("flicker_ratio", "flicker / truth's", ".2f"))
TRUTH_FREE_COLUMNS = (
    ("bin", "yaw bin", None), ("frames", "frames", "d"), ("share", "with output", ".0%"),
    ("recognised", "face recognised", ".0%"), ("identity_margin", "identity margin", "+.2f"),
    ("identity_margin_plate", "plate's identity margin", "+.2f"), ("pose_error_deg", "pose error deg", ".1f"),
    ("pose_error_plate_deg", "plate's pose error deg", ".1f"),
    ("adherence_actor", "actor's performance", ".2f"), ("flicker_ratio", "flicker / plate's", ".2f"))
BESIDE = (("share", "with output", ".0%"), ("identity_margin", "identity margin", "+.2f"),
          ("adherence_actor", "actor's performance", ".2f"), ("flicker_ratio", "flicker ratio", ".2f"))
INTRO = {
    "truth": ("against its ground truth", "PSNR and SSIM inside the head matte against the actor in the plate's pose "
              "(truth/rigid); identity margin > 0 nearer the actor than the dancer's plate; performance: where the "
              "mouth lies between the actor's (actor 1) and the dancer's (dancer 1) expression; flicker: "
              "frame-to-frame change of the error."),
    "truth_free": ("without ground truth", "Identity margin from dlib's face recognition network: +1 the actor's "
                   "material, -1 the dancer's plate, each seen at the frame's yaw, beside the plate's own (its frame "
                   f"and the {HELD_OUT_FRAMES} around it left out of the dancer's reference: the line a swap must clear; face "
                   "recognised: the share of "
                   "outputs where a face is found; both "
                   "on frames showing their whole swap, not those dissolving from or to the plate); "
                   "pose error: the output's head pose by the face mesh against the plate's track, beside the same "
                   "measure on the plate itself; performance: where the output's mouth lies between the actor's "
                   "synced walkthrough (1) and the dancer's (0); flicker: the output's change along the plate's "
                   "optical flow over the plate's own (1: as steady as the plate)."),
}


def markdown(shot: str, results: dict[str, dict[str, Any]], *, mode: str = "truth",
             beside: dict[str, dict[str, Any]] | None = None) -> str:
    """Per variant, one row per yaw bin and one for all frames; with `beside` (the truth-free scores of a synthetic
    shot) a last table that sets each variant's truth-free figures beside its truth figures."""
    title, legend = INTRO[mode]
    columns = COLUMNS if mode == "truth" else TRUTH_FREE_COLUMNS
    lines = [f"# Evaluation of {shot} {title}", "",
             "Yaw bins on |yaw|: " + ", ".join(f"{n} {lo:g}-{hi:g} deg" for n, lo, hi in YAW_BINS) + ". " + legend,
             ""]
    for name, result in results.items():
        lines += [f"## {name}", "", *_table(columns, [*result["bins"], result["all"]]), ""]
    if beside:
        lines += ["## Truth-free measures beside the truth", "",
                  "Every frame of each variant, scored against the truth and without it; the truth-free measures "
                  "must order the variants as the truth does.", ""]
        header = ("variant", *(f"{t} ({side})" for _, t, _ in BESIDE for side in ("truth", "truth-free")))
        lines += ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
        for name, result in results.items():
            if name in beside:
                cells = [_cell(r["all"].get(key), fmt) for key, _, fmt in BESIDE for r in (result, beside[name])]
                lines.append("| " + " | ".join([name, *cells]) + " |")
        lines.append("")
    return "\n".join(lines)


def _table(columns: tuple[tuple[str, str, str | None], ...], rows: list[dict[str, Any]]) -> list[str]:
    return ["| " + " | ".join(title for _, title, _ in columns) + " |", "|" + "|".join(" --- " for _ in columns) + "|",
            *("| " + " | ".join(_cell(row.get(key), fmt) for key, _, fmt in columns) + " |" for row in rows)]


def _cell(value: Any, fmt: str | None) -> str:
    if value is None:
        return "-"
    return str(value) if fmt is None else format(value, fmt)


PER_FRAME = {"truth": ("psnr_db", "masked PSNR (dB)", "psnr.png", "actor (truth/rigid)", "dancer (truth/loose)"),
             "truth_free": ("identity_margin", "identity margin (recogniser)", "identity.png",
                            "actor (synced walkthrough)", "dancer (plate)")}


def plot(folder: Path, results: dict[str, dict[str, Any]], *, mode: str = "truth") -> list[Path]:
    """psnr.png (per frame, yaw bins shaded; identity.png without truth), bins.png (the same measure and the
    share per bin), mouth.png (performance)."""
    from matplotlib.figure import Figure

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    shades = dict(zip(BIN_NAMES, ("#ffffff", "#eef3fb", "#dde7f7", "#c9d8f0")))

    fig = Figure(figsize=(9, 3.6), layout="constrained")
    ax = fig.add_subplot()
    key, label, file, actor_label, dancer_label = PER_FRAME[mode]
    first = next(iter(results.values()))["frames"]
    for f in first:
        ax.axvspan(f["frame"] - 0.5, f["frame"] + 0.5, color=shades[f["bin"]], lw=0)
    for name, result in results.items():
        frames = result["frames"]
        ax.plot([f["frame"] for f in frames], [_nan(f.get(key)) for f in frames], label=name, lw=1.2)
    ax.set(xlabel="frame (shading: yaw bin, darker towards the back of the head)", ylabel=label)
    ax.legend(fontsize=8)
    written.append(_save(fig, folder / file))

    fig = Figure(figsize=(9, 3.6), layout="constrained")
    ax_psnr, ax_share = fig.subplots(1, 2)
    width = 0.8 / max(1, len(results))
    for k, (name, result) in enumerate(results.items()):
        xs = [i + k * width for i in range(len(BIN_NAMES))]
        ax_psnr.bar(xs, [r[key] or 0.0 for r in result["bins"]], width, label=name)
        ax_share.bar(xs, [r["share"] or 0.0 for r in result["bins"]], width, label=name)
    for ax, label in ((ax_psnr, label), (ax_share, "share of frames with an output")):
        ax.set_xticks([i + 0.4 - width / 2 for i in range(len(BIN_NAMES))], BIN_NAMES, fontsize=8)
        ax.set_ylabel(label)
    ax_share.set_ylim(0, 1.05)
    ax_psnr.legend(fontsize=8)
    written.append(_save(fig, folder / "bins.png"))

    fig = Figure(figsize=(9, 3.6), layout="constrained")
    ax = fig.add_subplot()
    refs = {actor_label: "mouth_actor", dancer_label: "mouth_dancer"}
    for ref_label, ref in refs.items():
        ax.plot([f["frame"] for f in first], [_nan(f.get(ref)) for f in first], "--", color="grey" if "actor" in
                ref_label else "black", lw=1.0, label=ref_label)
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
