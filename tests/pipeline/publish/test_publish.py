"""`facereplace publish` against a live review site: a synthetic shot's plate and variants, safe to rerun."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from pipeline.artifacts import write_manifest
from pipeline.errors import InputError
from pipeline.media.review import make_review_clip
from pipeline.publish.client import MultipartStream, SiteClient, SiteError
from pipeline.publish.variant import attach_metrics, variants_of
from tests.review.live import ROOT, free_port, running_site
from tests.review.media import encode_clip


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with running_site(tmp_path_factory.mktemp("site")) as live:
        live.pipeline_token = live.token("engine", "pipeline", "dance")
        yield live


def make_shot_dir(root: Path, *, name: str = "pirouette", broken: bool = False) -> Path:
    """A synthetic shot folder as the engine leaves it: shot.toml, track, camera, plate and two variants."""
    (root / "tracks").mkdir(parents=True)
    (root / "tracks" / "plate.chan").write_text("".join(f"{f} 0 0 -3 0 {f - 1001} 0\n" for f in range(1001, 1013)))
    (root / "tracks" / "camera.json").write_text(json.dumps({"focal_mm": 35, "sensor_mm": [36, 24]}))
    (root / "review").mkdir()
    plate = encode_clip(root / "review" / "plate.mp4")
    (root / "shot.toml").write_text(
        f'schema_version = 1\n[shot]\nname = "{name}"\nfirst_frame = 1001\nlast_frame = 1012\nfps = "24"\n'
        f'plate = "{plate.relative_to(root)}"\nhead_track = "tracks/plate.chan"\ncamera = "tracks/camera.json"\n')
    for label, kind, colour in (("rigid A", "rigid", "testsrc"), ("loose B", "loose", "smptebars")):
        folder = root / "review" / "variants" / kind
        folder.mkdir(parents=True)
        clip = folder / "review.mp4"
        if broken and kind == "loose":
            clip.write_text("not a video\n" * 50)
        elif kind == "rigid":  # as the engine writes it: clip, thumbnail, filmstrip and its layout
            make_review_clip(encode_clip(root / "rigid_source.mp4", colour=colour), clip, burn_in=name)
        else:
            encode_clip(clip, colour=colour)
        write_manifest(folder / "variant.json", kind="review_variant", version=1, data={
            "label": label, "variant_kind": kind, "clip": "review.mp4", "model": kind, "checkpoint": f"ckpt/{kind}.pt",
            "faceset": {"images": 420}, "performance": {"latent": kind},
            "qc": [{"frame": f, "coverage": 1.0, "anomaly": 0.01} for f in range(1001, 1013)]})
    attach_metrics(root, "rigid", {"eval": {"bins": [{"bin": "back", "frames": 3, "psnr_db": 24.5}], "all": {}}})
    return root


def publish(site, shot_dir: Path, *extra: str, token: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline.cli", "publish", str(shot_dir), "--site", site.url,
                           "--token", token or site.pipeline_token, "--project", "dance", "--sequence", "SQ010",
                           *extra], capture_output=True, text=True, cwd=ROOT, timeout=120)


def site_get(site, path: str) -> dict:
    return requests.get(f"{site.url}/api/{path}", headers={"Authorization": f"Token {site.pipeline_token}"}).json()


def test_publish_a_shot_then_rerun_safely(site, tmp_path):
    shot_dir = make_shot_dir(tmp_path / "shot")
    first = publish(site, shot_dir)
    assert first.returncode == 0, first.stderr
    assert "published: rigid A" in first.stdout and "published: loose B" in first.stdout
    assert "plate clip published" in first.stdout
    shots = site_get(site, "shots/?code=pirouette")["results"]
    assert len(shots) == 1 and shots[0]["status"] == "in_review" and shots[0]["variant_count"] == 2
    detail = site_get(site, f"shots/{shots[0]['id']}/")
    assert detail["plate"]["clip_url"].startswith("/media/")
    rigid = next(v for v in detail["variants"] if v["label"] == "rigid A")
    assert rigid["kind"] == "rigid" and rigid["checkpoint"] == "ckpt/rigid.pt" and len(rigid["qc"]) == 12
    assert rigid["metrics"]["eval"]["bins"][0] == {"bin": "back", "frames": 3, "psnr_db": 24.5}
    assert rigid["thumbnail_url"].endswith(".png") and rigid["filmstrip_url"].endswith(".png")
    assert rigid["filmstrip_layout"]["kind"] == "filmstrip" and rigid["filmstrip_layout"]["columns"] >= 1
    loose = next(v for v in detail["variants"] if v["label"] == "loose B")
    assert loose["thumbnail_url"] is None

    again = publish(site, shot_dir)
    assert again.returncode == 0, again.stderr
    assert "already there: rigid A v001" in again.stdout and "already there: loose B v001" in again.stdout
    assert site_get(site, f"shots/{shots[0]['id']}/variants/")["count"] == 2

    # the rigid variant converted again: its next version, the first one kept, the loose one unchanged
    manifest = shot_dir / "review" / "variants" / "rigid" / "variant.json"
    data = json.loads(manifest.read_text())
    data["checkpoint"] = "ckpt/rigid-2.pt"
    manifest.write_text(json.dumps(data))
    third = publish(site, shot_dir)
    assert third.returncode == 0, third.stderr
    assert "published: rigid A v002" in third.stdout and "already there: loose B v001" in third.stdout
    versions = site_get(site, f"shots/{shots[0]['id']}/variants/")["results"]
    assert sorted((v["label"], v["version"], v["checkpoint"]) for v in versions) == [
        ("loose B", 1, "ckpt/loose.pt"), ("rigid A", 1, "ckpt/rigid.pt"), ("rigid A", 2, "ckpt/rigid-2.pt")]


def test_a_broken_clip_is_refused_with_the_reason(site, tmp_path):
    shot_dir = make_shot_dir(tmp_path / "shot", name="broken", broken=True)
    result = publish(site, shot_dir)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "1 of 2 variant(s) not published" in result.stderr
    assert "loose B" in result.stderr and "not a video or image this engine can read" in result.stderr and "400" in result.stderr
    shot = site_get(site, "shots/?code=broken")["results"][0]
    assert [v["label"] for v in site_get(site, f"shots/{shot['id']}/variants/")["results"]] == ["rigid A"]


def test_a_bad_token_says_what_to_do(site, tmp_path):
    result = publish(site, make_shot_dir(tmp_path / "shot"), token="not-a-token")
    assert result.returncode == 1 and "Invalid token" in result.stderr and "--token" in result.stderr


def test_a_shot_that_differs_on_the_site_is_refused(site, tmp_path):
    shot_dir = make_shot_dir(tmp_path / "shot", name="pirouette")
    result = publish(site, shot_dir, "--code", "mismatch")
    assert result.returncode == 0, result.stderr
    toml = shot_dir / "shot.toml"
    toml.write_text(toml.read_text().replace("last_frame = 1012", "last_frame = 1020"))
    result = publish(site, shot_dir, "--code", "mismatch")
    assert result.returncode == 1 and "1001-1012" in result.stderr and "1001-1020" in result.stderr


def test_unreachable_site_is_retried_then_explained():
    waits: list[float] = []
    client = SiteClient(f"http://127.0.0.1:{free_port()}", "t", retries=3, sleep=waits.append)
    with pytest.raises(SiteError, match="cannot reach the review site .* after 4 attempt"):
        client.request("GET", "shots/")
    assert waits == [0.5, 1.0, 2.0]


def test_multipart_stream_knows_its_length(tmp_path):
    clip = tmp_path / "c.bin"
    clip.write_bytes(bytes(range(256)) * 4000)
    thumb = tmp_path / "t.png"
    thumb.write_bytes(b"\x89PNG" + b"x" * 100)
    stream = MultipartStream({"label": "a"}, {"clip": clip, "thumbnail": thumb})
    body = b"".join(iter(lambda: stream.read(7000), b""))
    assert len(body) == len(stream) and clip.read_bytes() in body and b'name="label"\r\n\r\na\r\n' in body
    assert body.endswith(f"--{stream.boundary}--\r\n".encode()) and body.count(stream.boundary.encode()) == 4


def test_bad_manifests_are_named(tmp_path):
    shot_dir = make_shot_dir(tmp_path / "shot")
    manifest = shot_dir / "review" / "variants" / "rigid" / "variant.json"
    data = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**data, "variant_kind": "wobbly"}))
    with pytest.raises(InputError, match="rigid/variant.json: 'variant_kind' is 'wobbly'"):
        variants_of(shot_dir)
    manifest.write_text(json.dumps({**data, "qc": [{"frame": 1001, "anomaly": float("nan")}]}))
    with pytest.raises(InputError, match="rigid/variant.json: its QC or metrics hold a non-finite number"):
        variants_of(shot_dir)
