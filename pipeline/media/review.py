"""Review clips: an H.264 MP4 a browser seeks frame-exactly, plus a thumbnail and a filmstrip sprite.

The MP4 is yuv420p (plays everywhere), has a keyframe every 2 frames (as review tools do, so a seek
lands on the exact frame quickly), faststart (playable while downloading), the clip's exact fps as a
ratio, even dimensions (odd ones are padded on the right/bottom, never scaled) and the pixel aspect as
its sample aspect ratio. Linear EXR frames go through an OpenColorIO display and view
(`pipeline.media.colour`: the show's config, else OCIO's built-in ACES config), recorded in the clip's layout
JSON; PNG/JPEG/video frames are already display-encoded. Frames are piped raw into the bundled ffmpeg
(imageio-ffmpeg), so nothing but the Python packages is needed. A plate's sound is kept: AAC muxed beside the
video without touching it (`pipeline.media.audio`).

Seeking convention, shared with the review player: frame N of a clip whose first frame is F is shown
at time `(N - F + 0.5) / fps` seconds, the middle of its display interval (see `frame_time`).
"""
from __future__ import annotations

import contextlib
import itertools
import logging
import math
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from pipeline.artifacts import Artifact, write_manifest
from pipeline.atomic import atomic_path
from pipeline.errors import MediaError
from pipeline.media.audio import mux_audio, plate_audio
from pipeline.media.burnin import draw_burn_in
from pipeline.media.clip import Clip, FrameSpan, open_clip
from pipeline.media.colour import DisplayTransform, display_transform
from pipeline.media.fps import fps_text
from pipeline.media.image import write_image
from pipeline.progress import ProgressCallback, progress_bar

log = logging.getLogger(__name__)

# The filmstrip's layout, OUT.filmstrip.json beside the clip. 1: image, columns, rows, tile size, frames per tile,
# frame range, fps. 2: colour, the OCIO display transform of a linear clip (null when frames were display-encoded)
FILMSTRIP = Artifact("filmstrip", 2, "filmstrip.json", upgrades={1: lambda data: {**data, "colour": None}})
FILMSTRIP_TILE_WIDTH = 160
FILMSTRIP_MAX_TILES = 100
FILMSTRIP_COLUMNS = 10
THUMBNAIL_WIDTH = 480

# The encoder settings of every review clip; the benchmark gives the same to bare ffmpeg.
H264_OUTPUT_ARGS: dict[str, str | int] = {
    "c:v": "libx264", "preset": "veryfast", "crf": 18, "pix_fmt": "yuv420p",
    "g": 2, "keyint_min": 2, "bf": 0, "sc_threshold": 0, "movflags": "+faststart",
}


@dataclass(frozen=True)
class ReviewClip(FrameSpan):
    """What `make_review_clip` wrote: the MP4, its thumbnail, its filmstrip sprite and the sprite's layout."""

    mp4: Path
    thumbnail: Path
    filmstrip: Path
    filmstrip_layout: Path
    frame_count: int
    first_frame: int
    fps: Fraction
    width: int
    height: int
    colour: dict[str, str] | None = None  # DisplayTransform.record() of a linear clip, None when display-encoded


@dataclass(frozen=True)
class FilmstripLayout:
    """Tiles in reading order; tile i shows frame `first_frame + i * frames_per_tile`."""

    columns: int
    rows: int
    tile_width: int
    tile_height: int
    frames_per_tile: int
    tile_count: int

    @classmethod
    def plan(cls, frame_count: int, width: int, height: int, pixel_aspect: Fraction) -> FilmstripLayout:
        frames_per_tile = math.ceil(frame_count / FILMSTRIP_MAX_TILES)
        tiles = math.ceil(frame_count / frames_per_tile)
        tile_width = min(FILMSTRIP_TILE_WIDTH, width)
        tile_height = max(1, round(tile_width * height / (width * pixel_aspect)))
        columns = min(FILMSTRIP_COLUMNS, tiles)
        return cls(columns, math.ceil(tiles / columns), tile_width, tile_height, frames_per_tile, tiles)


def frame_time(frame: int, first_frame: int, fps: Fraction) -> float:
    """Seconds to seek a review clip's `<video>` to so it shows `frame`: the middle of the frame's interval.

    Seeking to the exact start of a frame can round to the previous one; the middle cannot.
    """
    return float((frame - first_frame + Fraction(1, 2)) / fps)


