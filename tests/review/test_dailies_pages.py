"""The dailies pages: a supervisor starts a session from the board's filter and lands in it driving; everyone
sees the running sessions of their projects to join and the ended ones to read; a refusal is named."""
from __future__ import annotations

from review.choices import ShotStatus
from review.models import DailiesSession
from review.services.dailies import dailies_create, dailies_end
from review.services.notes import note_create
from tests.review.factories import ShotFactory, VariantFactory


def test_a_supervisor_starts_dailies_from_the_board_filter_and_lands_driving_its_first_shot(client, world):
    ShotFactory(sequence=world.sequence, code="SH020", status=ShotStatus.IN_REVIEW)
    in_review = ShotFactory(sequence=world.sequence, code="SH005", status=ShotStatus.IN_REVIEW)
    newest = VariantFactory(shot=in_review, label="loose", version=2)
    client.force_login(world.users["supervisor"])
    board = client.get("/?status=in_review").content.decode()
    assert 'id="board-dailies" href="/dailies/?status=in_review"' in board
    form = client.get("/dailies/?status=in_review").content.decode()
    assert '<option value="in_review" selected>' in form  # the board's filter, carried into the form
    answer = client.post("/dailies/start", {"title": "Review pass", "project": "dance", "status": "in_review"})
    session = DailiesSession.objects.get(title="Review pass")
    assert answer.status_code == 302 and answer["Location"] == f"/shots/{in_review.id}/?dailies={session.id}&item=1"
    assert [(i.shot.code, i.variant_id) for i in session.items.all()] == [("SH005", newest.id), ("SH020", None)]
    assert session.driver == world.users["supervisor"]


def test_a_refused_start_names_why_and_keeps_the_filter(client, world):
    client.force_login(world.users["supervisor"])
    answer = client.post("/dailies/start", {"title": "Empty", "project": "dance", "status": "final"}, follow=True)
    html = answer.content.decode()
    assert "the filter keeps no shot of the project: loosen it" in html
    assert '<option value="final" selected>' in html and not DailiesSession.objects.exists()
    client.force_login(world.users["artist"])
    assert 'id="dailies-start"' not in client.get("/dailies/").content.decode()  # artists join, they do not start
    html = client.post("/dailies/start", {"title": "Mine", "project": "dance"}, follow=True).content.decode()
    assert "only a supervisor may create a dailies session" in html and not DailiesSession.objects.exists()


def test_the_list_shows_running_sessions_to_join_before_ended_ones_and_only_ones_own_projects(client, world):
    supervisor = world.users["supervisor"]
    old = dailies_create(project=world.project, actor=supervisor, title="Friday", items=[(world.shot, None)])
    dailies_end(session=old, actor=supervisor)
    running = dailies_create(project=world.project, actor=supervisor, title="Monday", items=[(world.shot, None)])
    client.force_login(world.users["artist"])
    html = client.get("/dailies/").content.decode()
    assert html.index("Monday") < html.index("Friday")
    assert f'href="/shots/{world.shot.id}/?dailies={running.id}&amp;item=1">Join</a>' in html
    assert f"?dailies={old.id}&amp;" not in html  # an ended session is read, not joined
    assert "running, supervisor1 drives" in html
    client.force_login(world.outsider)
    assert f"data-session=\"{running.id}\"" not in client.get("/dailies/").content.decode()
    assert client.get(f"/dailies/{running.id}/").status_code == 404


def test_the_summary_page_shows_the_playlist_and_the_notes_written_during_the_session(client, world):
    supervisor = world.users["supervisor"]
    variant = VariantFactory(shot=world.shot, label="rigid")
    session = dailies_create(project=world.project, actor=supervisor, title="Monday", items=[(world.shot, variant)])
    note_create(shot=world.shot, actor=supervisor, frame_start=1003, text="eyes drift left")
    client.force_login(world.users["producer"])
    html = client.get(f"/dailies/{session.id}/").content.decode()
    assert "rigid v001" in html and "eyes drift left" in html and "1003" in html
