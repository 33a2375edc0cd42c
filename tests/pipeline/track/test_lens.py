"""The plate camera's lens: read from the plate's metadata when it records one, else estimated from the face."""
from __future__ import annotations

import numpy as np
import pytest

from pipeline.geometry import compose, project, rotation_from_yaw_pitch_roll
from pipeline.track import canonical
from pipeline.geometry import Intrinsics
from pipeline.track.lens import estimate_lens, intrinsics_for_vfov, lens_from_metadata


def _rigid_face_landmarks(camera, distance: float, seed: int) -> list[np.ndarray]:
    """A performer 3 mm off the canonical head, turning +-60 degrees, drifting across the frame, seen by
    `camera` from `distance` metres with half a pixel of landmark noise."""
    rng = np.random.default_rng(seed)
    face = canonical.POINTS + rng.normal(0, 0.003, canonical.POINTS.shape)
    out = []
    for k in range(40):
        ypr = np.array([60 * np.sin(k / 6), rng.uniform(-10, 10), rng.uniform(-5, 5)])
        pose = compose(rotation_from_yaw_pitch_roll(ypr), [0.2 * np.sin(k / 9) * distance, 0.0, -distance])
        points = np.zeros((468, 2))
        points[list(canonical.LANDMARK_IDS)] = project((pose[:3, :3] @ face.T).T + pose[:3, 3], camera) + \
            rng.normal(0, 0.5, (len(face), 2))
        out.append(points)
    return out


@pytest.mark.parametrize("vfov, distance", [(12.0, 2.5), (30.0, 1.0), (50.0, 0.6)])
def test_the_focal_length_is_estimated_within_a_quarter_from_a_face_seen_turning(vfov, distance):
    true = intrinsics_for_vfov(640, 480, vfov)
    estimate = estimate_lens(_rigid_face_landmarks(true, distance, seed=1), 640, 480)
    assert estimate.supported
    assert estimate.intrinsics.focal_px == pytest.approx(true.focal_px, rel=0.25)


def test_the_lens_is_read_from_exr_camera_attributes(tmp_path):
    import OpenEXR

    path = tmp_path / "plate.1001.exr"
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage,
              "nominalFocalLength": 35.0, "effectiveFocalLength": 40.0, "sensorPhysicalWidth": 24.9}
    OpenEXR.File(header, {"R": np.zeros((50, 80), np.float32)}).write(str(path))
    camera = lens_from_metadata(path, 80, 50)
    assert camera.focal_mm == pytest.approx(40.0) and camera.film_back_mm == pytest.approx((24.9, 24.9 * 50 / 80))
    OpenEXR.File({"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage, "nominalFocalLength": 35.0},
                 {"R": np.zeros((50, 80), np.float32)}).write(str(path))
    assert lens_from_metadata(path, 80, 50) is None  # a focal length without a sensor tells no field of view


def test_the_lens_is_read_from_exif_35mm_equivalent_and_a_plain_image_has_none(tmp_path):
    from PIL import Image

    image = Image.new("RGB", (120, 80))
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0xA405] = 50  # FocalLengthIn35mmFilm
    image.save(tmp_path / "a.jpg", exif=exif)
    camera = lens_from_metadata(tmp_path / "a.jpg", 120, 80)
    full_frame = Intrinsics(width=120, height=80, focal_mm=50.0, film_back_mm=(36.0, 24.0))
    assert camera.vfov_deg == pytest.approx(full_frame.vfov_deg, rel=1e-3)  # a 3:2 frame: the 35 mm frame itself
    image.save(tmp_path / "b.jpg")
    assert lens_from_metadata(tmp_path / "b.jpg", 120, 80) is None


def test_solving_a_plate_whose_frames_record_their_lens_uses_it_and_the_track_says_so(tmp_path):
    from PIL import Image
    from skimage import data

    from pipeline.track.headtrack import read_track
    from pipeline.track.solve import SolveConfig
    from pipeline.track.stage import TrackInputs, run

    face = Image.fromarray(data.astronaut()[0:256, 96:352])
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0xA405] = 85  # FocalLengthIn35mmFilm, as a stills camera writes it
    for frame in range(1001, 1005):
        face.save(tmp_path / f"plate.{frame}.jpg", exif=exif, quality=95)
    out = run(SolveConfig(mode="static"), TrackInputs(out=tmp_path / "track.json", plate=tmp_path / "plate.1001.jpg",
                                                      fps="24"))
    track = read_track(out.path)
    assert track.lens == "metadata"
    assert track.intrinsics[0].focal_mm == pytest.approx(85.0)


def _write_mov(path, tags: dict[str, str]) -> None:
    """A 3-frame 64x48 QuickTime movie with the given container tags."""
    import av

    with av.open(str(path), "w", format="mov", options={"movflags": "use_metadata_tags"}) as out:
        out.metadata.update(tags)
        stream = out.add_stream("mpeg4", rate=24)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for _ in range(3):
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def test_the_lens_is_read_from_a_videos_35mm_equivalent_tag(tmp_path):
    """As a phone writes it (QuickTime's com.apple.quicktime.camera.focal_length.35mm_equivalent)."""
    _write_mov(tmp_path / "phone.mov", {"com.apple.quicktime.camera.focal_length.35mm_equivalent": "26"})
    camera = lens_from_metadata(tmp_path / "phone.mov", 64, 48)
    assert camera.focal_mm == pytest.approx(26.0)
    # The diagonal field of view of a 26 mm lens on the 36 x 24 mm frame, kept on the video's 4:3 frame.
    diagonal = np.hypot(*camera.film_back_mm)
    assert diagonal == pytest.approx(np.hypot(36.0, 24.0))
    assert camera.film_back_mm[0] / camera.film_back_mm[1] == pytest.approx(64 / 48)
    _write_mov(tmp_path / "plain.mov", {})
    assert lens_from_metadata(tmp_path / "plain.mov", 64, 48) is None
