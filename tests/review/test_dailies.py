"""Dailies sessions: the playlist, the driver's state relayed to every follower (and nobody else's), the
hand-over, and the summary of the notes written while the session ran."""
from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing.websocket import WebsocketCommunicator
from django.core.exceptions import PermissionDenied, ValidationError

from review.consumers import driver_state
from review.errors import Conflict
from review.routing import websocket_urlpatterns
from review.selectors.dailies import dailies_notes
from review.services.dailies import dailies_create, dailies_end, dailies_handover
from review.services.notes import note_create
from tests.review.factories import MembershipFactory, NoteFactory, ShotFactory, UserFactory, VariantFactory
from tests.timing import patience


def second_supervisor(world):
    user = UserFactory(username="vfxsup")
    MembershipFactory(project=world.project, user=user, role="supervisor")
    return user


def session_of(world):
    variant = VariantFactory(shot=world.shot, label="rigid")
    other = ShotFactory(sequence=world.sequence, code="SH020")
    return dailies_create(project=world.project, actor=world.users["supervisor"], title="Monday dailies",
                          items=[(world.shot, variant), (other, None)])


def test_a_supervisor_makes_a_playlist_and_drives_it(world):
    session = session_of(world)
    assert session.driver == world.users["supervisor"]
    assert [(i.position, i.shot.code, i.variant and i.variant.label) for i in session.items.all()] == [
        (1, "SH010", "rigid"), (2, "SH020", None)]


def test_only_supervisors_make_sessions_and_only_of_their_projects_shots(world):
    with pytest.raises(PermissionDenied, match="only a supervisor may create a dailies session"):
        dailies_create(project=world.project, actor=world.users["artist"], title="x", items=[(world.shot, None)])
    foreign = ShotFactory(sequence__project__code="promo", code="SH100")
    with pytest.raises(ValidationError, match="not in project dance"):
        dailies_create(project=world.project, actor=world.users["supervisor"], title="x", items=[(foreign, None)])
    wrong_variant = VariantFactory(shot=ShotFactory(sequence=world.sequence, code="SH030"))
    with pytest.raises(ValidationError, match="is not a variant of shot"):
        dailies_create(project=world.project, actor=world.users["supervisor"], title="x",
                       items=[(world.shot, wrong_variant)])
    with pytest.raises(ValidationError, match="at least one shot"):
        dailies_create(project=world.project, actor=world.users["supervisor"], title="x", items=[])


def test_handover_goes_to_a_supervisor_only_and_ends_with_the_session(world):
    session = session_of(world)
    with pytest.raises(ValidationError, match="'artist1' is not a supervisor"):
        dailies_handover(session=session, actor=world.users["supervisor"], to_username="artist1")
    with pytest.raises(ValidationError, match="'outsider' is not a supervisor"):  # a supervisor elsewhere
        dailies_handover(session=session, actor=world.users["supervisor"], to_username="outsider")
    with pytest.raises(PermissionDenied, match="you are: artist"):
        dailies_handover(session=session, actor=world.users["artist"], to_username="supervisor1")
    vfx = second_supervisor(world)
    assert dailies_handover(session=session, actor=world.users["supervisor"], to_username="vfxsup").driver == vfx
    ended = dailies_end(session=session, actor=vfx)
    assert ended.driver is None and ended.ended is not None
    with pytest.raises(Conflict, match="has ended"):
        dailies_handover(session=ended, actor=vfx, to_username="supervisor1")


def test_the_summary_holds_the_notes_written_during_the_session_on_its_shots(world):
    from datetime import timedelta

    from review.models import Note

    session = session_of(world)
    before = NoteFactory(shot=world.shot, author=world.users["artist"], text="before the session")
    Note.objects.filter(pk=before.pk).update(created=session.started - timedelta(seconds=1))
    during = note_create(shot=world.shot, actor=world.users["supervisor"], frame_start=1003, text="eyes drift")
    reply_id = note_create(shot=world.shot, actor=world.users["artist"], frame_start=1003, text="reply").id
    Note.objects.filter(pk=reply_id).update(parent=during)
    elsewhere = NoteFactory(shot=ShotFactory(sequence=world.sequence, code="SH090"), author=world.users["artist"])
    session = dailies_end(session=session, actor=world.users["supervisor"])
    after = note_create(shot=world.shot, actor=world.users["supervisor"], frame_start=1004, text="too late")
    Note.objects.filter(pk=after.pk).update(created=session.ended + timedelta(seconds=1))
    notes = list(dailies_notes(session))
    assert notes == [during]
    assert before not in notes and elsewhere not in notes and after not in notes


