"""A small world for the review tests: one project, a shot, a person for each role, real clips."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PIL import Image
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from review.choices import Role
from tests.review.factories import MembershipFactory, ProjectFactory, SequenceFactory, ShotFactory, UserFactory
from tests.review.media import encode_clip, truncate

ROLES = [r.value for r in Role]


@dataclass
class World:
    project: object
    sequence: object
    shot: object
    users: dict[str, object] = field(default_factory=dict)
    outsider: object = None

    def client(self, role: str) -> APIClient:
        """An API client signed in as the user with `role` (the pipeline with its token)."""
        client = APIClient()
        user = self.users[role] if role != "outsider" else self.outsider
        if role == Role.PIPELINE:
            client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
        else:
            client.force_authenticate(user)
        return client


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    """Each test stores uploads in its own folder, so "nothing stored" can be checked."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def world(db) -> World:
    return make_world()


@pytest.fixture
def world_tx(transactional_db) -> World:
    """The same world in a database whose transactions really commit (for on-commit broadcasts)."""
    return make_world()


def make_world() -> World:
    project = ProjectFactory(code="dance")
    sequence = SequenceFactory(project=project, code="SQ010")
    shot = ShotFactory(sequence=sequence, code="SH010")
    users = {}
    for role in ROLES:
        user = UserFactory(username=f"{role}1")
        MembershipFactory(project=project, user=user, role=role)
        users[role] = user
    outsider = UserFactory(username="outsider")
    MembershipFactory(user=outsider, project=ProjectFactory(code="other"), role=Role.SUPERVISOR)
    return World(project=project, sequence=sequence, shot=shot, users=users, outsider=outsider)


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> dict[str, Path]:
    """good: 12 frames at 24 fps (the world's shot); short: 8 frames; truncated (both MP4 layouts); text."""
    root = tmp_path_factory.mktemp("clips")
    good = encode_clip(root / "good.mp4")
    moov_last = encode_clip(root / "moov_last.mp4", faststart=False)
    text = root / "notes.mp4"
    text.write_text("this is a text file, not a video\n" * 20)
    png = root / "still.mp4"
    Image.new("RGB", (16, 16), (0, 90, 200)).save(png, format="PNG")
    return {
        "good": good,
        "good2": encode_clip(root / "good2.mp4", colour="smptebars"),
        "short": encode_clip(root / "short.mp4", frames=8),
        "wrong_fps": encode_clip(root / "ntsc.mp4", fps="30000/1001"),
        "truncated": truncate(good, root / "truncated.mp4"),
        "truncated_moov_last": truncate(moov_last, root / "truncated_moov_last.mp4"),
        "text": text,
        "png": png,
    }
