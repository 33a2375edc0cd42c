"""What the schema promises about requests and answers, held by the API: refusals are JSON and name the problem,
lists are pages, duplicates are conflicts, and JSON values must have the type the schema says."""
from __future__ import annotations

import pytest

from review.models import Sequence
from tests.review.factories import ShotFactory


@pytest.mark.parametrize("page_size", ["abc", "0", "501", "-3", "2.5"])
def test_a_page_size_the_schema_refuses_is_a_400_naming_it(world, page_size):
    response = world.client("producer").get(f"/api/shots/?page_size={page_size}")
    assert response.status_code == 400
    assert response.json() == {"page_size": [f"{page_size!r} is not a page size: give a whole number from 1 to 500"]}


def test_every_list_is_a_page_the_jobs_list_too(world):
    for n in range(3):
        ShotFactory(sequence=world.sequence, code=f"SH{900 + n}")
    client = world.client("supervisor")
    page = client.get("/api/shots/?page_size=2").json()
    assert page["count"] == 4 and len(page["results"]) == 2 and page["next"]
    jobs = client.get(f"/api/shots/{world.shot.id}/jobs/").json()
    assert jobs == {"count": 0, "next": None, "previous": None, "results": []}


def test_an_address_no_operation_has_is_a_json_404(world):
    client = world.client("supervisor")
    for path in ("/api/shots/abc/", "/api/shots/-1/notes/", f"/api/shots/{'9' * 20}/", "/api/nothing/"):
        response = client.post(path, {}, format="json")
        assert response.status_code == 404 and response["Content-Type"] == "application/json", path
        assert response.json() == {"detail": f"no API endpoint {path}; see /api/docs/"}


def test_a_sequence_or_shot_that_exists_already_is_a_409(world):
    client = world.client("producer")
    again = client.post("/api/sequences/", {"project": "dance", "code": "SQ010"}, format="json")
    assert again.status_code == 409 and again.json()["detail"] == "sequence dance/SQ010 exists already"
    shot = client.post("/api/shots/", {"project": "dance", "sequence": "SQ010", "code": "SH010"}, format="json")
    assert shot.status_code == 409 and shot.json()["detail"] == "shot dance/SQ010/SH010 exists already"
    assert Sequence.objects.filter(code="SQ010").count() == 1


def test_a_project_not_yours_and_one_that_does_not_exist_answer_alike(world):
    client = world.client("outsider")
    mine_not = client.post("/api/sequences/", {"project": "dance", "code": "SQ030"}, format="json")
    nowhere = client.post("/api/sequences/", {"project": "nowhere", "code": "SQ030"}, format="json")
    assert (mine_not.status_code, nowhere.status_code) == (404, 404)
    assert mine_not.json()["detail"] == "no project 'dance' among yours"


@pytest.mark.parametrize("body, field, error", [
    ({"project": "dance", "code": "SQ040", "name": 0}, "name", "expected a string"),
    ({"project": "dance", "code": 40}, "code", "expected a string"),
])
def test_json_values_of_another_type_than_the_schema_says_are_refused(world, body, field, error):
    response = world.client("producer").post("/api/sequences/", body, format="json")
    assert response.status_code == 400 and response.json() == {field: [error]}
    assert not Sequence.objects.filter(code__in=["SQ040", "40"]).exists()


def test_an_edit_needs_segments_and_a_reply_needs_words(world):
    client = world.client("supervisor")
    empty = client.post(f"/api/shots/{world.shot.id}/edits/", {"segments": []}, format="json")
    assert empty.status_code == 400 and empty.json() == {"segments": ["an edit needs at least one segment"]}
    note = client.post(f"/api/shots/{world.shot.id}/notes/", {"frame_start": 1001, "text": "chin"}, format="json")
    blank = client.post(f"/api/notes/{note.json()['id']}/replies/", {"text": "   "}, format="json")
    assert blank.status_code == 400 and "blank" in blank.json()["text"][0]


@pytest.mark.parametrize("value, status", [("true", 200), ("false", 200), ("no", 400), ("1", 400), ("", 400)])
def test_overdue_is_true_or_false(world, value, status):
    response = world.client("producer").get(f"/api/shots/?overdue={value}")
    assert response.status_code == status, response.json()
