from __future__ import annotations

import json

import cv2
import pytest

from pipeline.dataset import rules
from pipeline.dataset.descriptors import DESCRIPTORS
from pipeline.dataset.faceset import read_faceset
from pipeline.errors import InputError


def test_an_unknown_descriptor_is_an_error_listing_the_known_ones():
    with pytest.raises(InputError, match="unknown descriptor 'smile'") as info:
        rules.parse_rules([{"drop": "smile > 0.5"}])
    assert all(name in str(info.value) for name in DESCRIPTORS)


@pytest.mark.parametrize("rule, message", [
    ({"drop": "mouth_open"}, "mouth_open is a number; compare it"),
    ({"drop": "mouth_open >> 2"}, "cannot read"),
    ({"drop": "teeth_visible", "keep": "sharpness > 1"}, "exactly one of"),
    ({"keep_tag": ""}, "takes a tag name"),
    ({"dorp": "teeth_visible"}, "exactly one of"),
])
def test_rule_mistakes_say_what_to_write(rule, message):
    with pytest.raises(InputError, match=message):
        rules.parse_rules([rule])


def test_the_rules_remove_the_toothy_frames_and_keep_the_serious_ones_with_her_line(built, truth_of, tmp_path):
    out = rules.run([{"drop": "teeth_visible"}, {"drop": "mouth_open > 0.5", "name": "open mouths"}],
                    built.faceset("actor"), tmp_path / "kept")
    before = [e for e in read_faceset(built.faceset("actor"))["crops"] if e["source"] != "cg"]
    kept = {e["id"] for e in read_faceset(tmp_path / "kept")["crops"]}
    toothy = [e for e in before if truth_of(e)["teeth_visible"] and e["descriptors"]["mouth_visible"]]
    assert toothy and not any(e["id"] in kept for e in toothy)
    serious = [e for e in before if "serious" in e["tags"]]
    assert len(serious) > 100 and all(e["id"] in kept for e in serious)
    # what each rule removed, in JSON and Markdown, and a contact sheet of them
    report = json.loads(out.report.read_text())
    assert report["kind"] == "faceset_rules" and report["kept"] == out.kept == len(
        [e for e in read_faceset(tmp_path / "kept")["crops"] if e["source"] != "cg"])
    removed = [i for r in report["rules"] for i in r["removed"]]
    assert len(removed) == len(before) - out.kept and report["rules"][0]["unmeasured"] > 0
    markdown = out.markdown.read_text()
    assert "| 1 | `drop teeth_visible` |" in markdown and "open mouths" in markdown
    sheet = cv2.imread(str(out.sheet))
    assert sheet.shape[0] >= 64 * len(out.removed["drop teeth_visible"]) // rules.SHEET_COLUMNS


def test_keep_tag_keeps_only_tagged_crops_and_cg_follows_its_pair(built, tmp_path):
    rules.run([{"keep_tag": "serious"}], built.faceset("actor"), tmp_path / "kept")
    crops = read_faceset(tmp_path / "kept")["crops"]
    photos = [e for e in crops if e["source"] != "cg"]
    assert photos and all(e["source"] == "walkthrough" for e in photos)
    ids = {e["id"] for e in photos}
    assert all(e["pair_of"] in ids for e in crops if e["source"] == "cg")


def test_the_pruned_faceset_reads_as_a_faceset_for_training(built, tmp_path):
    from pipeline.train.data import load_faceset

    out = rules.run([{"drop": "yaw > 90"}], built.faceset("actor"), tmp_path / "kept")
    assert len(load_faceset(tmp_path / "kept").material) == out.kept
