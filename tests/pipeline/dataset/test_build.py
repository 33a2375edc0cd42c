from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from pipeline.dataset.build import BuildInputs, DatasetConfig, run
from pipeline.dataset.faceset import read_faceset
from pipeline.errors import InputError, MediaError
from pipeline.shot import load_shot

SMALL = DatasetConfig(size=64, landmarks=False, cg_passes=[])


def _mini_shot(tmp: Path, shot_dir: Path, sources: tuple[str, ...] = ("rig",)) -> Path:
    """A shot of the synthetic one's plate and camera with only `sources`, each clip copied so it can be damaged."""
    shot = load_shot(shot_dir)
    lines = ["schema_version = 1", "[shot]", 'name = "mini"', f"first_frame = {shot.first_frame}",
             f"last_frame = {shot.last_frame}", 'fps = "24"', f'plate = "{shot.plate}"',
             f'head_track = "{shot.head_track}"', f'camera = "{shot.camera}"', "[cameras]",
             *(f'{name} = "{path}"' for name, path in shot.cameras.items())]
    for source in shot.sources:
        if source.name not in sources:
            continue
        clip_dir = tmp / source.name
        shutil.copytree(source.clip.parent, clip_dir)
        track = tmp / source.track.name
        shutil.copy(source.track, track)
        lines += ["[[sources]]", f'name = "{source.name}"', f'identity = "{source.identity}"',
                  f'kind = "{source.kind}"', f'camera = "{source.camera}"', f'clip = "{clip_dir / source.clip.name}"',
                  f'track = "{track}"', "tags = [" + ", ".join(f'"{t}"' for t in source.tags) + "]"]
    (tmp / "shot.toml").write_text("\n".join(lines) + "\n")
    return tmp / "shot.toml"


def _files(folder: Path) -> dict[str, float]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def test_training_reads_the_faceset_and_its_cg_pairs(built):
    from pipeline.train.data import load_faceset

    data = read_faceset(built.faceset("actor"))
    faceset = load_faceset(built.faceset("actor"))
    photos = [e for e in data["crops"] if e["source"] != "cg"]
    assert faceset.identity == "actor" and faceset.size == 256
    assert len(faceset.material) == len(photos) > 100
    assert faceset.cg_pairs is not None and len(faceset.cg_pairs) == len(data["crops"]) - len(photos) > 0
    batch = faceset.material.crops.take(np.array([0, len(photos) - 1]))
    assert batch.shape == (2, 256, 256, 3) and 0.05 < batch.mean() < 0.95
    assert {s for s in data["sources"]} == {"walkthrough_main", "walkthrough_witness_left",
                                            "walkthrough_witness_right", "rig", "cg_beauty"}


def test_material_written_from_arrays_has_the_form_a_built_faceset_has(built, tmp_path):
    """One faceset format: training's test material (pipeline.dataset.faceset.write_crops) carries every field
    the dataset stage writes, so what training is tested on is what it reads in production."""
    from pipeline.dataset.faceset import write_crops

    data = read_faceset(built.faceset("actor"))
    photo = next(e for e in data["crops"] if e["source"] != "cg")
    crops = np.zeros((1, 64, 64, 3), np.float32)
    made = read_faceset(write_crops(tmp_path / "made", identity="actor", crops=crops, masks=crops[..., 0],
                                    poses=np.zeros((1, 3))).parent)
    assert set(made) == set(data) - {"config"} and set(made["crops"][0]) == set(photo)


def test_near_duplicates_are_dropped(built):
    data = read_faceset(built.faceset("actor"))
    walk = data["sources"]["walkthrough_main"]
    assert walk["duplicates"] > 0 and walk["crops"] + walk["duplicates"] == walk["frames"]
    # the walkthrough starts still: the kept crops of its first frames are a pose step apart
    kept = [e for e in data["crops"] if e["source_name"] == "walkthrough_main"]
    assert len({(round(e["yaw"], 1), round(e["pitch"], 1)) for e in kept}) == len(kept)


