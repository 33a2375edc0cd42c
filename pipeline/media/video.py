"""Video files (mov/mp4/mkv; H.264, ProRes, DNxHR...) opened as clips, decoded with PyAV.

The frame count is judged from the content: every video packet is counted when the file is opened
(demuxing without decoding is cheap), so a truncated file is caught there instead of frames going
missing later. Frame i is the packet presented i-th, found by its timestamp.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from pipeline.errors import MediaError
from pipeline.media.clip import Clip
from pipeline.media.image import decode_srgb_colour
from pipeline.media.timecode import metadata_timecode

log = logging.getLogger(__name__)

# Reading forward up to this many frames beats seeking back to a keyframe.
_READ_AHEAD = 32


def _open_container(path: Path) -> av.container.InputContainer:
    try:
        return av.open(str(path), mode="r")
    except av.error.FFmpegError as exc:
        raise MediaError(f"{path}: not a video or image this engine can read, judged from its content "
                         f"({exc.strerror or exc}); is it damaged, truncated or misnamed?") from None


def open_video(path: Path, *, first_frame: int, fps: Fraction | None) -> Clip:
    """Open a video as a Clip numbered from `first_frame`; `fps` overrides the rate in the file."""
    container = _open_container(path)
    try:
        if not container.streams.video:
            raise MediaError(f"{path}: has zero video frames (no video stream; it holds {len(container.streams)} "
                             "other stream(s))")
        stream = container.streams.video[0]
        ctx = stream.codec_context
        if not ctx.width or not ctx.height:
            raise MediaError(f"{path}: the video stream has no picture size; the file is damaged")
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        if fps is None:
            if not rate:
                raise MediaError(f"{path}: the video has no frame rate; give it (--fps 24000/1001, or fps=...)")
            fps = Fraction(rate)
        count = _count_frames(container, stream, path, first_frame)
        aspect = stream.sample_aspect_ratio
        reader = _VideoReader(path, container, stream, Fraction(rate or fps))
        timecode = _start_timecode(container, path, fps)
    except BaseException:
        container.close()
        raise
    return Clip(path=path, kind="video", codec=ctx.name, first_frame=first_frame, frame_count=count, fps=fps,
                width=ctx.width, height=ctx.height, pixel_aspect=Fraction(aspect) if aspect else Fraction(1),
                linear=False, _reader=reader, timecode=timecode)


def _start_timecode(container: av.container.InputContainer, path: Path, fps: Fraction) -> str:
    """The `timecode` tag ffmpeg reads from a MOV's tmcd track or an MP4/MXF's metadata, checked at the clip's
    rate; a tag that cannot exist at that rate is reported and left out rather than shown wrong."""
    tags = [container.metadata, *(stream.metadata for stream in container.streams)]
    # Matroska writes its tags upper-case (TIMECODE)
    text = next((value for t in tags for key, value in t.items() if key.lower() == "timecode" and value), "")
    return metadata_timecode(text, fps, source=path)


def _count_frames(container: av.container.InputContainer, stream: av.video.stream.VideoStream, path: Path,
                  first_frame: int) -> int:
    """Video packets in the file; fewer than its header promises means it was cut short."""
    count = 0
    try:
        for packet in container.demux(stream):
            if packet.size and packet.pts is not None:
                count += 1
    except av.error.FFmpegError as exc:
        raise MediaError(f"{path}: damaged video, reading stopped at frame {first_frame + count} "
                         f"({exc.strerror or exc})") from None
    promised = stream.frames
    if count == 0:
        raise MediaError(f"{path}: the video has zero frames")
    if promised and count < promised:
        raise MediaError(f"{path}: truncated video, its header promises {promised} frames but only {count} are in "
                         f"the file (frames from {first_frame + count} on are missing); copy or export it again")
    return count


class _VideoReader:
    def __init__(self, path: Path, container: av.container.InputContainer, stream: av.video.stream.VideoStream,
                 rate: Fraction):
        self._path, self._container, self._stream, self._rate = path, container, stream, rate
        self._start = stream.start_time or 0
        self._frames: Iterator[av.VideoFrame] | None = None
        self._next = 0
        bits = max(c.bits for c in av.VideoFormat(stream.codec_context.pix_fmt or "yuv420p").components)
        self._format, self._scale = ("rgb48le", 65535.0) if bits > 8 else ("rgb24", 255.0)

    def _index(self, frame: av.VideoFrame) -> int:
        return round((frame.pts - self._start) * self._stream.time_base * self._rate)

    def _seek(self, index: int) -> None:
        target = self._start + int((index / self._rate) / self._stream.time_base)
        self._container.seek(target, stream=self._stream, backward=True, any_frame=False)
        self._frames = self._container.decode(self._stream)

    def _decode_to(self, index: int) -> av.VideoFrame | None:
        assert self._frames is not None
        for frame in self._frames:
            if frame.pts is None:
                continue
            i = self._index(frame)
            self._next = i + 1
            if i == index:
                return frame
            if i > index:
                return None
        return None

    def read(self, index: int, frame: int, srgb_decode: bool) -> np.ndarray:
        image = self._decoded(index, frame).to_ndarray(format=self._format).astype(np.float32) / self._scale
        return decode_srgb_colour(image) if srgb_decode else image

    def read_srgb8(self, index: int, frame: int) -> np.ndarray:
        return self._decoded(index, frame).to_ndarray(format="rgb24")

    def _decoded(self, index: int, frame: int) -> av.VideoFrame:
        try:
            if self._frames is None or not self._next <= index <= self._next + _READ_AHEAD:
                self._seek(index)
            decoded = self._decode_to(index)
            if decoded is None:  # seeking landed past it (bad index in the file): decode from the start
                self._seek(0)
                decoded = self._decode_to(index)
        except av.error.FFmpegError as exc:
            self._frames = None
            raise MediaError(f"{self._path}: frame {frame} cannot be decoded, the video is damaged "
                             f"({exc.strerror or exc})") from None
        if decoded is None:
            self._frames = None
            raise MediaError(f"{self._path}: frame {frame} is not in the video's stream; the file is damaged")
        return decoded

    def close(self) -> None:
        self._container.close()
