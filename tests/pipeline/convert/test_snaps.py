"""A snapping (rigid) variant's actor frame chosen over neighbouring plate frames: two about equally near actor
frames no longer alternate frame to frame, a clear change still comes through, a frame never takes an actor frame
it may not, and a shot converted in chunks chooses as the whole shot does."""
from __future__ import annotations

import dataclasses

import numpy as np

from pipeline.convert import ConvertConfig, ConvertInputs, VariantConfig, read_converted, run
from pipeline.convert.converted import ActorFrame
from pipeline.convert.snaps import windowed_snaps
from pipeline.convert.swapper import Swapped, TrainedSwapper
from tests.pipeline.convert.conftest import IdentitySwapper


def _rows(pairs: list[tuple[float, float]], first: int = 1001) -> dict[int, np.ndarray]:
    return {first + i: np.array(row, np.float64) for i, row in enumerate(pairs)}


def test_two_about_equally_near_actor_frames_do_not_alternate():
    # frame by frame the nearest flips between latent 0 and 1 every frame (a pop each time); over a window latent 0
    # is the nearer one
    flipping = _rows([(1.00, 1.03) if i % 2 else (1.02, 1.00) for i in range(12)])
    assert len(set(np.argmin(r) for r in flipping.values())) == 2
    assert set(windowed_snaps(flipping, 3).values()) == {0}
    assert windowed_snaps(flipping, 0) == {f: int(np.argmin(r)) for f, r in flipping.items()}


def test_a_clear_change_of_expression_still_comes_through():
    rows = _rows([(1.0, 2.0)] * 10 + [(2.0, 1.0)] * 10)
    chosen = windowed_snaps(rows, 4)
    assert [chosen[f] for f in sorted(chosen)] == [0] * 10 + [1] * 10  # switches where the averages cross


def test_a_frame_never_takes_an_actor_frame_it_may_not():
    # latent 1 is the nearer over the window but ruled out on frame 1005 (beyond its pose limit): 1005 takes 0
    rows = _rows([(1.5, 1.0)] * 10)
    rows[1005] = np.array([1.5, np.inf])
    chosen = windowed_snaps(rows, 3)
    assert chosen[1005] == 0 and all(c == 1 for f, c in chosen.items() if f != 1005)
    assert windowed_snaps({1001: np.array([np.inf, np.inf])}, 3) == {1001: 0}  # nothing allowed: as the model does


class AlternatingSnapper(IdentitySwapper):
    """A snapping model's stand-in: two actor frames whose latent distances alternate frame by frame (per frame the
    nearest flips every frame) while the second grows nearer over the shot and overtakes the first about 1034."""

    snaps = True

    @staticmethod
    def row(frame: int) -> np.ndarray:
        return np.array([1.0 + 0.03 * (frame % 2), 1.0 + 0.004 * (1034 - frame) + 0.03 * ((frame + 1) % 2)])

    def snap_distances(self, crops, frames, poses=None, mouths=None):
        return np.stack([self.row(f) for f in frames]), np.zeros(len(frames), bool)

    def swap(self, crops, frames, poses=None, snap_to=None):
        rgb, mask = self(crops, frames)
        chosen = [int(np.argmin(self.row(f))) if s is None else s
                  for f, s in zip(frames, snap_to or [None] * len(frames))]
        return Swapped(rgb=rgb, mask=mask, actor_frames=[ActorFrame(f"walk_{c}", "walk", 1001 + c, "fit_set")
                                                         for c in chosen])


def test_a_shot_converted_in_chunks_snaps_as_the_whole_shot(identity_shot, tmp_path):
    """Each chunk reads snap_window frames past its edges, so a worker converting frames 1033-1048 chooses as a
    run converting all 48 does: from its own frames alone, 1033 would have taken the second actor frame."""
    from pipeline.convert.stage import join_converted

    config = ConvertConfig(motion_blur=False, review_clip=False, snap_window=8)

    def convert(out: str, frames=None, window: int = 8) -> dict[int, str]:
        run(dataclasses.replace(config, snap_window=window),
            ConvertInputs(shot=identity_shot, framing=identity_shot.config.stabilize, frames=frames,
                          variant=VariantConfig(name="rigid", model="rigid"), swapper=AlternatingSnapper(),
                          out_dir=tmp_path / out))
        return {r.frame: r.actor_frame.bank_id for r in read_converted(tmp_path / out).frames if r.swapped}

    whole = convert("whole")
    order = [whole[f] for f in sorted(whole)]
    assert len(order) == 48 and order[0] == "walk_0" and order[-1] == "walk_1"
    assert sum(a != b for a, b in zip(order, order[1:])) == 1  # one change, where the second overtakes
    alone = convert("alone", window=0)
    # frame by frame: a pop on every frame around the crossing
    assert sum(a != b for a, b in zip(list(alone.values()), list(alone.values())[1:])) >= 10
    truncated = windowed_snaps({f: AlternatingSnapper.row(f) for f in range(1033, 1049)}, 8)
    assert truncated[1033] == 1  # what chunk 1033-1048 would choose without the frames before it
    for frames in ((1001, 1016), (1017, 1032), (1033, 1048)):
        run(config, ConvertInputs(shot=identity_shot, framing=identity_shot.config.stabilize, frames=frames,
                                  variant=VariantConfig(name="rigid", model="rigid"), swapper=AlternatingSnapper(),
                                  out_dir=tmp_path / f"chunk{frames[0]}"))
    join_converted([tmp_path / f"chunk{f}" for f in (1001, 1017, 1033)], tmp_path / "joined")
    joined = {r.frame: r.actor_frame.bank_id for r in read_converted(tmp_path / "joined").frames if r.swapped}
    assert joined == whole


