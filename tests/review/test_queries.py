"""No N+1: the board and the shot API make the same, small number of queries however much a shot holds."""
from __future__ import annotations

from django.db import connection
from rest_framework.test import APIClient
from django.test.utils import CaptureQueriesContext

from review.models import FrameFix, Note, Shot
from tests.review.factories import EditFactory, NoteFactory, ShotFactory, UserFactory, VariantFactory


def fill(world, shots: int, *, per_shot: int, first: int = 100) -> None:
    artist = world.users["artist"]
    for i in range(shots):
        shot = ShotFactory(sequence=world.sequence, code=f"SH{first + i}")
        shot.assignees.add(artist, world.users["supervisor"])
        for v in range(per_shot):
            VariantFactory(shot=shot, label=f"v{v}")
        EditFactory(shot=shot, version=1)
        FrameFix.objects.create(shot=shot, frame_start=1001, frame_end=1001, author=artist)
        for _ in range(per_shot):
            note = NoteFactory(shot=shot, author=artist)
            Note.objects.create(shot=shot, parent=note, frame_start=note.frame_start, frame_end=note.frame_end,
                                text="reply", author=UserFactory())


def count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


# session, user, memberships with their roles, the roles by project code (shown by the name), projects (filter
# menu), shots with their counts, assignees, locked range approvals ("partly approved"), the header's unread count
BOARD_QUERIES = 9
# session, user, memberships with their roles, the shot, then one per prefetched relation (assignees, variants,
# notes, replies, attachments, edits, decisions, renders, fixes, fix images) and the activity
SHOT_API_QUERIES = 16


def test_board_queries_do_not_grow_with_shots(world, client):
    client.force_login(world.users["producer"])
    fill(world, 2, per_shot=2)
    small = count(client, "/")
    fill(world, 8, per_shot=3, first=200)
    assert count(client, "/") == small
    assert count(client, "/board.csv") <= small
    assert small == BOARD_QUERIES


def test_shot_api_queries_do_not_grow_with_variants_and_notes(world):
    api = APIClient()
    api.force_login(world.users["supervisor"])  # a real session: the user is loaded afresh each request
    fill(world, 1, per_shot=2)
    shot = Shot.objects.get(code="SH100")
    small = count(api, f"/api/shots/{shot.id}/")
    for v in range(5):
        VariantFactory(shot=shot, label=f"more{v}")
    for _ in range(10):
        NoteFactory(shot=shot, author=world.users["artist"])
    assert count(api, f"/api/shots/{shot.id}/") == small
    assert small == SHOT_API_QUERIES
