"""Factories for the review site's tests: people, projects they hold roles on, shots and what hangs off them."""
from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from review.choices import ShotStatus, VariantKind
from review.models import Edit, Membership, Note, Project, Sequence, Shot, Variant


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw-for-tests")


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"proj{n}")
    name = factory.LazyAttribute(lambda o: o.code.upper())


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)


class SequenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sequence

    project = factory.SubFactory(ProjectFactory)
    code = factory.Sequence(lambda n: f"SQ{n:03d}")


class ShotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shot

    sequence = factory.SubFactory(SequenceFactory)
    code = factory.Sequence(lambda n: f"SH{n:04d}")
    frame_start = 1001
    frame_end = 1012
    fps_num = 24
    fps_den = 1
    status = ShotStatus.WAITING


class VariantFactory(factory.django.DjangoModelFactory):
    """A variant record; its clip name points at no file (tests that need real media publish through the API)."""

    class Meta:
        model = Variant

    shot = factory.SubFactory(ShotFactory)
    kind = VariantKind.RIGID
    label = factory.Sequence(lambda n: f"variant {n}")
    clip = factory.Sequence(lambda n: f"shots/factory/variants/{n}.mp4")
    clip_frames = factory.LazyAttribute(lambda o: o.shot.frame_end - o.shot.frame_start + 1)
    qc = factory.LazyAttribute(lambda o: [{"frame": f, "coverage": 1.0, "anomaly": 0.0}
                                          for f in range(o.shot.frame_start, o.shot.frame_start + 3)])


class EditFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Edit

    shot = factory.SubFactory(ShotFactory)
    version = factory.Sequence(lambda n: n + 1)
    segments = factory.LazyAttribute(lambda o: [{"variant": o.shot.variants.first().id,
                                                 "frame_start": o.shot.frame_start, "frame_end": o.shot.frame_end,
                                                 "transition": 0}])


class NoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Note

    shot = factory.SubFactory(ShotFactory)
    frame_start = factory.LazyAttribute(lambda o: o.shot.frame_start)
    frame_end = factory.LazyAttribute(lambda o: o.shot.frame_start)
    text = factory.Sequence(lambda n: f"note {n}: the jaw line slips")
    author = factory.SubFactory(UserFactory)
