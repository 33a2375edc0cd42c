"""`make demo` in quick mode: the engine on a tiny synthetic shot, then the site set up and the shot published."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from review.management.health import wait_until_healthy
from tests.review.live import free_port, stop
from tests.timing import patience

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("demo")
    # the demo's shots where the site looks for engine folders (ENGINE_ROOT/project/sequence/shot), as make demo
    env = {**os.environ, "FACEREPLACE_HOME": str(work / "home"), "DJANGO_SETTINGS_MODULE": "facereplace_site.settings",
           "FACEREPLACE_ENGINE_ROOT": str(work / "engine")}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    project = work / "engine" / "demo" / "SQ010"

    def run(*args: str) -> subprocess.CompletedProcess:
        result = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                                timeout=patience(600))
        assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
        return result

    engine = run("-m", "pipeline.cli", "demo", str(project), "--quick")
    run("manage.py", "migrate", "--noinput")
    port = str(free_port())
    first = run("manage.py", "demo_site", str(project), "--no-serve", "--port", port)
    second = run("manage.py", "demo_site", str(project), "--no-serve", "--port", port)
    return engine, first, second, env, project


def test_engine_cuts_a_crop_for_every_frame_back_of_head_included(demo_run):
    engine = demo_run[0]
    assert "pirouette: 24 head crops (0 frames without a crop)" in engine.stdout
    assert "variants ready to publish: rigid, loose, cg" in engine.stdout


def test_every_plate_frame_has_an_output_back_of_the_head_included(demo_run):
    import json

    project = demo_run[4]
    for variant in ("rigid", "loose", "cg"):
        published = json.loads((project / "pirouette" / "review" / "variants" / variant / "variant.json").read_text())
        table = published["metrics"]["eval"]
        bins = {row["bin"]: row for row in table["bins"]}
        assert bins["back"]["frames"] > 0 and bins["profile"]["frames"] > 0, bins
        assert all(row["share"] == 1.0 for row in bins.values() if row["frames"]), (variant, bins)
        assert table["all"]["frames"] == 24 and table["all"]["share"] == 1.0


def test_shots_are_published_with_demo_accounts_printed(demo_run):
    first = demo_run[1]
    assert "published pirouette: plate yes, 3 variant(s) (3 new)" in first.stdout
    for role, password in (("supervisor", "supervisor-demo"), ("artist", "artist-demo"), ("producer", "producer-demo")):
        assert role in first.stdout and password in first.stdout


def test_a_second_demo_reuses_what_is_done(demo_run):
    engine_again = subprocess.run([sys.executable, "-m", "pipeline.cli", "demo", str(demo_run[4]), "--quick"],
                                  cwd=ROOT, env=demo_run[3], capture_output=True, text=True,
                                  timeout=patience(120))
    assert engine_again.returncode == 0
    assert "reusing" in engine_again.stderr and "done in" not in engine_again.stderr
    second = demo_run[2]
    assert "published pirouette" in second.stdout and "(0 new)" in second.stdout


def test_demo_accounts_can_sign_in(demo_run):
    env = demo_run[3]
    code = ("import django; django.setup(); from django.contrib.auth import authenticate; "
            "print(all(authenticate(username=u, password=u + '-demo') for u in ('supervisor', 'artist', 'producer')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_the_supervisor_approves_and_the_final_comp_renders(demo_run):
    """The rest of the demo's story: approve a two-variant pick through the API, the worker renders the real
    comp from the engine's converted variants, the shot goes final."""
    import time

    import requests

    env, project = demo_run[3], demo_run[4]
    token = subprocess.run([sys.executable, "manage.py", "review_user", "supervisor", "--role", "supervisor",
                            "--project", "demo", "--token"], cwd=ROOT, env=env, capture_output=True, text=True,
                           check=True).stdout.strip()
    port = free_port()
    site = subprocess.Popen([sys.executable, "manage.py", "serve", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    api, auth = f"http://127.0.0.1:{port}/api", {"Authorization": f"Token {token}"}
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", process=site, timeout=patience(60), what="manage.py serve")
        shot = requests.get(f"{api}/shots/?code=pirouette", headers=auth).json()["results"][0]
        variants = {v["label"]: v["id"] for v in requests.get(f"{api}/shots/{shot['id']}/", headers=auth).json()["variants"]}
        edit = requests.post(f"{api}/shots/{shot['id']}/edits/", headers=auth, json={"segments": [
            {"variant": variants["rigid"], "frame_start": 1001, "frame_end": 1012},
            {"variant": variants["cg"], "frame_start": 1013, "frame_end": 1024, "transition": 4}]}).json()
        decision = requests.post(f"{api}/edits/{edit['id']}/decisions/", headers=auth, json={"decision": "approve"})
        assert decision.status_code == 201, decision.text
        deadline = time.monotonic() + patience(240)
        while time.monotonic() < deadline:
            detail = requests.get(f"{api}/shots/{shot['id']}/", headers=auth).json()
            if detail["status"] == "final":
                break
            time.sleep(1)
        assert detail["status"] == "final", detail["renders"]
        render = detail["renders"][0]
        assert render["state"] == "done" and render["output_url"].endswith(".mp4")
        assert "comp.nk" in render["log"] and "edit.otio" in render["log"]  # the engine's comp, not a preview
        rendered = project / "pirouette" / "renders"
        assert len(list(rendered.glob("*/comp/comp.*.exr"))) == 24
    finally:
        stop(site)
