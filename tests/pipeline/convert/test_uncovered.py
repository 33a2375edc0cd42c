"""Coverage-aware conversion on the pirouette with the actor's material withheld beyond ±45° of yaw: the frames
farther than the limit keep the plate (flagged, recorded, summarised with what to shoot), or get the swap or the
CG head when the shot asks; and a snapping model never takes an actor frame farther than the limit."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from pipeline.convert.coverage import Nearest, capture_advice, missing_views, yaw_arc
from pipeline.convert.qc import pose_distance
from tests.pipeline.convert.conftest import IdentitySwapper, shot_with

FRONT = 45.0  # the withheld material: the actor was only filmed within ±45° of yaw
NAMES = {"plate": "keep_plate", "swap": "swap_anyway", "cg": "cg_head"}  # a variant per [convert] uncovered policy


@pytest.fixture(scope="module")
def frontal_shot(pirouette_shot, tmp_path_factory):
    """The pirouette with a faceset of frontal poses only (yaw -45..45) as the actor's material."""
    from pipeline.dataset.faceset import write_crops

    folder = tmp_path_factory.mktemp("uncovered")
    yaw = np.arange(-FRONT, FRONT + 1, 5.0)
    poses = np.stack([yaw, np.zeros_like(yaw), np.zeros_like(yaw)], axis=1)
    write_crops(folder / "frontal", identity="actor", crops=np.full((len(yaw), 8, 8, 3), 0.5, np.float32),
                poses=poses)
    variants = "".join(f'\n[[variants]]\nname = "{NAMES[p]}"\nmodel = "identity"\nfaceset = "{folder / "frontal"}"\n'
                       for p in NAMES)
    return shot_with(pirouette_shot, folder / "shot", "[convert]\nmotion_blur = false\nreview_clip = false\n"
                     + variants)


@pytest.fixture(scope="module")
def converted_under(frontal_shot):
    from pipeline.convert import ConvertInputs, run
    from pipeline.convert.converted import read_converted

    made = {}
    for policy in ("plate", "swap", "cg"):
        config = dataclasses.replace(frontal_shot.config.convert, uncovered=policy)
        out = frontal_shot.root / "convert" / NAMES[policy]
        run(config, ConvertInputs(shot=frontal_shot, variant=frontal_shot.variant(NAMES[policy]),
                                  swapper=IdentitySwapper(),
                                  framing=frontal_shot.config.stabilize, out_dir=out))
        made[policy] = read_converted(out)
    return made


def _expected_uncovered(data, limit):
    ypr = np.array([r.yaw_pitch_roll for r in data.frames])
    training = np.stack([np.arange(-FRONT, FRONT + 1, 5.0), *np.zeros((2, 19))], axis=1)
    return {r.frame for r, d in zip(data.frames, pose_distance(ypr, training)) if d > limit}


def _beyond_hysteresis(data, config):
    """The frames so far past the limit that no run of swapped frames can hold them."""
    return _expected_uncovered(data, config.coverage_limit_deg + config.coverage_hysteresis_deg)


