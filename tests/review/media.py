"""Real test media: tiny H.264 clips encoded with the bundled ffmpeg, and the broken files uploads must refuse."""
from __future__ import annotations

import subprocess
from pathlib import Path

import imageio_ffmpeg


def encode_clip(path: Path, *, frames: int = 12, fps: str = "24", size: str = "64x48", faststart: bool = True,
                colour: str = "testsrc", timecode: str = "") -> Path:
    """An H.264 MP4 of `frames` frames at `fps` (a test pattern), GOP 2 like the review clips; `timecode`
    tags its first frame as a camera or an editor's export does."""
    args = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi",
            "-i", f"{colour}=size={size}:rate={fps}", "-frames:v", str(frames), "-c:v", "libx264",
            "-pix_fmt", "yuv420p", "-g", "2", "-r", fps]
    if faststart:
        args += ["-movflags", "+faststart"]
    if timecode:
        args += ["-timecode", timecode]
    subprocess.run([*args, str(path)], check=True, capture_output=True)
    return path


def truncate(src: Path, dest: Path, *, keep: float = 0.6) -> Path:
    data = src.read_bytes()
    dest.write_bytes(data[: int(len(data) * keep)])
    return dest


def uploaded(path: Path, name: str | None = None):
    """`path` as Django hands an upload streamed to disk to a view."""
    from django.core.files.uploadedfile import TemporaryUploadedFile

    data = path.read_bytes()
    upload = TemporaryUploadedFile(name or path.name, "video/mp4", len(data), None)
    upload.write(data)
    upload.seek(0)
    return upload