def test_the_api_creates_hands_over_ends_and_summarises(world):
    variant = VariantFactory(shot=world.shot, label="loose")
    sup = world.client("supervisor")
    made = sup.post("/api/dailies/", {"project": "dance", "title": "Tue", "items": [
        {"shot": world.shot.id, "variant": variant.id}]}, format="json")
    assert made.status_code == 201, made.json()
    body = made.json()
    assert body["driver"] == "supervisor1" and body["items"][0]["variant_label"] == "loose"
    assert body["socket"] == f"/ws/dailies/{body['id']}/"
    # anyone on the project may see it; someone outside gets a 404
    assert world.client("artist").get(f"/api/dailies/{body['id']}/").status_code == 200
    assert world.client("outsider").get(f"/api/dailies/{body['id']}/").status_code == 404
    sup.post(f"/api/shots/{world.shot.id}/notes/", {"frame_start": 1002, "text": "grain"}, format="json")
    second_supervisor(world)
    handed = sup.post(f"/api/dailies/{body['id']}/driver/", {"to": "vfxsup"}, format="json")
    assert handed.status_code == 200 and handed.json()["driver"] == "vfxsup"
    refused = sup.post(f"/api/dailies/{body['id']}/driver/", {"to": "producer1"}, format="json")
    assert refused.status_code == 400 and "not a supervisor" in refused.json()["detail"]
    assert sup.post(f"/api/dailies/{body['id']}/end/").status_code == 200
    assert sup.post(f"/api/dailies/{body['id']}/end/").status_code == 409
    summary = world.client("artist").get(f"/api/dailies/{body['id']}/summary/").json()["notes"]
    assert [(n["shot_code"], n["frame_start"], n["text"], n["author"]) for n in summary] == [
        ("SH010", 1002, "grain", "supervisor1")]


def test_driver_state_keeps_known_fields_of_the_right_kind():
    assert driver_state({"type": "state", "frame": 1003, "playing": False, "view": "wipe", "x": 1}) == {
        "frame": 1003, "playing": False, "view": "wipe"}
    assert driver_state({"type": "state", "frame": True}) is None  # a bool is no frame
    assert driver_state({"type": "state", "frame": "1003"}) is None
    assert driver_state({"type": "state", "playing": True}) is None
    assert driver_state({"type": "state", "frame": 1, "view": "x" * 5000}) is None
    assert driver_state(["state"]) is None


@pytest.mark.django_db(transaction=True)
async def test_the_driver_is_relayed_to_followers_and_the_handover_moves_the_wheel(world_tx):
    world = world_tx
    session = await sync_to_async(session_of)(world)
    vfx = await sync_to_async(second_supervisor)(world)

    async def joined(user):
        communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/dailies/{session.id}/")
        communicator.scope["user"] = user
        assert (await communicator.connect())[0]
        return communicator

    async def next_of(communicator, kind):
        while (message := await communicator.receive_json_from(timeout=patience(3)))["type"] != kind:
            pass
        return message

    driver, follower, other = await joined(world.users["supervisor"]), await joined(world.users["artist"]), \
        await joined(vfx)
    assert (await next_of(follower, "joined"))["driver"] == "supervisor1"  # newcomers are told who drives
    assert (await next_of(driver, "resend"))["session"] == session.id  # and ask the driver for its state
    await driver.send_json_to({"type": "state", "frame": 1005, "playing": False, "view": "compare"})
    message = await next_of(follower, "state")
    assert (message["frame"], message["playing"], message["view"], message["driver"]) == (
        1005, False, "compare", "supervisor1")
    # a follower's state is refused and reaches nobody
    await follower.send_json_to({"type": "state", "frame": 1009})
    assert "only the driver (supervisor1)" in (await next_of(follower, "refused"))["detail"]
    await other.send_json_to({"type": "state", "frame": 1010})
    await next_of(other, "refused")
    assert await follower.receive_nothing(timeout=0.3)  # neither refused state reached anyone
    # the hand-over: the old driver is refused, the new one relayed
    await sync_to_async(dailies_handover)(session=session, actor=world.users["supervisor"], to_username="vfxsup")
    assert (await next_of(follower, "driver"))["driver"] == "vfxsup"
    await driver.send_json_to({"type": "state", "frame": 1002})
    assert "only the driver (vfxsup)" in (await next_of(driver, "refused"))["detail"]
    await other.send_json_to({"type": "state", "frame": 1011, "playing": True})
    message = await next_of(follower, "state")
    assert (message["frame"], message["playing"], message["driver"]) == (1011, True, "vfxsup")
    for communicator in (driver, follower, other):
        await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_outsiders_cannot_join_a_session(world_tx):
    session = await sync_to_async(session_of)(world_tx)
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/dailies/{session.id}/")
    communicator.scope["user"] = world_tx.outsider
    connected, code = await communicator.connect()
    assert not connected and code == 4403


def test_a_playlist_from_a_board_filter_takes_each_kept_shots_newest_version(world):
    from review.choices import ShotStatus

    world.shot.status = ShotStatus.IN_REVIEW
    world.shot.save()
    VariantFactory(shot=world.shot, label="rigid", version=1)
    newest = VariantFactory(shot=world.shot, label="rigid", version=2)
    bare = ShotFactory(sequence=world.sequence, code="SH020", status=ShotStatus.IN_REVIEW)
    ShotFactory(sequence=world.sequence, code="SH030")  # waiting: the filter leaves it out
    sup = world.client("supervisor")
    made = sup.post("/api/dailies/", {"project": "dance", "title": "review queue",
                                      "filter": {"status": ["in_review"]}}, format="json")
    assert made.status_code == 201, made.json()
    assert [(i["shot_code"], i["variant"]) for i in made.json()["items"]] == [("SH010", newest.id), ("SH020", None)]
    assert bare.id == made.json()["items"][1]["shot"]
    nothing = sup.post("/api/dailies/", {"project": "dance", "title": "x", "filter": {"status": ["final"]}},
                       format="json")
    assert nothing.status_code == 400 and "keeps no shot" in nothing.json()["detail"]
    both = sup.post("/api/dailies/", {"project": "dance", "title": "x", "filter": {},
                                      "items": [{"shot": world.shot.id}]}, format="json")
    assert both.status_code == 400 and "one of the two" in str(both.json())
