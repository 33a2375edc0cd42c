"""Whether clips show the same person: dlib's face-recognition network (128-D descriptors, the model of the
face_recognition_models package) on a few frontal frames of each clip, found where the track measured the face.

Two faces of one person lie within about 0.5 of each other in that space (dlib suggests 0.6, see SAME_PERSON);
different people farther. The actor's sources must all be the actor: a clip of someone else would teach the
models another face.
"""
from __future__ import annotations

import functools
import importlib.util
import logging
from pathlib import Path

import numpy as np

from pipeline.errors import InputError

logger = logging.getLogger(__name__)

SAME_PERSON = 0.5  # distance between two faces of one person: below dlib's 0.6, which two bearded men of the footage
# (turn_talk_wojtek and the nersemble 074 views, 0.54-0.57) pass; the three views of one man read 0.32-0.44
FRAMES_PER_CLIP = 5  # frontal frames whose descriptors are averaged


@functools.lru_cache(maxsize=1)
def _models() -> tuple[object, object]:
    import dlib

    spec = importlib.util.find_spec("face_recognition_models")  # its __init__ needs pkg_resources: not imported
    if spec is None or not spec.submodule_search_locations:
        raise InputError("the identity check needs the face_recognition_models package (pip install "
                         "face-recognition-models)")
    folder = Path(list(spec.submodule_search_locations)[0]) / "models"
    return (dlib.shape_predictor(str(folder / "shape_predictor_68_face_landmarks.dat")),
            dlib.face_recognition_model_v1(str(folder / "dlib_face_recognition_resnet_model_v1.dat")))


def face_descriptor(rgb8: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """The 128-D descriptor of the face whose face-mesh landmarks (pixels) are `landmarks` in `rgb8`."""
    import dlib

    predictor, network = _models()
    x0, y0 = np.floor(landmarks.min(axis=0)).astype(int)
    x1, y1 = np.ceil(landmarks.max(axis=0)).astype(int)
    shape = predictor(rgb8, dlib.rectangle(int(x0), int(y0), int(x1), int(y1)))
    return np.asarray(network.compute_face_descriptor(rgb8, shape), np.float64)


def clip_descriptor(clip: object, frames: list[int]) -> np.ndarray | None:
    """The mean descriptor of the face in `frames` of `clip` (a pipeline.media Clip), None when no face is found."""
    from pipeline.track.solve import Landmarker, to_rgb8

    found = []
    with Landmarker(mode="static") as landmarker:
        for frame in frames:
            rgb8 = to_rgb8(clip.read(frame), linear=clip.linear)
            points = landmarker(rgb8)
            if points is not None:
                found.append(face_descriptor(rgb8, points))
    return np.mean(found, axis=0) if found else None


def frontal_frames(yaw: np.ndarray, frames: np.ndarray, measured: np.ndarray,
                   count: int = FRAMES_PER_CLIP) -> list[int]:
    """Up to `count` measured frames nearest to facing the camera, spread over the clip."""
    candidates = np.flatnonzero(measured)
    if not len(candidates):
        return []
    best = candidates[np.argsort(np.abs(yaw[candidates]))[:max(count * 4, count)]]
    picked = np.sort(best)[np.linspace(0, len(best) - 1, min(count, len(best))).round().astype(int)]
    return [int(frames[i]) for i in np.unique(picked)]


def odd_one_out(descriptors: dict[str, np.ndarray], *, tolerance: float = SAME_PERSON) -> str | None:
    """The sentence naming the source(s) that show another person than the others, or None when all agree.

    With three or more sources the odd one is the one far from the others while they agree; with two, only that
    they differ can be said."""
    names = sorted(descriptors)
    if len(names) < 2:
        return None
    distance = {(a, b): float(np.linalg.norm(descriptors[a] - descriptors[b])) for a in names for b in names}
    far = [(a, b) for i, a in enumerate(names) for b in names[i + 1:] if distance[a, b] > tolerance]
    if not far:
        return None
    if len(names) == 2:
        a, b = names
        return (f"actor sources {a} and {b} show different people (face distance {distance[a, b]:.2f} > "
                f"{tolerance}); give clips of the one actor")
    for name in names:
        others = [n for n in names if n != name]
        apart = min(distance[name, o] for o in others)
        agree = all(distance[a, b] <= tolerance for a in others for b in others if a < b)
        if apart > tolerance and agree:
            return (f"actor source {name} shows another person than {', '.join(others)} (face distance {apart:.2f} > "
                    f"{tolerance}); give a clip of the actor or leave it out")
    pairs = ", ".join(f"{a}-{b} {distance[a, b]:.2f}" for a, b in far)
    return f"the actor sources do not all show one person (face distances above {tolerance}: {pairs})"
