"""Benchmark of the built-in tracker on real footage, which has no truth, by what must hold regardless
(`python -m tests.bench real`; reads FACEREPLACE_FOOTAGE, default ../shared/footage from the repository):

- mirror: a clip and its mirror image give opposite yaws (mean |yaw + yaw_mirrored| over frames measured in
  both; goal <= 3 degrees), on turn_talk_wojtek_512.mp4, a man talking and turning about 60 degrees each way.
- multiview: three synchronized cameras of one person (multiview_nersemble_074_view{0,1,2}.mp4) see the head
  turn together, so the rotation between the cameras (R_b · R_a^T of the camera-relative head rotations) stays
  constant over time: its spread per axis (std of its yaw, pitch, roll over frames measured in both; goal <= 3
  degrees), the largest over the camera pairs.
- catwalk: a full 360 degree turn (turn360_ubc_fashion_960x1254.mp4): share of frames tracked, measured or
  filled, with a pose the tracker stands by (goal >= 95 %), and no flagged jump (goal 0); through the back of the
  head, the largest departure of a filled frame's pitch or roll from its measured neighbours (goal <= 15
  degrees: no tilted crops).
- the vertical field of view each clip's lens was estimated at (no truth: for a look, and to compare the three
  cameras of one rig).
Every clip is solved with no lens given (estimated from the face). Contact sheets (frames with the tracked
head's axes drawn) are written beside the report, bench-report/real_*.png, to look at.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

import cv2
import numpy as np

from pipeline.geometry import project, yaw_pitch_roll
from pipeline.track.headtrack import HeadTrack

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
MIRROR_CLIP = "turn_talk_wojtek_512.mp4"
MULTIVIEW_CLIPS = tuple(f"multiview_nersemble_074_view{i}.mp4" for i in range(3))
CATWALK_CLIP = "turn360_ubc_fashion_960x1254.mp4"
SHEET_FRAMES = 12


def footage() -> Path:
    folder = Path(os.environ.get("FACEREPLACE_FOOTAGE", ROOT.parent / "shared" / "footage"))
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no footage here; set FACEREPLACE_FOOTAGE to the folder of "
                                "SOURCES.tsv's clips")
    return folder


class Mirrored:
    """A clip seen in a mirror: every frame flipped left to right."""

    def __init__(self, clip) -> None:
        self._clip = clip
        self.width, self.height, self.linear = clip.width, clip.height, clip.linear

    @property
    def frame_range(self) -> range:
        return self._clip.frame_range

    def read(self, frame: int, *, srgb_decode: bool = False) -> np.ndarray:
        return np.ascontiguousarray(self._clip.read(frame, srgb_decode=srgb_decode)[:, ::-1])


def _solve(path: Path, *, mirrored: bool = False):
    from pipeline.media.clip import open_clip
    from pipeline.track.solve import solve

    with open_clip(path) as clip:
        source = Mirrored(clip) if mirrored else clip
        solved = solve(source, None, where=f"{path.name}{' (mirrored)' if mirrored else ''}")
        contact_sheet(source, solved.track, ROOT / "bench-report" / f"real_{path.stem}{'_mirrored' * mirrored}.png")
    return solved.track


def contact_sheet(clip, track: HeadTrack, out: Path, *, frames: int = SHEET_FRAMES, cell: int = 240) -> Path:
    """A PNG of `frames` frames spread over the track, each with the head's axes drawn at the skull centre
    (red: its left ear, green: up, blue: out of the nose), its yaw/pitch/roll and status."""
    picks = np.unique(np.linspace(0, len(track) - 1, frames).round().astype(int))
    cells = []
    ypr = track.yaw_pitch_roll()
    for i in picks:
        frame = int(track.frames[i])
        image = np.clip(clip.read(frame)[..., :3] * 255, 0, 255).astype(np.uint8)[..., ::-1].copy()
        cam, r, t = track.intrinsics[i], track.rotation[i], track.translation[i]
        centre = project(t, cam)
        for axis, colour in ((0, (0, 0, 255)), (1, (0, 255, 0)), (2, (255, 0, 0))):
            tip = project(t + 0.12 * r[:, axis], cam)
            if np.all(np.isfinite(tip)) and np.all(np.isfinite(centre)):
                cv2.line(image, tuple(int(v) for v in centre), tuple(int(v) for v in tip), colour,
                         max(2, image.shape[1] // 200), cv2.LINE_AA)
        s = cell / max(image.shape[:2])
        small = cv2.resize(image, (int(image.shape[1] * s), int(image.shape[0] * s)), interpolation=cv2.INTER_AREA)
        canvas = np.full((cell, cell, 3), 40, np.uint8)
        canvas[:small.shape[0], :small.shape[1]] = small
        text = f"{frame} {track.status[i][0]} y{ypr[i, 0]:.0f} p{ypr[i, 1]:.0f} r{ypr[i, 2]:.0f}"
        cv2.rectangle(canvas, (0, cell - 24), (cell - 1, cell - 1), (40, 40, 40), -1)  # readable on a white set
        cv2.putText(canvas, text, (4, cell - 8), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1, cv2.LINE_AA)
        cells.append(canvas)
    while len(cells) % 4:
        cells.append(np.zeros_like(cells[0]))
    sheet = np.vstack([np.hstack(cells[k:k + 4]) for k in range(0, len(cells), 4)])
    out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out), sheet)
    return out


def mirror_error(track: HeadTrack, mirrored: HeadTrack) -> float:
    """Mean |yaw + yaw_mirrored| in degrees over the frames both measured (whole turns taken out)."""
    both = (track.status == "measured") & (mirrored.status == "measured")
    total = track.yaw_pitch_roll()[both, 0] + mirrored.yaw_pitch_roll()[both, 0]
    return float(np.mean(np.abs((total + 180.0) % 360.0 - 180.0)))


def relative_spread(a: HeadTrack, b: HeadTrack) -> np.ndarray:
    """(3,) std in degrees of the yaw, pitch, roll of the rotation from camera a to camera b (R_b · R_a^T), over
    the frames both measured: zero for cameras that do not move, whatever the head does."""
    both = (a.status == "measured") & (b.status == "measured")
    relative = b.rotation[both] @ np.swapaxes(a.rotation[both], -1, -2)
    ypr = yaw_pitch_roll(relative)
    ypr = ypr - ypr.mean(axis=0)  # relative rotations are small and far from the wrap: plain statistics hold
    return ypr.std(axis=0)


def neighbour_departure(track: HeadTrack) -> float:
    """Largest |pitch| or |roll| difference in degrees between a filled frame and its measured neighbours
    (interpolated in time between the nearest measured frames either side; the nearest one past the ends): a
    crop tilted through the back of the head shows here."""
    ypr = track.yaw_pitch_roll()
    measured = track.status == "measured"
    t = track.frames.astype(np.float64)
    expected = np.stack([np.interp(t, t[measured], ypr[measured, c]) for c in (1, 2)], axis=1)
    return float(np.abs(ypr[~measured, 1:] - expected[~measured]).max()) if np.any(~measured) else 0.0


def run(report) -> None:
    folder = footage()
    clip = folder / MIRROR_CLIP
    report.add("mirror: mean |yaw + yaw_mirrored|", mirror_error(_solve(clip), _solve(clip, mirrored=True)), "deg",
               goal="<= 3")

    views = [_solve(folder / name) for name in MULTIVIEW_CLIPS]
    spreads = np.array([relative_spread(views[a], views[b]) for a, b in ((0, 1), (0, 2), (1, 2))])
    for axis, name in enumerate(("yaw", "pitch", "roll")):
        report.add(f"multiview: relative rotation spread, {name} (worst camera pair)", float(spreads[:, axis].max()),
                   "deg", goal="<= 3")
    for i, view in enumerate(views):
        report.add(f"multiview: view{i} frames measured", 100 * float(np.mean(view.status == "measured")), "%")
        report.add(f"multiview: view{i} estimated vertical field of view", view.intrinsics[0].vfov_deg, "deg")

    catwalk = _solve(folder / CATWALK_CLIP)
    from pipeline.media.clip import open_clip

    with open_clip(folder / CATWALK_CLIP) as clip_:
        total = len(clip_.frame_range)
    flagged = catwalk.frame_flags()
    tracked = sum(1 for f in catwalk.frames if int(f) not in flagged)
    report.add("catwalk: frames tracked (measured or filled)", 100 * tracked / total, "%", goal=">= 95")
    report.add("catwalk: frames measured", 100 * float(np.mean(catwalk.status == "measured")), "%")
    report.add("catwalk: flagged jumps", len(catwalk.jumps), "frames", goal="0")
    yaw = catwalk.yaw_pitch_roll()
    report.add("catwalk: yaw turned over the clip", float(yaw[:, 0].max() - yaw[:, 0].min()), "deg", goal=">= 300")
    filled = catwalk.status == "filled"
    if np.any(filled):
        report.add("catwalk: largest |pitch| or |roll| on filled frames", float(np.abs(yaw[filled, 1:]).max()), "deg")
        report.add("catwalk: largest pitch/roll departure of filled frames from their measured neighbours",
                   neighbour_departure(catwalk), "deg", goal="<= 15")
    report.add("catwalk: estimated vertical field of view", catwalk.intrinsics[0].vfov_deg, "deg")