def test_by_default_frames_beyond_the_limit_keep_the_plate_flagged_and_summarised(frontal_shot, converted_under):
    from pipeline.media.clip import open_clip
    from pipeline.media.image import read_image

    data = converted_under["plate"]
    limit = frontal_shot.config.convert.coverage_limit_deg
    expected = {r.frame for r in data.frames if r.uncovered}
    assert 10 <= len(expected) <= len(data.frames) - 10  # two turns: the back half of each is beyond reach
    # every frame beyond the limit and its hysteresis keeps the plate, and none within the limit does
    assert _beyond_hysteresis(data, frontal_shot.config.convert) <= expected <= _expected_uncovered(data, limit)
    assert all(r.status == "uncovered" and r.uncovered == "plate" for r in data.frames if r.frame in expected)
    assert all(r.swapped for r in data.frames if r.frame not in expected)
    qc = {q.frame: q for q in data.qc}
    assert all(qc[f].flagged and qc[f].uncovered == "plate" and qc[f].pose_distance > limit for f in expected)
    with open_clip(frontal_shot.plate, fps=frontal_shot.fps) as clip:  # the plate itself, to the bit
        for frame in sorted(expected)[:3]:
            comp = read_image(data.folder / (data["comp"] % frame))
            np.testing.assert_allclose(comp[..., :3], clip.read(frame)[..., :3], atol=1 / 255)
    summary = data["coverage"]
    assert summary["policy"] == "plate" and summary["limit_deg"] == limit
    assert set(summary["uncovered_frames"]) == expected
    listed = {f for view in summary["missing"] for f in range(view["frames"][0], view["frames"][1] + 1)}
    assert listed == expected
    back = [v for v in summary["missing"] if "back of the head" in v["capture"]]
    assert back and all(v["yaw_deg"][0] < 180 < v["yaw_deg"][1] or v["yaw_deg"][1] < -90 or v["yaw_deg"][0] > 90
                        for v in back), summary["missing"]
    # ... and what the actor was filmed at nearest each gap: the edge of her ±45° material, level
    assert all(abs(abs(v["nearest_deg"][0]) - FRONT) < 1e-6 and v["nearest_deg"][1] == 0.0
               and f"nearest it is at yaw {v['nearest_deg'][0]:.0f}°, pitch 0°)" in v["text"]
               for v in summary["missing"]), summary["missing"]


