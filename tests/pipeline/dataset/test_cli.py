from __future__ import annotations

import json

import pytest

from pipeline.cli import main


@pytest.mark.parametrize("step", ["build", "rules", "fit", "coverage"])
def test_every_step_has_help(step, capsys):
    with pytest.raises(SystemExit) as info:
        main(["dataset", step, "--help"])
    assert info.value.code == 0 and "shot" in capsys.readouterr().out


def test_rules_fit_and_coverage_from_the_shot_toml(built, shot_variant, tmp_path, capsys):
    shot = shot_variant('[dataset]\nrules = [{drop = "teeth_visible"}]\ncoverage_deg = 20\n[fit]\nsize = 50\n')
    out = tmp_path / "dataset"
    assert main(["dataset", "rules", str(shot), "--faceset", str(built.faceset("actor")), "--out", str(out)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["removed"]["drop teeth_visible"] > 0 and (out / "actor_kept" / "removed.png").is_file()
    assert main(["dataset", "fit", str(shot), "--out", str(out)]) == 0  # reads actor_kept by default
    assert json.loads((out / "fit" / "fit_report.json").read_text())["selected"] == 50
    assert main(["dataset", "coverage", str(shot), "--out", str(out)]) == 0
    assert json.loads((out / "coverage" / "coverage.json").read_text())["threshold_deg"] == 20


def test_bad_rules_and_unfillable_fit_sets_are_clear_errors(built, shot_variant, tmp_path, capsys):
    shot = shot_variant('[dataset]\nrules = [{drop = "grin > 1"}]\n')
    out = tmp_path / "dataset"
    assert main(["dataset", "rules", str(shot), "--faceset", str(built.faceset("actor")), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "unknown descriptor 'grin'" in err and "teeth_visible" in err and "mouth_open" in err
    assert not (out / "actor_kept").exists()
    assert main(["dataset", "fit", str(shot), "--faceset", str(built.faceset("actor")), "--out", str(out),
                 "--size", "99999"]) == 1
    assert "cannot be filled" in capsys.readouterr().err and not (out / "fit").exists()


def test_build_then_the_whole_stage_reuses_what_is_built(shot_variant, tmp_path, capsys):
    from pipeline.dataset.shot import run_shot
    from pipeline.shot import load_shot

    shot = shot_variant("[dataset]\nsize = 64\nlandmarks = false\ncg_passes = []\n")
    out = tmp_path / "dataset"
    assert main(["dataset", "build", str(shot), "--identity", "dancer", "--out", str(out)]) == 0
    assert json.loads(capsys.readouterr().out)["added"] == ["plate"]
    plate_files = sorted(p.name for p in (out / "dancer" / "images").iterdir())
    paths = run_shot(load_shot(shot).with_settings(fit={"size": 30}), out=out)
    assert sorted(p.name for p in (out / "dancer" / "images").iterdir()) == plate_files  # reused, not redone
    assert json.loads((paths.fit / "fit_report.json").read_text())["selected"] == 30
    assert (paths.coverage / "coverage.png").is_file() and (paths.kept / "rules_report.md").is_file()
