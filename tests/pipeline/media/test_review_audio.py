"""Review clips keep the plate's sound: decoded again (PyAV) the clip has an AAC stream as long as its video to
within a frame, a click the plate sounds on a known frame sounds on that frame in the clip, and the video is
the same frames with the same burn-in as without sound. Variants get the plate's sound the same way."""
from __future__ import annotations

import wave
from fractions import Fraction

import av
import numpy as np
import pytest

from pipeline.errors import MediaError
from pipeline.media.audio import clip_sound_add, plate_audio
from pipeline.media.burnin import draw_frame_code, read_frame_code
from pipeline.media.image import write_image
from pipeline.media.probe import probe
from pipeline.media.review import make_review_clip

from .conftest import ffmpeg

RATE = 48000
FRAMES = 48
CLICK_INDEX = 30  # the plate's 31st frame: frame 1030 of a 1001-based shot


def write_click(path, *, seconds: float, click_at: float) -> None:
    """A quiet hum with one loud click at `click_at` seconds (16-bit PCM WAV)."""
    t = np.arange(int(seconds * RATE)) / RATE
    samples = 0.02 * np.sin(2 * np.pi * 220 * t)
    start = int(click_at * RATE)
    samples[start:start + 240] = 0.9  # 5 ms, loud: unmistakable after AAC
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes((samples * 32767).astype("<i2").tobytes())


def make_plate(folder, fps: Fraction, *, audio_delay: float = 0.0, timecode: str = ""):
    """A coded 48-frame plate (H.264 MOV) at `fps` with PCM sound that clicks when frame CLICK_INDEX starts."""
    frames = folder / "src"
    frames.mkdir()
    noise = np.random.default_rng(1).integers(0, 256, (FRAMES, 48, 64, 3), dtype=np.uint8)
    for i in range(FRAMES):
        draw_frame_code(noise[i], i)
        write_image(frames / f"src.{i:04d}.png", noise[i].astype(np.float32) / 255)
    seconds = float(FRAMES / fps) + 0.5
    write_click(folder / "click.wav", seconds=seconds, click_at=float(CLICK_INDEX / fps) - audio_delay)
    plate = folder / "plate.mov"
    ffmpeg("-framerate", f"{fps.numerator}/{fps.denominator}", "-i", str(frames / "src.%04d.png"),
           "-itsoffset", f"{audio_delay:.6f}", "-i", str(folder / "click.wav"), "-map", "0:v", "-map", "1:a",
           "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "pcm_s16le",
           *(["-timecode", timecode] if timecode else []), str(plate))
    return plate


def decode(mp4):
    """(video frames as RGB, video duration s, AAC codec name, audio samples mono float, audio start s)."""
    with av.open(str(mp4)) as container:
        video = container.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video)]
        duration = float(len(frames) / video.average_rate)
        container.seek(0)
        audio = container.streams.audio[0]
        chunks, start = [], None
        for f in container.decode(audio):
            if start is None:
                start = float(f.pts * f.time_base)
            chunks.append(f.to_ndarray().reshape(f.layout.nb_channels if f.format.is_planar else 1, -1)[0])
        return frames, duration, audio.codec_context.name, np.concatenate(chunks), start, audio.sample_rate


def click_time(samples: np.ndarray, start: float, rate: int) -> float:
    return start + int(np.argmax(np.abs(samples) > 0.5)) / rate


@pytest.mark.parametrize("fps", [Fraction(24000, 1001), Fraction(30000, 1001)], ids=["23.976", "29.97"])
@pytest.mark.parametrize("delay", [0.0, 0.25], ids=["sound-with-picture", "sound-starts-late"])
def test_a_plates_review_clip_keeps_its_sound_in_sync_and_its_frames(tmp_path, fps, delay):
    plate = make_plate(tmp_path, fps, audio_delay=delay)
    clip = make_review_clip(plate, tmp_path / "plate_review.mp4", burn_in="", first_frame=1001)
    frames, video_seconds, codec, samples, start, rate = decode(clip.mp4)
    assert codec == "aac"
    assert len(frames) == clip.frame_count == FRAMES
    assert [read_frame_code(f) for f in frames] == list(range(1001, 1001 + FRAMES))  # the burn-in, unchanged
    one_frame = float(1 / fps)
    assert abs(len(samples) / rate - video_seconds) < one_frame
    assert abs(click_time(samples, start, rate) - float(CLICK_INDEX / fps)) < one_frame


