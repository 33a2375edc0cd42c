"""A PNG of a head track's yaw, pitch and roll over frames, measured and filled frames marked."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from pipeline.atomic import atomic_path
from pipeline.track.headtrack import HeadTrack


def plot_track(track: HeadTrack, path: str | os.PathLike, *, title: str = "head track") -> Path:
    """Three stacked panels (yaw, pitch, roll in degrees, yaw continuous across turns); measured frames as
    dots, filled frames as crosses on the curve; written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ypr = track.yaw_pitch_roll()
    measured = track.status == "measured"
    fig, axes = plt.subplots(3, 1, figsize=(10, 7), sharex=True)
    for ax, values, name in zip(axes, ypr.T, ("yaw", "pitch", "roll")):
        ax.plot(track.frames, values, color="0.6", linewidth=1)
        ax.scatter(track.frames[measured], values[measured], s=9, color="tab:blue", label="measured")
        ax.scatter(track.frames[~measured], values[~measured], s=14, marker="x", color="tab:orange", label="filled")
        ax.set_ylabel(f"{name} (deg)")
        ax.grid(True, alpha=0.3)
    axes[0].legend(loc="upper left", fontsize=8)
    axes[0].set_title(f"{title}: {int(measured.sum())} measured, {int((~measured).sum())} filled of {len(track)}")
    axes[-1].set_xlabel("frame")
    fig.tight_layout()
    dest = Path(path)
    with atomic_path(dest, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=90, format="png")
    plt.close(fig)
    return dest
