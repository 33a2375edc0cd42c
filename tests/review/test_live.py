"""Against a real server (uvicorn, file SQLite): two decisions on one edit at the same moment, one wins."""
from __future__ import annotations

import threading

import pytest
import requests

from tests.review.live import running_site
from tests.review.media import encode_clip


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with running_site(tmp_path_factory.mktemp("site")) as live:
        yield live


def test_concurrent_decisions_exactly_one_wins(site, tmp_path):
    pipeline = {"Authorization": f"Token {site.token('bot', 'pipeline', 'race')}"}
    supervisor = {"Authorization": f"Token {site.token('sam', 'supervisor', 'race')}"}
    api = site.url + "/api/"
    shot = requests.post(api + "shots/", json={"project": "race", "sequence": "SQ1", "code": "SH1",
                                               "frame_start": 1001, "frame_end": 1012}, headers=pipeline).json()
    clip = encode_clip(tmp_path / "v.mp4")
    with clip.open("rb") as f:
        variant = requests.post(api + f"shots/{shot['id']}/variants/", data={"kind": "rigid", "label": "A"},
                                files={"clip": f}, headers=pipeline)
    assert variant.status_code == 201, variant.text
    edit = requests.post(api + f"shots/{shot['id']}/edits/", headers=supervisor, json={
        "segments": [{"variant": variant.json()["id"], "frame_start": 1001, "frame_end": 1012}]}).json()

    barrier = threading.Barrier(2)
    answers: list[requests.Response] = []

    def decide(verdict: str) -> None:
        barrier.wait()
        answers.append(requests.post(api + f"edits/{edit['id']}/decisions/", json={"decision": verdict},
                                     headers=supervisor, timeout=30))

    threads = [threading.Thread(target=decide, args=(v,)) for v in ("approve", "request_changes")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
    loser = next(a for a in answers if a.status_code == 409)
    assert "decided" in loser.json()["detail"]
    detail = requests.get(api + f"shots/{shot['id']}/", headers=supervisor).json()
    winner = next(a for a in answers if a.status_code == 201).json()["decision"]
    assert detail["status"] == {"approve": "approved", "request_changes": "changes_requested"}[winner]
    assert detail["edit"]["decision"]["decision"] == winner
