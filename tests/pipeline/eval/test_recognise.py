"""The recogniser tells people apart on real photographs that packages ship: variants of one photograph (a crop,
the mirror image, darker, smaller) stay nearer to it than to the other person's photograph."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from pipeline.eval.recognise import SAME_PERSON, distance, recogniser, reference


@pytest.fixture(scope="module")
def people() -> dict[str, np.ndarray]:
    """Two real people: Eileen Collins (scikit-image's astronaut) and Grace Hopper (matplotlib's sample data)."""
    import matplotlib.cbook
    import skimage.data
    from PIL import Image

    hopper = np.asarray(Image.open(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)))
    return {"collins": skimage.data.astronaut(), "hopper": hopper}


def variants(image: np.ndarray) -> list[np.ndarray]:
    """The same photograph as another camera might give it: mirrored, darker, brighter, smaller, cropped, noisier."""
    h, w = image.shape[:2]
    rng = np.random.default_rng(0)
    noisy = np.clip(image.astype(np.float32) / 255 + rng.normal(0, 0.03, image.shape), 0, 1)
    return [image[:, ::-1], (image * 0.55).astype(np.uint8), np.clip(image * 1.3, 0, 255).astype(np.uint8),
            cv2.resize(image, (w // 2, h // 2), interpolation=cv2.INTER_AREA), image[h // 10:, w // 12: w - w // 12],
            noisy]


def test_same_person_distances_lie_below_different_person_ones(people):
    r = recogniser()
    originals = {name: r.face(image) for name, image in people.items()}
    assert all(face is not None for face in originals.values())
    same, different = [], []
    for name, image in people.items():
        other = next(n for n in people if n != name)
        for variant in variants(image):
            face = r.face(variant)
            assert face is not None, name
            same.append(distance(face.descriptor, originals[name].descriptor))
            different.append(distance(face.descriptor, originals[other].descriptor))
    assert max(same) < SAME_PERSON < min(different), (same, different)


@pytest.mark.parametrize("degrees", [50, 60])
def test_a_head_tilted_far_past_what_a_frontal_detector_finds_is_the_same_person(people, degrees):
    """A dancer tilts her head; dlib's HOG detector stops finding either photograph's face from about 50 degrees
    of roll. Both tilted faces are found, within 0.2 of their upright photograph and past SAME_PERSON from the
    other person's."""
    r = recogniser()
    upright = {name: r.face(image).descriptor for name, image in people.items()}
    for name, image in people.items():
        h, w = image.shape[:2]
        turn = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
        face = r.face(cv2.warpAffine(image, turn, (w, h), borderMode=cv2.BORDER_REFLECT))
        assert face is not None, name
        other = next(n for n in people if n != name)
        assert distance(face.descriptor, upright[name]) < 0.2 < SAME_PERSON < distance(face.descriptor, upright[other])


def test_the_face_is_found_where_it_is_and_a_photograph_without_one_has_none(people):
    import skimage.data

    face = recogniser().face(people["collins"])
    x0, y0, x1, y1 = face.box
    assert 150 < (x0 + x1) / 2 < 300 and 60 < (y0 + y1) / 2 < 200  # her face, not the flag or the suit
    assert recogniser().faces(skimage.data.coffee()) == []
    assert recogniser().faces(np.zeros((64, 64, 3), np.float32)) == []


def test_a_reference_of_many_pictures_is_not_moved_by_one_odd_one(people):
    r = recogniser()
    collins = [r.face(v).descriptor for v in variants(people["collins"])]
    odd = r.face(people["hopper"]).descriptor
    ref = reference(collins + [odd])
    assert distance(ref, r.face(people["collins"]).descriptor) < distance(ref, odd)
    assert reference([]) is None
