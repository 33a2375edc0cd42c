"""Who is in a picture, by a model nobody here trained: dlib's 128-d face recognition network (ResNet, trained on
about three million faces; 99.38 % on LFW), with dlib's HOG face detector and 5-point landmarks to align the
face. Its weights ship inside the `face-recognition-models` wheel and `dlib-bin` runs them on the CPU, so
nothing downloads at run time.

Two descriptors of one person lie closer than `SAME_PERSON` (dlib's own threshold, Euclidean); the truth-free
eval compares an output's face with the actor's material and with the dancer's plate by these distances.
"""
from __future__ import annotations

import functools
import importlib.util
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.errors import InputError

log = logging.getLogger(__name__)

SAME_PERSON = 0.6        # descriptor distance under which dlib calls two faces one person
DETECT_SIDE = 320        # images are scaled so their shorter side is at least this before detection (HOG
                         # finds faces from about 80 px; a 64 px head crop would otherwise hold none)
WEIGHTS = ("shape_predictor_5_face_landmarks.dat", "dlib_face_recognition_resnet_model_v1.dat")


@dataclass(frozen=True)
class Face:
    """One recognised face: its box in the image's pixels (x0, y0, x1, y1) and its 128-d descriptor."""

    box: tuple[float, float, float, float]
    descriptor: np.ndarray


def _weights_folder() -> Path:
    """The folder of face-recognition-models' weights, found without importing the package (its __init__ needs
    pkg_resources, which recent setuptools no longer ship)."""
    spec = importlib.util.find_spec("face_recognition_models")
    folder = Path(next(iter(spec.submodule_search_locations or []), "")) / "models" if spec else None
    if folder is None or not all((folder / name).is_file() for name in WEIGHTS):
        raise InputError("the face recognition weights are not installed; `pip install face-recognition-models "
                         "dlib-bin` (both are dependencies of facereplace)")
    return folder


class Recogniser:
    """Finds faces and describes them. One instance loads the weights once (about 0.1 s)."""

    def __init__(self) -> None:
        import dlib

        folder = _weights_folder()
        self._detector = dlib.get_frontal_face_detector()
        self._landmarks = dlib.shape_predictor(str(folder / WEIGHTS[0]))
        self._network = dlib.face_recognition_model_v1(str(folder / WEIGHTS[1]))

    def faces(self, image: np.ndarray) -> list[Face]:
        """Every face found in an (H, W, 3) RGB image (float 0..1 or uint8), the surest detection first."""
        rgb = _uint8(image)
        scale = max(1.0, DETECT_SIDE / min(rgb.shape[:2]))
        if scale > 1.0:
            import cv2

            rgb = cv2.resize(rgb, (round(rgb.shape[1] * scale), round(rgb.shape[0] * scale)),
                             interpolation=cv2.INTER_CUBIC)
        found = []
        rects, scores, _ = self._detector.run(rgb, 0, 0.0)
        for _, rect in sorted(zip(scores, rects), key=lambda sr: -sr[0]):
            shape = self._landmarks(rgb, rect)
            descriptor = np.asarray(self._network.compute_face_descriptor(rgb, shape, 0), np.float32)
            box = tuple(float(v) / scale for v in (rect.left(), rect.top(), rect.right(), rect.bottom()))
            found.append(Face(box=box, descriptor=descriptor))
        return found

    def face(self, image: np.ndarray) -> Face | None:
        """The surest face of the image, or None when there is none to recognise."""
        found = self.faces(image)
        return found[0] if found else None


@functools.lru_cache(maxsize=1)
def recogniser() -> Recogniser:
    """The process's one recogniser."""
    return Recogniser()


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance of two descriptors: under SAME_PERSON, one person."""
    return float(np.linalg.norm(np.asarray(a, np.float32) - np.asarray(b, np.float32)))


def reference(descriptors: list[np.ndarray]) -> np.ndarray | None:
    """One person's reference descriptor from many pictures of them: the element-wise median (a few odd
    detections, a blurred frame, do not move it)."""
    return np.median(np.stack(descriptors), axis=0).astype(np.float32) if descriptors else None


def _uint8(image: np.ndarray) -> np.ndarray:
    a = np.asarray(image)
    if a.ndim != 3 or a.shape[2] < 3:
        raise ValueError(f"expected an (H, W, 3) RGB image, got shape {a.shape}")
    a = a[..., :3]
    if a.dtype != np.uint8:
        a = (np.clip(a, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    return np.ascontiguousarray(a)
