"""Who is in a picture, by a model nobody here trained: dlib's 128-d face recognition network (ResNet, trained on
about three million faces; 99.38 % on LFW). Its weights ship inside the `face-recognition-models` wheel and
`dlib-bin` runs them on the CPU, so nothing downloads at run time.

Faces are found by MediaPipe's face mesh (a CNN detector, then the mesh) and aligned on the mesh's points at
dlib's five (eye corners, base of the nose). dlib's own HOG detector, used before, finds near-frontal, near-upright
faces only: it missed 12 of 48 sampled frames of the real clips (all of the actor's three-quarter camera, half of
his profile one, where the mesh finds all 48), 7 of the 15 three-quarter head crops of the real 360° turn's plate
(the mesh 5), a head rolled 50° (tests/pipeline/eval/test_recognise.py), and every one of loose's soft swaps on the
real talking clip, which therefore had no identity figure at all.

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
DETECT_SIDE = 320        # images are scaled so their shorter side is at least this before a face is found and
                         # cut out (the network's 150 px face chip then samples a 64 px head crop smoothly)
ALIGN_POINTS = (263, 362, 33, 133, 2)  # face-mesh ids at dlib's 5-point alignment marks, in its order: the
                                       # person's left eye outer and inner corner, the right eye's, the nose base
MAX_FACES = 4            # faces looked for in one image
REFERENCE_WINDOW_DEG = 15.0  # a face is compared with a person's faces seen within this yaw of its own (SeenFaces)
REFERENCE_LEAST = 5          # ... or with that many of the nearest where fewer were seen there
WEIGHTS = ("dlib_face_recognition_resnet_model_v1.dat",)


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
    """Finds faces and describes them. One instance loads the weights and the face mesh once (about 0.3 s)."""

    def __init__(self) -> None:
        import dlib

        from pipeline.track.solve import Landmarker

        self._network = dlib.face_recognition_model_v1(str(_weights_folder() / WEIGHTS[0]))
        self._mesh = Landmarker(mode="static", max_faces=MAX_FACES)

    def faces(self, image: np.ndarray) -> list[Face]:
        """Every face found in an (H, W, 3) RGB image (float 0..1 or uint8), the largest first."""
        rgb, scale = _detect_size(_uint8(image))
        found = [self._describe(rgb, points, scale) for points in self._mesh.faces(rgb)]
        return sorted(found, key=lambda f: -(f.box[2] - f.box[0]) * (f.box[3] - f.box[1]))

    def describe(self, image: np.ndarray, landmarks: np.ndarray) -> Face:
        """The face whose face-mesh landmarks (in the image's pixels) are given: a caller that has run the mesh
        on the image already does not find the face twice."""
        rgb, scale = _detect_size(_uint8(image))
        return self._describe(rgb, np.asarray(landmarks, np.float64) * scale, scale)

    def _describe(self, rgb: np.ndarray, points: np.ndarray, scale: float) -> Face:
        import dlib

        (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
        marks = dlib.points([dlib.point(round(float(x)), round(float(y))) for x, y in points[list(ALIGN_POINTS)]])
        shape = dlib.full_object_detection(dlib.rectangle(round(x0), round(y0), round(x1), round(y1)), marks)
        descriptor = np.asarray(self._network.compute_face_descriptor(rgb, shape, 0), np.float32)
        return Face(box=(x0 / scale, y0 / scale, x1 / scale, y1 / scale), descriptor=descriptor)

    def face(self, image: np.ndarray) -> Face | None:
        """The largest face of the image, or None when there is none to recognise."""
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


@dataclass(frozen=True)
class SeenFaces:
    """One person's descriptors, each with the yaw (degrees, as the camera saw the head) it was seen at.

    A face is compared with the person's faces seen at its own angle: a descriptor moves with the head's turn,
    so where one person's pictures are mostly turned (the actor's side cameras) and the other's mostly frontal
    (a plate), one reference over every angle reads the angle as much as the person. On the synthetic
    pirouette it put the dancer's own three-quarter and profile frames nearer the actor (margins +0.05, +0.09)
    and the actor's frontal ones nearer the dancer (-0.03); against references at each face's own angle they
    read -0.17, -0.09 and +0.24."""

    descriptors: np.ndarray  # (n, 128)
    yaws: np.ndarray         # (n,)

    @classmethod
    def of(cls, faces: list[tuple[np.ndarray, float]]) -> SeenFaces:
        """From (descriptor, yaw) pairs."""
        if not faces:
            return cls(np.zeros((0, 128), np.float32), np.zeros(0))
        return cls(np.stack([d for d, _ in faces]).astype(np.float32), np.array([y for _, y in faces], np.float64))

    def __len__(self) -> int:
        return len(self.yaws)

    def reference(self, yaw: float) -> np.ndarray | None:
        """The median descriptor of the faces seen within REFERENCE_WINDOW_DEG of `yaw` (left and right turns
        alike, |yaw| folded to 0..180), or of the REFERENCE_LEAST nearest where fewer are; None without faces."""
        if not len(self):
            return None
        apart = np.abs(_folded(self.yaws) - _folded(yaw))
        near = apart <= REFERENCE_WINDOW_DEG
        if near.sum() < REFERENCE_LEAST:
            near = np.argsort(apart, kind="stable")[:REFERENCE_LEAST]
        return np.median(self.descriptors[near], axis=0).astype(np.float32)


def _folded(yaw: float | np.ndarray) -> np.ndarray:
    """|yaw| in 0..180 degrees: a head turned 40° left is compared with one turned 40° right (mirror images)."""
    return np.abs((np.asarray(yaw, np.float64) + 180.0) % 360.0 - 180.0)


def _detect_size(rgb: np.ndarray) -> tuple[np.ndarray, float]:
    """The image scaled so its shorter side is at least DETECT_SIDE, and the scale."""
    scale = max(1.0, DETECT_SIDE / min(rgb.shape[:2]))
    if scale == 1.0:
        return rgb, scale
    import cv2

    size = (round(rgb.shape[1] * scale), round(rgb.shape[0] * scale))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_CUBIC), scale


def _uint8(image: np.ndarray) -> np.ndarray:
    a = np.asarray(image)
    if a.ndim != 3 or a.shape[2] < 3:
        raise ValueError(f"expected an (H, W, 3) RGB image, got shape {a.shape}")
    a = a[..., :3]
    if a.dtype != np.uint8:
        a = (np.clip(a, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    return np.ascontiguousarray(a)
