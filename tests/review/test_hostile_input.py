"""Hostile input gets a 400 that names the problem, never a 500 or a silent wrong answer (issue 28, finding 6):
filters that cannot mean anything, ids past the database's range, drawings nested 100,000 deep or with points
that are not numbers, and `?overdue=no` meaning no."""
from __future__ import annotations

import html
import json
from datetime import date, timedelta
from urllib.parse import unquote

import pytest

from review.choices import ShotStatus
from review.models import Note
from tests.review.factories import ShotFactory

TWENTY_DIGITS = "9" * 20


@pytest.fixture
def late_world(world):
    """The world's shot (not due) and a late one."""
    ShotFactory(sequence=world.sequence, code="SH020", status=ShotStatus.IN_REVIEW,
                due_date=date.today() - timedelta(days=2))
    return world


@pytest.mark.parametrize("query, names", [
    ("sequence=%C2%B2", "sequence '²' is not a sequence id (up to 18 digits) or code"),
    ("assignee=%C2%B2", "assignee '²' is not a user id (up to 18 digits) or user name"),
    (f"sequence={TWENTY_DIGITS}", f"sequence '{TWENTY_DIGITS}' is not a sequence id (up to 18 digits)"),
    (f"assignee={TWENTY_DIGITS}", f"assignee '{TWENTY_DIGITS}' is not a user id (up to 18 digits)"),
    ("sequence=../..", "sequence '../..' is not a sequence id (up to 18 digits) or code"),
    ("status=bogus", "status 'bogus' is not a shot status"),
    ("overdue=maybe", "overdue 'maybe' is neither yes nor no"),
    ("project=%3Cscript%3E", "project '<script>' is not a project code"),
])
def test_filters_that_mean_nothing_are_400_naming_the_filter(client, late_world, query, names):
    api = late_world.client("producer").get(f"/api/shots/?{query}")
    name, value = query.split("=")
    body = json.dumps(api.json(), ensure_ascii=False)
    assert api.status_code == 400 and name in body and unquote(value) in body, body  # the filter and its value
    client.force_login(late_world.users["producer"])
    board = client.get(f"/?{query}")
    assert board.status_code == 400 and names in html.unescape(board.content.decode())
    assert "SH020" in board.content.decode()  # the whole board, unfiltered, under the message
    csv = client.get(f"/board.csv?{query}")
    assert csv.status_code == 400 and names in csv.content.decode()


@pytest.mark.parametrize("no", ["no", "0", "false", "off"])
def test_overdue_no_means_no(client, late_world, no):
    api = late_world.client("producer")
    assert sorted(s["code"] for s in api.get(f"/api/shots/?overdue={no}").json()["results"]) == ["SH010", "SH020"]
    client.force_login(late_world.users["producer"])
    rows = client.get(f"/board.csv?overdue={no}").content.decode().splitlines()
    assert len(rows) == 3  # the header and both shots


@pytest.mark.parametrize("yes", ["yes", "1", "true", "on"])
def test_overdue_yes_means_yes(client, late_world, yes):
    api = late_world.client("producer")
    assert [s["code"] for s in api.get(f"/api/shots/?overdue={yes}").json()["results"]] == ["SH020"]
    client.force_login(late_world.users["producer"])
    assert len(client.get(f"/board.csv?overdue={yes}").content.decode().splitlines()) == 2


def test_ids_past_the_database_range_are_404_not_500(client, world):
    api = world.client("supervisor")
    for url in (f"/api/shots/{TWENTY_DIGITS}/", f"/api/variants/{TWENTY_DIGITS}/", f"/api/jobs/{TWENTY_DIGITS}/retry/"):
        response = api.post(url) if url.endswith("retry/") else api.get(url)
        assert response.status_code == 404, (url, response.content)
    client.force_login(world.users["supervisor"])
    assert client.get(f"/shots/{TWENTY_DIGITS}/").status_code == 404


def _note(client, shot, drawing, *, multipart: bool):
    if multipart:
        return client.post(f"/api/shots/{shot.id}/notes/", {"frame_start": 1001, "text": "x", "drawing": drawing},
                           format="multipart")
    body = '{"frame_start": 1001, "text": "x", "drawing": ' + drawing + "}"
    return client.generic("POST", f"/api/shots/{shot.id}/notes/", body, content_type="application/json")


@pytest.mark.parametrize("multipart", [False, True], ids=["json", "multipart"])
def test_a_drawing_nested_100000_deep_is_400(world, multipart):
    deep = '{"strokes": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = _note(world.client("artist"), world.shot, deep, multipart=multipart)
    assert response.status_code == 400 and "nested too deeply" in response.content.decode()
    assert not Note.objects.exists()


@pytest.mark.parametrize("drawing, names", [
    ({"strokes": [{"points": [["a", None]]}]}, "a point is [x, y], two numbers"),
    ({"strokes": [{"points": [[0.5, 0.5, 0.5]]}]}, "a point is [x, y]"),
    ({"strokes": [{"points": [[True, 0.5]]}]}, "a point is [x, y]"),
    ({"strokes": [{"points": [[0.1, 0.2]], "color": {"nested": ["x"]}}]}, "'color' must be a text or a number"),
    ({"strokes": [{"points": [[0.1, 0.2]] * 60_000}, {"points": [[0.3, 0.4]] * 60_000}]}, "120000 points"),
    ({"strokes": [], "script": "x"}, "a drawing is"),
])
def test_drawings_that_are_not_strokes_of_numbers_are_400(world, drawing, names):
    response = world.client("artist").post(f"/api/shots/{world.shot.id}/notes/",
                                           {"frame_start": 1001, "text": "x", "drawing": drawing}, format="json")
    assert response.status_code == 400 and names in response.json()["detail"], response.content
    assert not Note.objects.exists()


@pytest.mark.parametrize("multipart, names", [(False, "not JSON compliant: 'NaN'"), (True, "must be valid JSON")],
                         ids=["json", "multipart"])
def test_not_a_number_points_are_400(world, multipart, names):
    drawing = '{"strokes": [{"points": [[NaN, Infinity]]}]}'
    response = _note(world.client("artist"), world.shot, drawing, multipart=multipart)
    assert response.status_code == 400 and names in response.content.decode() and not Note.objects.exists()


def test_the_players_drawing_is_still_accepted(world):
    drawing = {"version": 1, "strokes": [{"tool": "text", "color": "#ff0000", "width": 0.004,
                                          "points": [[0.1, 0.2], [0.3, 0.4]], "text": "jaw"}]}
    response = world.client("artist").post(f"/api/shots/{world.shot.id}/notes/",
                                           {"frame_start": 1001, "text": "x", "drawing": json.dumps(drawing)},
                                           format="multipart")
    assert response.status_code == 201 and response.json()["drawing"] == drawing