def test_swap_and_cg_policies_give_those_frames_an_output_still_flagged(frontal_shot, converted_under):
    plate = {r.frame for r in converted_under["plate"].frames if r.uncovered}
    for policy in ("swap", "cg"):
        data = converted_under[policy]
        got = {r.frame: r for r in data.frames}
        assert all(got[f].swapped and got[f].uncovered == policy for f in plate), policy
        assert all(q.flagged for q in data.qc if q.frame in plate)
        assert set(data.swap_weights.values()) == {1.0}  # every frame shows its whole swap (no dissolve)
    assert {converted_under["plate"].swap_weights[f] for f in plate} == {0.0}
    # the CG fill is the actor's CG head, not the plate's dancer: it differs from the identity swap there
    from pipeline.media.image import read_image

    frame = sorted(plate)[len(plate) // 2]
    swap = read_image(converted_under["swap"].folder / (converted_under["swap"]["comp"] % frame))
    cg = read_image(converted_under["cg"].folder / (converted_under["cg"]["comp"] % frame))
    assert np.abs(swap - cg).mean() > 0.01


def test_unknown_policy_is_refused_naming_the_choices():
    from pipeline.convert.config import ConvertConfig

    with pytest.raises(ValueError, match="plate, swap, cg"):
        ConvertConfig(uncovered="blur")


def test_the_summary_names_the_views_to_shoot():
    assert yaw_arc(np.array([120.0, 170.0, -170.0, -120.0])) == (120.0, 240.0)
    assert yaw_arc(np.array([-20.0, 10.0])) == (-20.0, 10.0)
    assert capture_advice(180.0, 0.0) == "shoot the back of the head"
    # positive pitch tips the nose down (pipeline.geometry)
    assert capture_advice(-80.0, 40.0) == "shoot the head in profile, looking down"
    assert capture_advice(10.0, -40.0) == "shoot the face from the front, looking up"
    frames = np.arange(1001, 1011)
    ypr = np.stack([np.linspace(100, 260, 10), np.zeros(10), np.zeros(10)], axis=1)
    views = missing_views(frames, ypr, np.array([0, 0, 1, 1, 1, 1, 1, 1, 0, 1], bool))
    assert [v.frames for v in views] == [(1003, 1008), (1010, 1010)]
    assert views[0].text.startswith("frames 1003-1008: yaw 136°–224°: shoot the back of the head")
    assert views[0].nearest_deg is None


def test_the_summary_says_what_the_actor_material_holds_nearest_a_gap():
    """The real talking clip's gap: a level, frontal plate, and the actor's only frontal camera 31° below his face.
    The TD is told to film it level, not just "from the front", which he had."""
    assert capture_advice(3.0, -1.0, Nearest((3.0, -1.0), (-11.0, -31.0))) == (
        "shoot the face from the front, level with the face (the actor's material nearest it is at yaw -11°, "
        "pitch -31°, seen from 30° below)")
    assert capture_advice(0.0, 5.0, Nearest((0.0, 5.0), (2.0, 30.0))).endswith("pitch 30°, seen from 25° above)")
    # a gap of yaw is said by the view to shoot; the material's pose is named, no camera height
    assert capture_advice(180.0, 0.0, Nearest((180.0, 0.0), (45.0, -5.0))) == (
        "shoot the back of the head (the actor's material nearest it is at yaw 45°, pitch -5°)")
    assert capture_advice(-170.0, 0.0, Nearest((-170.0, 0.0), (190.0, 0.0))).endswith("at yaw -170°, pitch 0°)")  # -180..180
    # the camera height is read at the run's most frontal frame, against that frame's own pitch: the 360° turn's
    # last run starts three-quarter and level (7°) and is tipped 30° by the back of the head, where the material
    # nearest its start is level too (-4°)
    turn = capture_advice(np.array([-47.0, -60.0, -150.0, -240.0]), 30.0, Nearest((-47.0, 7.0), (-48.0, -4.0)))
    assert turn == ("shoot three-quarter views, the head in profile and the back of the head (the actor's material "
                    "nearest it is at yaw -48°, pitch -4°)")
    frames = np.arange(1001, 1007)
    ypr = np.stack([[6.0, -2.0, 4.0, 8.0, 0.0, 0.0], np.zeros(6), np.zeros(6)], axis=1)
    nearest = np.stack([np.full(6, -11.0), np.linspace(-30, -33, 6)], axis=1)
    views = missing_views(frames, ypr, np.array([1, 1, 1, 1, 0, 0], bool), nearest)
    assert views[0].nearest_deg == pytest.approx((-11.0, -30.6))  # at the run's most frontal frame, 1002
    assert views[0].text == ("frames 1001-1004: yaw -2°–8°: shoot the face from the front, level with the face (the "
                             "actor's material nearest it is at yaw -11°, pitch -31°, seen from 31° below)")


def test_a_run_through_a_turn_asks_for_every_view_it_passes_in_order():
    """A run from a profile through the back of the head into three-quarter views (as the real 360° turn's last
    frames) asks for all three, not for the back alone; a yaw wavering about 30° for a frame or two adds nothing."""
    sweep = np.linspace(119.0, 330.0, 40)
    assert capture_advice(sweep, 0.0) == "shoot three-quarter views, the head in profile and the back of the head"
    wavering = np.array([20.0, 25.0, 31.0, 28.0, 22.0, 18.0, 31.0, 24.0, 20.0, 16.0, 12.0, 10.0])
    assert capture_advice(wavering, 0.0) == "shoot the face from the front"
    assert capture_advice(np.array([29.0, 31.0]), 40.0) == "shoot the face from the front and three-quarter views, looking down"


def test_a_snapping_model_never_takes_an_actor_frame_beyond_the_limit(snapping_checkpoint):
    from pipeline.convert.swapper import TrainedSwapper

    swapper = TrainedSwapper(snapping_checkpoint, performance=0.0, device="cpu")
    ids = swapper.trained.bank.ids
    # the bank's six latents: the first three filmed frontal, the last three in profile
    swapper.limit_snaps({i: (0.0 if n < 3 else 90.0, 0.0, 0.0) for n, i in enumerate(ids)}, 30.0)
    crops = np.random.default_rng(3).uniform(0, 1, (8, 64, 64, 3)).astype(np.float32)
    frontal = swapper.swap(crops, poses=np.zeros((8, 3))).actor_frames
    profile = swapper.swap(crops, poses=np.tile([[85.0, 0.0, 0.0]], (8, 1))).actor_frames
    assert {a.bank_id for a in frontal} <= set(ids[:3])
    assert {a.bank_id for a in profile} <= set(ids[3:])


def test_a_turn_the_track_only_filled_keeps_the_plate_where_a_bounded_gap_is_swapped(frontal_shot, tmp_path):
    """The real 360 turn's defect: past the face mesh's reach the tracker fills the pose, short of the turn (it
    read -54° of yaw with the head in profile), inside the actor material's reach, and a frontal face was pasted
    over the profile. Here the pirouette's first turn past 50° of yaw is filled with the last measured pose (a
    fill that stalls) and a two-frame gap in its frontal part is filled between covered measured frames."""
    from pipeline.convert import ConvertInputs, run
    from pipeline.convert.converted import read_converted
    from pipeline.track.headtrack import write_track
    from pipeline.track.load import load_head_track

    shot = frontal_shot
    track = load_head_track(shot.head_track, intrinsics=shot.camera, rotation_order=shot.rotation_order)
    limit = shot.config.convert.coverage_limit_deg
    training = np.stack([np.arange(-FRONT, FRONT + 1, 5.0), *np.zeros((2, 19))], axis=1)
    far = pose_distance(track.view_yaw_pitch_roll(), training) > limit
    turned = np.abs(track.view_yaw_pitch_roll()[:, 0]) > 50.0
    start = int(np.argmax(turned & ~far))  # the head turns past 50°, still covered
    stop = start + int(np.argmax(far[start:])) + 2  # ... until two frames after it is beyond the material's reach
    gap = slice(1, 3) if not (turned[:4] | far[:4]).any() else None
    assert gap is not None and stop - start >= 3
    status = np.array(track.status, dtype=object)
    status[start:stop] = "filled"
    status[gap] = "filled"
    rotation, translation = track.rotation.copy(), track.translation.copy()
    rotation[start:stop], translation[start:stop] = track.rotation[start - 1], track.translation[start - 1]
    stalled = dataclasses.replace(track, rotation=rotation, translation=translation, status=status,
                                  confidence=np.where(status == "filled", 0.3, 1.0))
    write_track(tmp_path / "stalled.json", stalled)
    text = (shot.root / "shot.toml").read_text()
    head = next(line for line in text.splitlines() if line.startswith("head_track = "))
    (tmp_path / "shot").mkdir()
    (tmp_path / "shot" / "shot.toml").write_text(text.replace(head, f'head_track = "{tmp_path / "stalled.json"}"'))
    from pipeline.shot import load_shot

    stalled_shot = load_shot(tmp_path / "shot")
    # the stalled fill reads as covered: its distance alone would swap those frames
    filled_far = pose_distance(stalled.view_yaw_pitch_roll()[start:stop], training)
    assert (filled_far <= limit).all()
    out = tmp_path / "convert"
    run(shot.config.convert, ConvertInputs(shot=stalled_shot, variant=stalled_shot.variant(NAMES["plate"]),
                                           swapper=IdentitySwapper(), framing=stalled_shot.config.stabilize,
                                           out_dir=out))
    data = read_converted(out)
    got = {r.frame: r for r in data.frames}
    extrapolated = [int(f) for f in track.frames[start:stop]]
    assert all(got[f].status == "uncovered" and got[f].uncovered == "plate" for f in extrapolated)
    assert set(extrapolated) <= set(data["coverage"]["uncovered_frames"])
    assert all(got[int(f)].swapped for f in track.frames[gap])  # interpolated between covered views: swapped


def test_a_pose_wavering_about_the_limit_does_not_switch_the_swap_on_and_off():
    """The real talking clip sat at 28-31° from the actor's material: frame by frame the swap dropped out for two
    frames at a time. A short drop-out a little past the limit is swapped, a flash of swap among plate frames is
    not made, a pose that stays past the limit keeps the plate, and a guessed pose is never swapped."""
    from pipeline.convert.coverage import steady_uncovered

    def steady(distance, guessed=None, **kw):
        guessed = np.zeros(len(distance), bool) if guessed is None else np.asarray(guessed, bool)
        settings = {"limit_deg": 30.0, "hysteresis_deg": 5.0, "min_run": 3, **kw}
        return steady_uncovered(np.array(distance, np.float64), guessed, **settings).astype(int).tolist()

    assert steady([28, 29, 31, 32, 29, 28]) == [0, 0, 0, 0, 0, 0]  # wavering: swapped throughout
    assert steady([28, 29, 31, 32, 29, 28], hysteresis_deg=0.0, min_run=1) == [0, 0, 1, 1, 0, 0]  # frame by frame
    assert steady([40, 40, 29, 40, 40, 40]) == [1, 1, 1, 1, 1, 1]  # a one-frame swap between plate frames: plate
    assert steady([29, 29]) == [0, 0]  # a short shot wholly covered keeps its swap
    assert steady([33, 34, 33]) == [1, 1, 1]  # past the limit and never within it: nothing holds them
    assert steady([28] * 3 + [31] * 3 + [28] * 3) == [0] * 3 + [1] * 3 + [0] * 3  # past it for a while: the plate
    assert steady([28, 28, 28, 36, 28, 28, 28]) == [0, 0, 0, 1, 0, 0, 0]  # past the hysteresis: the plate
    assert steady([20] * 5, guessed=[0, 1, 0, 0, 0]) == [1, 1, 0, 0, 0]  # a guessed pose, and the flash before it
    assert steady([np.nan, 20, 20]) == [0, 0, 0]  # no distance known: not found uncovered


def test_the_swap_dissolves_in_from_the_plate_and_out_to_it():
    from pipeline.convert.coverage import fade_weights

    uncovered = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], bool)
    np.testing.assert_allclose(fade_weights(uncovered, 4), [0, 0, .2, .4, .6, .8, 1, .8, .6, .4, .2, 0])
    np.testing.assert_allclose(fade_weights(uncovered, 0), (~uncovered).astype(float))  # a cut
    np.testing.assert_allclose(fade_weights(np.zeros(5, bool), 4), np.ones(5))  # nothing uncovered: all swap