def review_paths(out_mp4: str | os.PathLike) -> tuple[Path, Path, Path, Path]:
    """(mp4, thumbnail PNG, filmstrip PNG, filmstrip JSON), the files beside one another."""
    mp4 = Path(out_mp4)
    stem = mp4.with_suffix("")
    return mp4, Path(f"{stem}.thumbnail.png"), Path(f"{stem}.filmstrip.png"), Path(f"{stem}.filmstrip.json")


def read_filmstrip_layout(path: str | os.PathLike) -> dict[str, Any]:
    """A review clip's filmstrip layout (OUT.filmstrip.json): where each frame's tile is in the filmstrip image."""
    return FILMSTRIP.read(path)


def make_review_clip(source: str | os.PathLike | Clip, out_mp4: str | os.PathLike, *, burn_in: str | None = None,
                     first_frame: int | None = None, fps: Fraction | str | None = None,
                     colour: DisplayTransform | None = None, audio: str | os.PathLike | None = None,
                     progress: ProgressCallback | None = None) -> ReviewClip:
    """Encode `source` (a clip, a video or a sequence) as a review MP4 with thumbnail and filmstrip.

    `burn_in` burns the frame number (text and machine-readable code) and, when not empty, the shot
    name. `first_frame` numbers a video's frames (sequences keep theirs); `fps` overrides or supplies
    the rate (both only used when `source` is a path). `colour` shows linear frames (the built-in
    config's default when None). `audio` is a file (the plate) whose sound the clip keeps, its time 0 at
    the first frame; by default a video source keeps its own sound. All four outputs appear together, or
    none of them (and nothing they replace is lost).
    """
    if isinstance(source, Clip):
        return _encode(source, out_mp4, burn_in, colour, audio, progress)
    with open_clip(source, first_frame=1001 if first_frame is None else first_frame, fps=fps) as clip:
        return _encode(clip, out_mp4, burn_in, colour, audio, progress)


def _encode(clip: Clip, out_mp4: str | os.PathLike, burn_in: str | None, colour: DisplayTransform | None,
            audio: str | os.PathLike | None, progress: ProgressCallback | None) -> ReviewClip:
    transform = (colour or display_transform()) if clip.linear else None
    sound = plate_audio(clip.path) if audio is None and clip.kind == "video" else None
    if audio is not None:
        sound = plate_audio(audio)
        if sound is None:
            raise MediaError(f"{audio}: has no sound to put in the review clip {out_mp4}; give a plate with audio")
    mp4, thumb_path, strip_path, layout_path = review_paths(out_mp4)
    width, height = clip.width + clip.width % 2, clip.height + clip.height % 2
    layout = FilmstripLayout.plan(clip.frame_count, clip.width, clip.height, clip.pixel_aspect)
    sprite = np.zeros((layout.rows * layout.tile_height, layout.columns * layout.tile_width, 3), np.uint8)
    thumb_frame = clip.first_frame + clip.frame_count // 2
    thumbnail: np.ndarray | None = None
    padded = np.zeros((height, width, 3), np.uint8) if (width, height) != (clip.width, clip.height) else None
    with ExitStack() as outputs:
        tmp_mp4, tmp_thumb, tmp_strip, tmp_layout = (outputs.enter_context(atomic_path(p))
                                                     for p in (mp4, thumb_path, strip_path, layout_path))
        encoder = _start_ffmpeg(tmp_mp4, width, height, clip.fps, clip.pixel_aspect, clip.timecode)
        frames = outputs.enter_context(contextlib.closing(_read_ahead(clip, transform)))
        try:
            with progress_bar(clip.frame_count, "review clip", callback=progress) as bar:
                for frame, picture in frames:
                    index = frame - clip.first_frame
                    if index % layout.frames_per_tile == 0:
                        row, col = divmod(index // layout.frames_per_tile, layout.columns)
                        sprite[row * layout.tile_height:(row + 1) * layout.tile_height,
                               col * layout.tile_width:(col + 1) * layout.tile_width] = _resize(
                            picture, layout.tile_width, layout.tile_height)
                    if frame == thumb_frame:
                        thumbnail = picture.copy()
                    if padded is not None:
                        padded[:clip.height, :clip.width] = picture
                        picture = padded
                    if burn_in is not None:
                        draw_burn_in(picture, frame, burn_in)
                    _feed(encoder, picture, mp4, frame)
                    bar.update(1, f"frame {frame}")
            _finish(encoder, mp4)
        finally:
            if encoder.poll() is None:
                encoder.kill()
                encoder.wait()
        if sound is not None:
            mux_audio(tmp_mp4, sound, duration=clip.frame_count / clip.fps, timecode=clip.timecode)
        assert thumbnail is not None
        thumb_width = min(THUMBNAIL_WIDTH, clip.width)
        thumb_height = max(1, round(thumb_width * clip.height / (clip.width * clip.pixel_aspect)))
        write_image(tmp_thumb, _resize(thumbnail, thumb_width, thumb_height).astype(np.float32) / 255.0)
        write_image(tmp_strip, sprite.astype(np.float32) / 255.0)
        record = transform.record() if transform else None
        _write_layout(tmp_layout, layout, clip, image=strip_path.name, video=mp4.name, colour=record)
    log.info("review clip %s: %d frames %dx%d at %s fps", mp4, clip.frame_count, width, height, fps_text(clip.fps))
    return ReviewClip(mp4=mp4, thumbnail=thumb_path, filmstrip=strip_path, filmstrip_layout=layout_path,
                      frame_count=clip.frame_count, first_frame=clip.first_frame, fps=clip.fps,
                      width=width, height=height, colour=record)


def _write_layout(path: Path, layout: FilmstripLayout, clip: Clip, *, image: str, video: str,
                  colour: dict[str, str] | None) -> None:
    # `path` is a temporary name beside the clip (renamed with the clip), so it is written as given
    write_manifest(path, kind=FILMSTRIP.kind, version=FILMSTRIP.version, data={
        "image": image, "video": video, **asdict(layout),
        "first_frame": clip.first_frame, "frame_count": clip.frame_count, "fps": fps_text(clip.fps),
        "colour": colour})


def _read_ahead(clip: Clip, transform: DisplayTransform | None, depth: int = 4) -> Iterator[tuple[int, np.ndarray]]:
    """(frame, HxWx3 uint8 display values) in order, linear frames through `transform`, read up to `depth`
    frames ahead in a thread so reading (EXR decompression, video decoding) overlaps the encoder."""
    def read(frame: int) -> np.ndarray:
        return clip.read_display8(frame, transform.to_display8) if transform else clip.read_srgb8(frame)

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="review-read")
    try:
        frames = iter(clip.frame_range)
        pending = deque((f, pool.submit(read, f)) for f in itertools.islice(frames, depth))
        while pending:
            frame, future = pending.popleft()
            following = next(frames, None)
            if following is not None:
                pending.append((following, pool.submit(read, following)))
            yield frame, future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _resize(picture: np.ndarray, width: int, height: int) -> np.ndarray:
    return cv2.resize(picture, (width, height), interpolation=cv2.INTER_AREA)