def test_adding_a_source_keeps_the_others_as_they_are(tmp_path, dataset_shot):
    shot_file = _mini_shot(tmp_path / "shot", dataset_shot, ("rig", "walkthrough_main"))
    shot, out = load_shot(shot_file), tmp_path / "faceset"
    first = run(SMALL, BuildInputs(shot=shot, out_dir=out, sources=("rig",)))
    assert first.added == ("rig",) and first.crops > 0
    rig_files = _files(out / "images")
    second = run(SMALL, BuildInputs(shot=shot, out_dir=out, sources=("walkthrough_main",)))
    assert second.added == ("walkthrough_main",) and second.kept == ("rig",)
    after = _files(out / "images")
    assert all(after[name] == mtime for name, mtime in rig_files.items())
    sources = {e["source_name"] for e in read_faceset(out)["crops"]}
    assert sources == {"rig", "walkthrough_main"}
    again = run(SMALL, BuildInputs(shot=shot, out_dir=out))
    assert again.added == () and set(again.kept) == {"rig", "walkthrough_main"}


@pytest.mark.parametrize("damage", ["corrupt", "empty_file", "flat"])
def test_a_damaged_frame_is_named_and_nothing_is_written(tmp_path, dataset_shot, damage):
    shot_file = _mini_shot(tmp_path / "shot", dataset_shot)
    shot = load_shot(shot_file)
    frame = shot.sources[0].clip.parent / "rig.1005.png"
    if damage == "corrupt":
        frame.write_bytes(frame.read_bytes()[:200])
    elif damage == "empty_file":
        frame.write_bytes(b"")
    else:
        from pipeline.media.image import write_image

        write_image(frame, np.zeros((256, 256, 3), np.float32))
    out = tmp_path / "faceset"
    with pytest.raises(MediaError, match=r"source rig\b.*rig\.1005\.png"):
        run(SMALL, BuildInputs(shot=shot, out_dir=out))
    assert not (out / "faceset.json").exists()
    assert not any((out / "images").iterdir()) if (out / "images").exists() else True


def test_a_failed_source_leaves_the_faceset_as_it_was(tmp_path, dataset_shot):
    shot_file = _mini_shot(tmp_path / "shot", dataset_shot, ("rig", "walkthrough_main"))
    shot, out = load_shot(shot_file), tmp_path / "faceset"
    run(SMALL, BuildInputs(shot=shot, out_dir=out, sources=("rig",)))
    manifest, files = (out / "faceset.json").read_bytes(), _files(out / "images")
    walk = next(s for s in shot.sources if s.name == "walkthrough_main")
    from pipeline.media.image import write_image

    write_image(walk.clip.parent / "walkthrough_main.1030.png", np.full((256, 256, 3), 0.5, np.float32))
    with pytest.raises(MediaError, match="walkthrough_main frame 1030: .* is empty"):
        run(SMALL, BuildInputs(shot=shot, out_dir=out))
    assert (out / "faceset.json").read_bytes() == manifest and _files(out / "images") == files


def test_a_source_without_a_track_is_an_error(tmp_path, dataset_shot):
    shot_file = _mini_shot(tmp_path / "shot", dataset_shot)
    shot = load_shot(shot_file)
    track = shot.sources[0].track
    lines = [line.split() for line in track.read_text().splitlines() if line.strip()]
    track.write_text("".join(" ".join([str(int(v[0]) + 5000), *v[1:]]) + "\n" for v in lines))
    with pytest.raises(InputError, match="rig: its track .* no frame has a head pose; track this source"):
        run(SMALL, BuildInputs(shot=shot, out_dir=tmp_path / "faceset"))
    assert not (tmp_path / "faceset" / "faceset.json").exists()


def test_unknown_source_and_identity_without_sources(tmp_path, dataset_shot):
    shot = load_shot(_mini_shot(tmp_path / "shot", dataset_shot))
    with pytest.raises(InputError, match="no actor source named nope.*known: rig"):
        run(SMALL, BuildInputs(shot=shot, out_dir=tmp_path / "f", sources=("nope",)))
    with pytest.raises(InputError, match="no dancer sources"):
        run(SMALL, BuildInputs(shot=shot, out_dir=tmp_path / "f", identity="dancer"))