def test_next_to_the_plate_a_frame_shows_part_of_the_swap(frontal_shot, tmp_path):
    """A swap painted white: the first frame after a kept plate run shows only part of it, where a cut
    ([convert] coverage_fade = 0) shows all of it on the same frame."""
    from pipeline.convert import ConvertInputs, run
    from pipeline.convert.converted import read_converted
    from pipeline.media.clip import open_clip
    from pipeline.media.image import read_image

    def convert(fade):
        config = dataclasses.replace(frontal_shot.config.convert, coverage_fade=fade)
        run(config, ConvertInputs(shot=frontal_shot, variant=frontal_shot.variant(NAMES["plate"]),
                                  swapper=IdentitySwapper(gain=(0.0, 0.0, 0.0), lift=1.0),
                                  framing=frontal_shot.config.stabilize, out_dir=tmp_path / f"fade{fade}"))
        return read_converted(tmp_path / f"fade{fade}")

    dissolved, cut = convert(4), convert(0)
    plate = [r.uncovered is not None for r in dissolved.frames]
    first = next(i for i in range(1, len(plate)) if plate[i - 1] and not plate[i])  # a swap begins after the plate
    assert not any(plate[first:first + 6])  # ... and lasts past its dissolve
    frame = dissolved.frames[first].frame
    with open_clip(frontal_shot.plate, fps=frontal_shot.fps) as clip:
        plate_rgb = clip.read(frame)[..., :3]

    def whitening_of(data, at):
        with open_clip(frontal_shot.plate, fps=frontal_shot.fps) as clip:
            under = clip.read(at)[..., :3]
        return float(np.abs(read_image(data.folder / (data["comp"] % at))[..., :3] - under).sum())

    def whitening(data):
        return float(np.abs(read_image(data.folder / (data["comp"] % frame))[..., :3] - plate_rgb).sum())

    assert 0.05 * whitening(cut) < whitening(dissolved) < 0.6 * whitening(cut)
    # the variant's record says how much of the swap that frame and its neighbours show, as the comp shows it
    weights, after = dissolved.swap_weights, [r.frame for r in dissolved.frames[first:first + 4]]
    assert [weights[f] for f in after] == pytest.approx([.2, .4, .6, .8])
    assert weights[dissolved.frames[first - 1].frame] == 0.0
    shown = [whitening_of(dissolved, f) / whitening_of(cut, f) for f in after]
    assert shown == sorted(shown)  # the comp shows more of the swap from frame to frame, as the weights rise
    assert np.abs(np.array(shown) - [weights[f] for f in after]).max() < 0.2  # (blended in linear light)
    assert set(cut.swap_weights.values()) <= {0.0, 1.0}  # a cut: all or nothing