def ffmpeg_exe() -> str:
    """The ffmpeg binary bundled with imageio-ffmpeg (libx264 included), so no system ffmpeg is needed."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def h264_review_output(stream, out: str | os.PathLike, pixel_aspect: Fraction = Fraction(1), timecode: str = ""):
    """The ffmpeg-python output of a review MP4 for an RGB input stream: BT.709 limited range, SAR, H.264;
    `timecode` (the plate's, of its first frame) is kept so the site reads the shot's start timecode from it.

    Shared with the benchmark, which encodes PNG frames with exactly these settings as its baseline.
    """
    stream = (stream.filter("scale", out_color_matrix="bt709", out_range="tv")
              .filter("setparams", color_primaries="bt709", color_trc="bt709", colorspace="bt709", range="tv")
              .filter("setsar", f"{pixel_aspect.numerator}/{pixel_aspect.denominator}"))
    extra = {"timecode": timecode} if timecode else {}
    return stream.output(str(out), f="mp4", **H264_OUTPUT_ARGS, **extra).global_args("-nostdin", "-loglevel", "error")


def _start_ffmpeg(out: Path, width: int, height: int, fps: Fraction, pixel_aspect: Fraction, timecode: str):
    import ffmpeg

    raw = ffmpeg.input("pipe:", format="rawvideo", pix_fmt="rgb24", s=f"{width}x{height}", framerate=fps_text(fps))
    output = h264_review_output(raw, out, pixel_aspect, timecode)
    return output.overwrite_output().run_async(cmd=ffmpeg_exe(), pipe_stdin=True, pipe_stderr=True)


def _feed(encoder, picture: np.ndarray, mp4: Path, frame: int) -> None:
    try:
        encoder.stdin.write(memoryview(np.ascontiguousarray(picture)))
    except BrokenPipeError:
        raise MediaError(f"{mp4}: ffmpeg stopped while encoding frame {frame}: "
                         f"{encoder.stderr.read().decode(errors='replace').strip()}") from None


def _finish(encoder, mp4: Path) -> None:
    encoder.stdin.close()
    errors = encoder.stderr.read().decode(errors="replace").strip()
    if encoder.wait() != 0:
        raise MediaError(f"{mp4}: ffmpeg could not encode the review clip: {errors}")