def test_performance_tags_from_the_shot_toml_mark_their_frames(tmp_path, dataset_shot):
    shot_file = _mini_shot(tmp_path / "shot", dataset_shot)
    shot_file.write_text(shot_file.read_text() + '[dataset]\nsize = 64\nlandmarks = false\ncg_passes = []\n'
                         '[[dataset.tags]]\nsource = "rig"\nfirst = 1002\nlast = 1004\ntags = ["smile-closed"]\n')
    shot = load_shot(shot_file)
    run(shot.config.dataset, BuildInputs(shot=shot, out_dir=tmp_path / "faceset"))
    tags = {e["frame"]: e["tags"] for e in read_faceset(tmp_path / "faceset")["crops"]}
    assert tags[1001] == ["turntable"] and tags[1003] == ["turntable", "smile-closed"]
    assert [f for f, t in tags.items() if "smile-closed" in t] == [1002, 1003, 1004]


def test_rebuilding_one_source_keeps_the_others_and_a_new_size_needs_a_full_rebuild(tmp_path, dataset_shot):
    import dataclasses

    shot_file = _mini_shot(tmp_path / "shot", dataset_shot, ("rig", "walkthrough_main"))
    shot, out = load_shot(shot_file), tmp_path / "faceset"
    run(SMALL, BuildInputs(shot=shot, out_dir=out))
    again = run(SMALL, BuildInputs(shot=shot, out_dir=out, sources=("rig",), rebuild=True))
    assert again.added == ("rig",) and again.kept == ("walkthrough_main",)
    assert {e["source_name"] for e in read_faceset(out)["crops"]} == {"rig", "walkthrough_main"}
    bigger = dataclasses.replace(SMALL, size=96)
    with pytest.raises(InputError, match="64px crops .* asks for 96px"):
        run(bigger, BuildInputs(shot=shot, out_dir=out, sources=("rig",), rebuild=True))
    assert run(bigger, BuildInputs(shot=shot, out_dir=out, rebuild=True)).crops > 0
    assert read_faceset(out)["size"] == 96 and len(list((out / "images").iterdir())) == 2


def _partners(crops: list[dict]) -> list[tuple[dict, dict]]:
    by_id = {e["id"]: e for e in crops}
    return [(e, by_id[e["pair_of"]]) for e in crops if e["source"] == "cg"]


def _brightness_gap(pairs: list[tuple[dict, dict]]) -> float:
    return float(np.median([abs(cg["descriptors"]["brightness"] - photo["descriptors"]["brightness"])
                            for cg, photo in pairs]))


def test_each_cg_crop_pairs_with_the_actor_at_the_same_moment_of_her_synced_walkthrough(built, dataset_shot):
    import dataclasses

    from pipeline.dataset.build import _pair_cg
    from pipeline.dataset.descriptors import face_direction

    shot = load_shot(dataset_shot)
    walk = next(s for s in shot.sources if s.name == "walkthrough_main")
    pairs = _partners(read_faceset(built.faceset("actor"))["crops"])
    assert len(pairs) > 10
    for cg, photo in pairs:
        # the main camera's view of the moment the pass shows (a witness sees it as another pose)
        assert photo["source_name"] == "walkthrough_main", (cg["id"], photo["id"])
        assert abs(walk.sync.plate_time(photo["frame"]) - cg["frame"]) <= 1.0, (cg["id"], photo["id"])
        angle = np.degrees(np.arccos(np.clip(face_direction(cg["yaw"], cg["pitch"]) @
                                             face_direction(photo["yaw"], photo["pitch"]), -1, 1)))
        assert angle <= 20.0, (cg["id"], photo["id"], angle)
    # without the sync, pairing falls back to the nearest pose anywhere in her material: partners lit for other
    # places on the stage, which is what the sync spares the cg model from learning
    unsynced = dataclasses.replace(shot, sources=tuple(dataclasses.replace(s, sync=None) for s in shot.sources))
    crops = [dict(e) for e in read_faceset(built.faceset("actor"))["crops"]]
    by_pose = _partners(_pair_cg(crops, unsynced))
    assert len(by_pose) == len(pairs)
    assert {photo["source_name"] for _, photo in by_pose} != {"walkthrough_main"}
    assert _brightness_gap(pairs) < _brightness_gap(by_pose)