def test_a_shot_whose_material_was_filmed_from_below_is_told_to_film_it_level(pirouette_shot, tmp_path):
    """The pirouette's level head against an actor filmed only by a camera 35° below her face, measured by the
    dataset's coverage stage (the variant's `coverage`, as `facereplace run` sets it): the summary asks for her
    face level and says why. Where that faceset is no longer on the machine, the gap is still listed, unexplained."""
    import shutil

    from pipeline.convert import ConvertInputs, run
    from pipeline.convert.converted import read_converted
    from pipeline.dataset import coverage
    from pipeline.dataset.faceset import write_crops
    from pipeline.track.load import load_head_track

    yaw = np.arange(-FRONT, FRONT + 1, 5.0)
    write_crops(tmp_path / "below", identity="actor", crops=np.full((len(yaw), 8, 8, 3), 0.5, np.float32),
                poses=np.stack([yaw, np.full_like(yaw, -35.0), np.zeros_like(yaw)], axis=1))
    base = shot_with(pirouette_shot, tmp_path / "base")
    track = load_head_track(base.head_track, intrinsics=base.camera, rotation_order=base.rotation_order)
    ypr = track.view_yaw_pitch_roll()
    coverage.run(tmp_path / "below", track.frames, ypr[:, 0], ypr[:, 1], tmp_path / "coverage", threshold_deg=15.0)
    shot = shot_with(pirouette_shot, tmp_path / "shot", "[convert]\nmotion_blur = false\nreview_clip = false\n"
                     f'\n[[variants]]\nname = "v"\nmodel = "identity"\ncoverage = "{tmp_path / "coverage"}"\n')

    def missing(out: str) -> list[dict]:
        run(shot.config.convert, ConvertInputs(shot=shot, variant=shot.variant("v"), swapper=IdentitySwapper(),
                                               framing=shot.config.stabilize, out_dir=shot.root / out))
        return read_converted(shot.root / out)["coverage"]["missing"]

    told = missing("told")
    # two whole turns, every frame uncovered: one run, every view it turns through, filmed level
    assert [v["frames"] for v in told] == [[1001, 1048]], told
    assert told[0]["capture"].startswith("shoot the face from the front, three-quarter views, the head in profile and "
                                         "the back of the head, level with the face (the actor's material nearest it "
                                         "is at yaw 0°, pitch -35°, seen from 3"), told
    assert told[0]["nearest_deg"] == [0.0, -35.0] and told[0]["text"].endswith("° below)")
    shutil.rmtree(tmp_path / "below")
    gone = missing("untold")
    assert [v["frames"] for v in gone] == [v["frames"] for v in told]
    assert all(v["nearest_deg"] is None and "nearest" not in v["text"] for v in gone), gone