def test_a_variant_gets_the_plates_sound_and_keeps_its_video_stream_bit_for_bit(tmp_path):
    fps = Fraction(24000, 1001)
    plate = make_plate(tmp_path, fps)
    plate_review = make_review_clip(plate, tmp_path / "plate_review.mp4", burn_in="", first_frame=1001)
    variant = make_review_clip(tmp_path / "src" / "src.0000.png", tmp_path / "variant.mp4", burn_in="rigid", fps=fps)
    silent = av.open(str(variant.mp4))
    assert not silent.streams.audio
    packets = [bytes(p) for p in silent.demux(silent.streams.video[0]) if p.size]
    silent.close()
    sound = plate_audio(plate_review.mp4)
    assert sound is not None and abs(sound.offset) < 0.001
    assert clip_sound_add(variant.mp4, plate)  # as a converted variant's clip is given the plate's sound
    once = variant.mp4.read_bytes()
    assert not clip_sound_add(variant.mp4, plate) and variant.mp4.read_bytes() == once  # a rerun changes nothing
    with av.open(str(variant.mp4)) as muxed:
        assert [bytes(p) for p in muxed.demux(muxed.streams.video[0]) if p.size] == packets
    frames, video_seconds, codec, samples, start, rate = decode(variant.mp4)
    assert codec == "aac" and len(frames) == FRAMES
    assert abs(click_time(samples, start, rate) - float(CLICK_INDEX / fps)) < float(1 / fps)


def test_a_silent_plate_makes_a_silent_clip_and_asking_for_sound_that_is_not_there_is_an_error(tmp_path, videos):
    clip = make_review_clip(videos["h264"], tmp_path / "silent.mp4")
    with av.open(str(clip.mp4)) as container:
        assert not container.streams.audio
    with pytest.raises(MediaError, match="h264.mp4: has no sound"):
        make_review_clip(videos["h264"], tmp_path / "asked.mp4", audio=videos["h264"])


@pytest.mark.parametrize("sound", [True, False], ids=["with-sound", "silent"])
def test_the_plates_start_timecode_survives_into_its_review_clip(tmp_path, videos, sound):
    """The site takes a shot's start timecode from the plate clip it is sent: the review clip must carry it."""
    fps = Fraction(30000, 1001)
    if sound:
        plate = make_plate(tmp_path, fps, timecode="00:59:59;28")
    else:
        plate = tmp_path / "silent.mov"
        ffmpeg("-i", str(videos["h264"]), "-an", "-c:v", "copy", "-timecode", "01:00:00:00", str(plate))
    clip = make_review_clip(plate, tmp_path / "review.mp4", burn_in="")
    assert probe(clip.mp4)["timecode"] == ("00:59:59;28" if sound else "01:00:00:00")


def test_a_sequence_plate_gets_the_sound_of_its_separate_audio_file(tmp_path):
    """shot.toml's `audio`: an EXR/PNG plate has no sound of its own; its WAV's time 0 is the first frame."""
    fps = Fraction(24000, 1001)
    make_plate(tmp_path, fps)  # writes src/src.NNNN.png and click.wav (click on CLICK_INDEX)
    clip = make_review_clip(tmp_path / "src" / "src.%04d.png", tmp_path / "seq.mp4", burn_in="", fps=fps,
                            audio=tmp_path / "click.wav")
    frames, _, codec, samples, start, rate = decode(clip.mp4)
    assert codec == "aac" and len(frames) == FRAMES
    assert abs(click_time(samples, start, rate) - float(CLICK_INDEX / fps)) < float(1 / fps)