def test_a_trained_rigid_model_converts_with_its_snaps_chosen_over_a_window(identity_shot, snapping_checkpoint,
                                                                          tmp_path):
    """The real model path (latent distances from the encoder, the chosen latent decoded): every frame swapped,
    each with the actor frame it took, and the progress bar never stalls or goes back."""
    seen: list[tuple[float, str]] = []
    run(ConvertConfig(motion_blur=False, review_clip=False, snap_window=8),
        ConvertInputs(shot=identity_shot, framing=identity_shot.config.stabilize,
                      variant=VariantConfig(name="rigid", model="rigid"),
                      swapper=TrainedSwapper(snapping_checkpoint, device="cpu"), out_dir=tmp_path / "rigid"),
        progress=lambda fraction, message: seen.append((fraction, message)))
    records = read_converted(tmp_path / "rigid").frames
    assert all(r.swapped and r.actor_frame.source == "walk" for r in records) and len(records) == 48
    assert all(a <= b for a, b in zip([f for f, _ in seen], [f for f, _ in seen][1:])) and seen[-1][0] == 1.0


def test_each_plate_frame_is_read_once_and_the_frames_past_a_chunk_count_on_its_bar(identity_shot, tmp_path,
                                                                                   monkeypatch):
    """Choosing over the window reads ahead of conversion, and conversion takes those frames rather than decoding
    them again; a chunk reads the window's frames past its edges, each a step of its progress bar before its own."""
    from pipeline.media.clip import Clip

    reads: list[int] = []
    original = Clip.read
    monkeypatch.setattr(Clip, "read", lambda self, frame, **kw: reads.append(frame) or original(self, frame, **kw))

    def convert(out: str, frames=None) -> list[tuple[float, str]]:
        seen: list[tuple[float, str]] = []
        run(ConvertConfig(motion_blur=False, review_clip=False, snap_window=8, batch_size=4),
            ConvertInputs(shot=identity_shot, framing=identity_shot.config.stabilize, frames=frames,
                          variant=VariantConfig(name="rigid", model="rigid"), swapper=AlternatingSnapper(),
                          out_dir=tmp_path / out), progress=lambda fraction, message: seen.append((fraction, message)))
        return seen

    convert("whole")
    plate_reads = [f for f in reads if 1001 <= f <= 1048]
    assert sorted(plate_reads) == list(range(1001, 1049))  # each once
    reads.clear()
    seen = convert("middle", frames=(1017, 1032))
    assert sorted(reads) == list(range(1009, 1041))  # its own 16 and 8 each side, each once
    past = [f for f, m in seen if "actor frames" in m]
    assert len(past) == 16 and all(0.0 < f < 1.0 for f in past)
    assert all(a <= b for a, b in zip([f for f, _ in seen], [f for f, _ in seen][1:])) and seen[-1][0] == 1.0


def test_the_mouth_decides_by_the_windows_majority_not_frame_by_frame():
    """A plate mouth wavering about where the second actor frame's mouth tolerance begins lets it in on one frame
    in three: frame by frame the choice would flip with it; over the window it keeps the first until the second
    matches on most of its frames, then takes it, and a frame never takes a latent its pose rules out."""
    rows = _rows([(1.0, 0.9)] * 20)  # the second actor frame is the nearer latent throughout
    wavering = {f: np.array([True, f % 3 == 0 or f >= 1013]) for f in rows}  # one frame in three, then every one
    chosen = windowed_snaps(rows, 3, wavering)
    assert [chosen[f] for f in sorted(chosen)] == [0] * 10 + [1] * 10  # one change, once most frames match
    frame_by_frame = list(windowed_snaps(rows, 0, wavering).values())
    assert sum(a != b for a, b in zip(frame_by_frame, frame_by_frame[1:])) >= 6
    rows[1015] = np.array([1.0, np.inf])  # beyond the pose limit on 1015: never taken there, whatever the mouths
    assert windowed_snaps(rows, 3, wavering)[1015] == 0
    nowhere = {f: np.array([False, False]) for f in rows}  # no mouth matches at all: the distances alone decide
    assert set(windowed_snaps(_rows([(1.0, 0.9)] * 5), 2, nowhere).values()) == {1}
