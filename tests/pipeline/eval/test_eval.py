"""eval against the synthetic truth: the truth scores perfectly, the dancer's plate scores as the dancer,
frames without output lower the share, every output kind (plate frames, a converted variant, a model's crops,
a stabilize manifest's crops) is scored, the files read back, and bad input is refused by name."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pipeline.errors import InputError
from pipeline.eval import (BIN_NAMES, EvalConfig, EvalInputs, ModelCrops, PlateSequence, StabilizedCrops,
                           converted_variant, read_eval, run, yaw_bin, yaw_bin_table)
from pipeline.shot import load_shot


def untrained_checkpoint(folder: Path) -> Path:
    """A real `loose` network at 64² with its initial weights, saved as training saves it (fast to make)."""
    from pipeline.models import create_model
    from pipeline.train.checkpoint import save_checkpoint

    model = create_model("loose", size=64, width=8, latent_dim=16)
    return save_checkpoint(folder, {"variant": "loose", "stage": "fit", "step": 0, "complete": True,
                                    "model": model.spec, "config": {}, "manifest_hash": "f00d", "facesets": {},
                                    "metrics": {"losses": []}, "model_state": model.state_dict()})


@pytest.fixture(scope="module")
def shot(pirouette_shot):
    return load_shot(pirouette_shot)


@pytest.fixture(scope="module")
def baselines(shot, tmp_path_factory):
    """The truth itself and the untouched plate, scored in plate space (one run, shared), with and without the
    truth (pipeline.eval.truthfree: tests/pipeline/eval/test_truthfree.py checks those)."""
    truth = PlateSequence("truth", shot.truth.rigid)
    plate = PlateSequence("plate", shot.plate)
    loose = PlateSequence("loose_truth", shot.truth.loose)  # the actor with the dancer's expressions
    return run(EvalConfig(), EvalInputs(shot=shot, variants=[truth, plate, loose],
                                        out_dir=tmp_path_factory.mktemp("eval") / "out"))


def test_the_truth_against_itself_scores_perfectly(baselines):
    table = yaw_bin_table(baselines.manifest.parent, "truth")
    for row in [*table["bins"], table["all"]]:
        assert row["share"] == 1.0
        assert row["psnr_db"] >= 99.0 and row["ssim"] == pytest.approx(1.0, abs=1e-9)
        assert row["identity_margin"] == pytest.approx(1.0) and row["flicker"] == pytest.approx(0.0)
    assert table["all"]["adherence_actor"] == pytest.approx(1.0)
    assert table["all"]["adherence_dancer"] == pytest.approx(0.0)
    assert table["all"]["mouth_corr_actor"] == pytest.approx(1.0)


def test_the_dancers_plate_is_the_dancer_in_identity_and_performance(baselines):
    row = yaw_bin_table(baselines.manifest.parent, "plate")["all"]
    assert row["identity_margin"] < -0.5
    assert row["psnr_db"] < 30.0 and row["ssim"] < 0.9
    assert row["adherence_dancer"] > row["adherence_actor"], row
    # the measure the brief names: the dancer's plate correlates with the dancer's performance
    # and not with the actor's line, said on her own timing
    assert row["mouth_corr_dancer"] > 0.3 and row["mouth_corr_actor"] < 0.1
    assert row["flicker"] > 0.0


def test_performance_adherence_tells_the_actors_expressions_from_the_dancers(baselines):
    rigid = yaw_bin_table(baselines.manifest.parent, "truth")["all"]
    loose = yaw_bin_table(baselines.manifest.parent, "loose_truth")["all"]
    assert loose["adherence_dancer"] == pytest.approx(1.0) and loose["adherence_actor"] == pytest.approx(0.0)
    assert rigid["adherence_actor"] > loose["adherence_actor"]
    assert rigid["mouth_corr_actor"] > loose["mouth_corr_actor"] + 0.5
    # same face, other expressions: much nearer the actor's truth than the dancer's plate, but not exact
    assert 0.3 < loose["identity_margin"] < 1.0 and loose["psnr_db"] < 60.0


def test_yaw_bins_put_the_back_of_the_head_in_back(baselines, shot):
    assert [yaw_bin(y) for y in (0, -29.9, 30, -59, 60, 119.9, -120.5, 180, 181, -200, 330)] == [
        "frontal", "frontal", "three_quarter", "three_quarter", "profile", "profile", "back", "back", "back",
        "back", "three_quarter"]
    truth = {r["frame"]: r for r in json.loads(shot.truth.pose.read_text())["frames"]}
    frames = baselines.variants["plate"]["frames"]
    back = [f["frame"] for f in frames if f["bin"] == "back"]
    assert back and all(abs(((truth[f]["yaw"] + 180) % 360) - 180) > 120 for f in back)
    rows = {r["bin"]: r for r in baselines.variants["plate"]["bins"]}
    assert list(rows) == list(BIN_NAMES) and sum(r["frames"] for r in rows.values()) == len(shot.frames)
    assert rows["back"]["adherence_actor"] is None  # no mouth to read from behind


def test_files_are_written_and_the_json_reads_back(baselines):
    out = baselines.manifest.parent
    data = read_eval(out)
    assert (data["kind"], data["schema_version"], data["mode"]) == ("eval", 2, "truth")
    assert [v["name"] for v in data["variants"]] == ["truth", "plate", "loose_truth"]
    assert data["variants"][1]["bins"] == baselines.variants["plate"]["bins"]
    text = (out / "eval.md").read_text()
    assert "## plate" in text and "| back |" in text and "PSNR dB" in text
    for name in ("psnr.png", "bins.png", "mouth.png"):
        assert (out / "plots" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    site = yaw_bin_table(data, "plate")
    assert json.loads(json.dumps(site)) == site and [r["bin"] for r in site["bins"]] == list(BIN_NAMES)


def test_frames_without_output_lower_the_share(shot, tmp_path):
    frames = list(shot.frames)
    kept = frozenset(frames[::2])
    result = run(EvalConfig(plots=False, truth_free=False), EvalInputs(shot=shot, variants=[
        PlateSequence("half", shot.truth.rigid, frames=kept)], out_dir=tmp_path / "out"))
    row = result.variants["half"]["all"]
    assert row["with_output"] == len(kept) and row["share"] == pytest.approx(len(kept) / len(frames))
    assert row["psnr_db"] >= 99.0  # what is there is still the truth
    assert row["flicker"] is None  # no two consecutive frames to compare


def test_a_converted_variant_is_scored_in_plate_space(shot, tmp_path):
    """A conversion that leaves the head as it was (a model returning its input) scores as the plate."""
    from pipeline.convert import ConvertConfig, ConvertInputs, run as convert
    from tests.pipeline.convert.conftest import IdentitySwapper, shot_with

    shot2 = shot_with(shot.root, tmp_path / "shot", '[[variants]]\nname = "same"\nmodel = "identity"\n')
    convert(ConvertConfig(motion_blur=False, review_clip=False), ConvertInputs(
        shot=shot2, framing=shot2.config.stabilize, variant=shot2.variant("same"), swapper=IdentitySwapper(64),
        out_dir=shot2.root / "convert" / "same"))
    variant = converted_variant(shot2.root / "convert" / "same")
    result = run(EvalConfig(plots=False, truth_free=False), EvalInputs(shot=shot2, variants=[variant],
                                                                       out_dir=tmp_path / "out"))
    row = result.variants["same"]["all"]
    assert row["share"] == 1.0 and row["identity_margin"] < -0.5
    assert result.variants["same"]["record"]["model"] == "identity"


def test_a_models_crops_are_scored_against_the_truth_cut_the_same_way(shot, tmp_path):
    from pipeline.convert import TrainedSwapper
    from pipeline.stabilize import StabilizeConfig, StabilizeInputs, run as stabilize
    from pipeline.track.load import load_head_track

    untrained_checkpoint(tmp_path / "ckpt")
    track = load_head_track(shot.head_track, intrinsics=shot.camera, rotation_order=shot.rotation_order)
    # the truth stabilized with the plate's track: crops of the truth, so they score perfectly in crop space
    truth_crops = stabilize(StabilizeConfig(size=64), StabilizeInputs(plate=shot.truth.rigid, track=track, fps="24",
                                                                      out_dir=tmp_path / "stab"))
    variants = [ModelCrops("loose", TrainedSwapper(tmp_path / "ckpt", device="cpu")),
                ModelCrops("loose_by_manifest", TrainedSwapper(tmp_path / "ckpt", device="cpu"),
                           stabilize=truth_crops.manifest),
                StabilizedCrops("truth_crops", truth_crops.manifest)]
    result = run(EvalConfig(plots=False), EvalInputs(shot=shot, variants=variants, out_dir=tmp_path / "out"))
    untrained, by_manifest = result.variants["loose"]["all"], result.variants["loose_by_manifest"]["all"]
    assert untrained["share"] == 1.0 and untrained["psnr_db"] < 30.0
    assert by_manifest["psnr_db"] == pytest.approx(untrained["psnr_db"], abs=0.5)  # same framing, same crops
    perfect = result.variants["truth_crops"]["all"]
    # the truth's crops, stored as 8-bit PNG: only quantisation (about 59 dB) separates them from the truth
    assert perfect["share"] == 1.0 and perfect["psnr_db"] > 50.0 and perfect["ssim"] > 0.999
    assert result.variants["loose"]["record"]["input"] == "crops"


def test_bad_input_is_refused_by_name(shot, pirouette_shot, tmp_path):
    from tests.pipeline.convert.conftest import IdentitySwapper, shot_with

    text = (pirouette_shot / "shot.toml").read_text()
    no_truth = shot_with(pirouette_shot, tmp_path / "no_truth")
    (no_truth.root / "shot.toml").write_text(
        (no_truth.root / "shot.toml").read_text().split("[truth]")[0])
    bare = load_shot(no_truth.root)
    assert "[truth]" in text and bare.truth is None
    with pytest.raises(InputError, match=r"no \[truth\] table; score converted variants instead \(drop --crops\)"):
        run(EvalConfig(), EvalInputs(shot=bare, variants=[ModelCrops("m", IdentitySwapper(64))],
                                     out_dir=tmp_path / "a"))
    with pytest.raises(InputError, match="'empty' has no output on any of the plate's frames"):
        run(EvalConfig(truth_free=False), EvalInputs(shot=shot, variants=[
            PlateSequence("empty", tmp_path / "none.%04d.png")], out_dir=tmp_path / "b"))
    assert not (tmp_path / "b").exists()  # nothing half-written
    with pytest.raises(InputError, match="no converted variant here"):
        converted_variant(tmp_path / "nowhere")


def test_cli_scores_baselines_and_names_missing_variants(pirouette_shot, tmp_path, capsys):
    from pipeline.cli import main

    assert main(["eval", str(pirouette_shot), "--variant", "rigid", "--out", str(tmp_path / "x")]) == 1
    assert "no converted variant here" in capsys.readouterr().err
    assert main(["eval", str(pirouette_shot), "--crops", "--variant", "tight", "--out", str(tmp_path / "x")]) == 1
    assert "no [[variants]] table named 'tight'" in capsys.readouterr().err


def test_cli_scores_a_variants_model_on_crops(shot, tmp_path, capsys):
    from pipeline.cli import main
    from pipeline.eval import read_eval
    from tests.pipeline.convert.conftest import shot_with

    untrained_checkpoint(tmp_path / "ckpt")
    ckpt = tmp_path / "ckpt"
    shot2 = shot_with(shot.root, tmp_path / "shot", f'[[variants]]\nname = "loose_a"\nmodel = "loose"\n'
                                                    f'checkpoint = "{ckpt}"\n\n[[variants]]\nname = "from_cg"\n'
                                                    f'model = "loose"\ninput = "cg"\ncheckpoint = "{ckpt}"\n')
    assert main(["eval", str(shot2.root), "--crops", "--variant", "loose_a", "--variant", "from_cg",
                 "--baselines", "--no-truth-free"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert list(printed["variants"]) == ["loose_a", "from_cg", "truth", "plate"]
    data = read_eval(shot2.root / "eval")
    assert data["variants"][0]["record"]["model"] == "loose" and data["variants"][0]["all"]["share"] == 1.0
    # the CG variant's network is fed the CG render's first lighting pass, on every frame
    assert data["variants"][1]["all"]["share"] == 1.0
    assert (data["variants"][0]["record"]["model_input"], data["variants"][1]["record"]["model_input"]) == (
        "plate", "cg beauty")
    assert main(["eval", str(shot2.root), "--stabilize", "x.json"]) == 1
    assert "--stabilize cuts crops for --crops" in capsys.readouterr().err
