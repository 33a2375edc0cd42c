"""Live updates: the shot's and the board's websockets forward what services broadcast after commit."""
from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing.websocket import WebsocketCommunicator

from review.choices import ShotStatus
from review.routing import websocket_urlpatterns
from review.services.notes import note_create
from review.services.shots import shot_set_status
from tests.timing import patience

pytestmark = pytest.mark.django_db(transaction=True)  # broadcasts go out on commit


async def connect(user, path: str) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), path)
    communicator.scope["user"] = user
    return communicator


async def test_shot_socket_forwards_status_and_notes(world_tx):
    world = world_tx
    communicator = await connect(world.users["artist"], f"/ws/shots/{world.shot.id}/")
    connected, _ = await communicator.connect()
    assert connected
    await sync_to_async(shot_set_status)(shot=world.shot, status=ShotStatus.TRAINING, actor=world.users["pipeline"])
    message = await communicator.receive_json_from(timeout=patience(3))
    assert message["type"] == "status.changed" and message["status"] == "training"
    assert message["status_label"] == "Training" and message["shot"] == world.shot.id
    await sync_to_async(note_create)(shot=world.shot, actor=world.users["artist"], frame_start=1002, text="hi")
    message = await communicator.receive_json_from(timeout=patience(3))
    assert message["type"] == "note.created" and message["frame_start"] == 1002
    await communicator.disconnect()


async def test_board_socket_gets_every_shot_of_the_users_projects(world_tx):
    world = world_tx
    mine = await connect(world.users["producer"], "/ws/board/")
    theirs = await connect(world.outsider, "/ws/board/")
    assert (await mine.connect())[0] and (await theirs.connect())[0]
    await sync_to_async(shot_set_status)(shot=world.shot, status=ShotStatus.ON_HOLD, actor=world.users["producer"])
    message = await mine.receive_json_from(timeout=patience(3))
    assert message["type"] == "status.changed" and message["colour"] == ShotStatus.ON_HOLD.colour
    assert await theirs.receive_nothing(timeout=0.3)
    await mine.disconnect()
    await theirs.disconnect()


async def test_outsiders_and_anonymous_cannot_listen_to_a_shot(world_tx):
    from django.contrib.auth.models import AnonymousUser

    for user in (world_tx.outsider, AnonymousUser()):
        communicator = await connect(user, f"/ws/shots/{world_tx.shot.id}/")
        connected, code = await communicator.connect()
        assert not connected and code == 4403


async def test_rolled_back_changes_are_not_broadcast(world_tx):
    world = world_tx
    communicator = await connect(world.users["artist"], f"/ws/shots/{world.shot.id}/")
    assert (await communicator.connect())[0]
    with pytest.raises(Exception, match="not a member"):
        await sync_to_async(shot_set_status)(shot=world.shot, status=ShotStatus.ON_HOLD, actor=world.outsider)
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_shot_socket_carries_versions_and_ranges(world_tx, clips):
    """A second publish of a label arrives as its version 2; a range approval with its frames; an unlock."""
    from review.services.edits import decision_create, edit_create, range_unlock
    from review.services.variants import variant_publish
    from tests.review.media import uploaded

    world = world_tx
    communicator = await connect(world.users["supervisor"], f"/ws/shots/{world.shot.id}/")
    connected, _ = await communicator.connect()
    assert connected

    async def published(clip: str) -> dict:
        await sync_to_async(variant_publish)(shot=world.shot, actor=world.users["pipeline"], kind="rigid",
                                             label="rigid", clip=uploaded(clips[clip]))
        while (message := await communicator.receive_json_from(timeout=patience(3)))["type"] != "variant.published":
            pass
        return message

    first, second = await published("good"), await published("good2")
    assert (first["label"], first["version"], second["label"], second["version"]) == ("rigid", 1, "rigid", 2)
    edit = await sync_to_async(edit_create)(shot=world.shot, actor=world.users["supervisor"], segments=[
        {"variant": second["variant"], "frame_start": 1001, "frame_end": 1012}])
    lock = await sync_to_async(decision_create)(edit=edit, actor=world.users["supervisor"], verdict="approve",
                                                frame_start=1001, frame_end=1004)
    while (message := await communicator.receive_json_from(timeout=patience(3)))["type"] != "decision.created":
        pass
    assert (message["frame_start"], message["frame_end"]) == (1001, 1004)
    await sync_to_async(range_unlock)(decision=lock, actor=world.users["supervisor"])
    message = await communicator.receive_json_from(timeout=patience(3))
    assert message["type"] == "range.unlocked" and message["decision"] == lock.id
    await communicator.disconnect()


async def test_inbox_socket_pushes_only_ones_own_unread_count(world_tx):
    world = world_tx
    artist, supervisor = world.users["artist"], world.users["supervisor"]
    await sync_to_async(world.shot.assignees.add)(artist)
    mine = await connect(artist, "/ws/inbox/")
    theirs = await connect(supervisor, "/ws/inbox/")
    assert (await mine.connect())[0] and (await theirs.connect())[0]
    for count, frame in ((1, 1002), (2, 1003)):
        await sync_to_async(note_create)(shot=world.shot, actor=supervisor, frame_start=frame, text="look")
        assert await mine.receive_json_from(timeout=patience(3)) == {"type": "inbox.count", "unread": count}
    assert await theirs.receive_nothing(timeout=0.3)  # the author is not told of their own note
    await mine.disconnect()
    await theirs.disconnect()
    from django.contrib.auth.models import AnonymousUser

    anonymous = await connect(AnonymousUser(), "/ws/inbox/")
    connected, code = await anonymous.connect()
    assert not connected and code == 4403
