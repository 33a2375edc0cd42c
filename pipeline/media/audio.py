"""The plate's sound in review clips: AAC muxed beside the untouched video, in sync with the plate's frames.

Dance plates carry the music a move is judged against. The video stream of a review clip is never re-encoded
here (stream copy), so its frames, keyframes and burn-in stay exactly as encoded; the audio is re-encoded to AAC,
placed so that its time 0 is the plate's first frame (a plate whose sound starts before or after its picture
keeps that offset) and padded with silence or cut to the clip's exact duration.
"""
from __future__ import annotations

import logging
import os
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from pipeline.atomic import atomic_path
from pipeline.errors import MediaError

log = logging.getLogger(__name__)

AAC_BITRATE = "192k"


@dataclass(frozen=True)
class PlateAudio:
    """A file's first audio stream and where it starts relative to the file's picture (seconds, + = later)."""

    path: Path
    offset: float
    sample_rate: int
    channels: int


def plate_audio(path: str | os.PathLike) -> PlateAudio | None:
    """The sound of a video plate (or an audio file), None when it has none (a sequence, a silent video)."""
    p = Path(path)
    if not p.is_file():
        return None
    try:
        container = av.open(str(p))
    except av.error.FFmpegError:
        return None  # not a container ffmpeg reads (an image of a sequence): no sound to keep
    with container:
        if not container.streams.audio:
            return None
        audio = container.streams.audio[0]
        video = container.streams.video[0] if container.streams.video else None
        offset = _start(audio) - (_start(video) if video is not None else 0.0)
        return PlateAudio(path=p, offset=offset, sample_rate=audio.codec_context.sample_rate or 48000,
                          channels=audio.codec_context.channels or 2)


def _start(stream) -> float:
    return float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0


def mux_audio(video_mp4: str | os.PathLike, audio: PlateAudio, *, duration: Fraction, timecode: str = "",
              out_mp4: str | os.PathLike | None = None) -> Path:
    """Write `video_mp4` with `audio`'s sound (AAC) lasting exactly `duration` seconds, video stream copied.

    `out_mp4` defaults to replacing `video_mp4` (atomically). The audio's time 0 is the picture's first frame.
    `timecode` is the picture's start timecode, written again (only the picture and the sound are mapped).
    """
    from pipeline.media.review import ffmpeg_exe

    src = Path(video_mp4)
    out = Path(out_mp4) if out_mp4 is not None else src
    seconds = f"{float(duration):.6f}"
    # first sample at 0, then the plate's own offset between sound and picture, then exactly the clip's length
    chain = ["asetpts=PTS-STARTPTS"]
    if audio.offset > 0:
        chain.append(f"adelay=delays={audio.offset * 1000:.3f}:all=1")
    elif audio.offset < 0:
        chain += [f"atrim=start={-audio.offset:.6f}", "asetpts=PTS-STARTPTS"]
    chain += [f"apad=whole_dur={seconds}", f"atrim=end={seconds}"]
    with atomic_path(out) as tmp:
        command = [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-i", str(src), "-i", str(audio.path),
                   "-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy", "-af", ",".join(chain), "-c:a", "aac",
                   "-b:a", AAC_BITRATE, "-map_metadata", "0", *(["-timecode", timecode] if timecode else []),
                   "-movflags", "+faststart", "-f", "mp4", str(tmp)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise MediaError(f"{audio.path}: its sound could not be muxed into {out}: {done.stderr.strip()}")
    log.info("review clip %s: sound of %s muxed (AAC, offset %.3f s)", out, audio.path, audio.offset)
    return out


def clip_sound_add(clip_mp4: str | os.PathLike, plate: str | os.PathLike) -> bool:
    """Give a review clip without sound the plate's sound (in place, video untouched). False, and nothing
    written, when the plate is silent or the clip has sound already (so a rerun changes nothing)."""
    from pipeline.media.clip import open_clip

    sound = plate_audio(plate)
    if sound is None or plate_audio(clip_mp4) is not None:
        return False
    with open_clip(clip_mp4) as clip:
        duration, timecode = clip.frame_count / clip.fps, clip.timecode
    mux_audio(clip_mp4, sound, duration=duration, timecode=timecode)
    return True
