"""Roles become per project: each membership carries the role its person holds on that project.

Until now a role was a site-wide Django group (`supervisor`, `artist`, `producer`, `pipeline`, made by 0002) and a
membership only said "works on this project", so a supervisor on one project was a supervisor on all of theirs.
This migration gives every membership the role its user's group gave them: a user in group G and member of
projects P1 and P2 gets role G on both.

A user in several role groups held all of their powers together; a membership holds one role, so they get the
most powerful of their groups, in the order supervisor, producer, artist, pipeline (the order the pages have
always shown a person's role in). Such a user loses what only their other groups allowed (an artist-and-producer
keeps producer's rights and no longer writes notes): give them the role they need per project with
`manage.py review_user NAME --role R --project P`.

A member in no role group could do nothing on their projects; their membership keeps a blank role, which still
allows nothing, rather than being given powers they never had or being deleted.

The groups are kept as they are, with their members: nothing reads them any more, but removing them would lose
who was in which (for users on no project, the only record of their role) and any Django permissions an admin
gave a group. Reversing the migration gives each member the group of each role they hold, so the code before
this migration finds everyone's role again.
"""
from __future__ import annotations

from django.conf import settings
from django.db import migrations, models

# Most powerful first: a user in several role groups gets the first one they are in.
ROLES_BY_POWER = ["supervisor", "producer", "artist", "pipeline"]


def roles_from_groups(apps, schema_editor):
    User = apps.get_model(settings.AUTH_USER_MODEL)
    Membership = apps.get_model("review", "Membership")
    groups_of: dict[int, set[str]] = {}
    for user_id, name in (User.groups.through.objects.filter(group__name__in=ROLES_BY_POWER)
                          .values_list("user_id", "group__name")):
        groups_of.setdefault(user_id, set()).add(name)
    role_of = {user_id: next(r for r in ROLES_BY_POWER if r in names) for user_id, names in groups_of.items()}
    for role in ROLES_BY_POWER:
        Membership.objects.filter(user_id__in=[u for u, r in role_of.items() if r == role]).update(role=role)


def groups_from_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Membership = apps.get_model("review", "Membership")
    for role in ROLES_BY_POWER:
        group, _ = Group.objects.get_or_create(name=role)
        group.user_set.add(*Membership.objects.filter(role=role).values_list("user_id", flat=True).distinct())


class Migration(migrations.Migration):

    dependencies = [
        ("review", "0007_job_one_active_conversion"),
        ("auth", "0012_alter_user_first_name_max_length"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="membership",
            name="role",
            field=models.CharField(blank=True, choices=[("supervisor", "Supervisor"), ("artist", "Artist"),
                                                        ("producer", "Producer"), ("pipeline", "Pipeline")],
                                   help_text="what they may do on this project; blank: nothing yet (kept for people "
                                             "who had no role group when roles became per project)",
                                   max_length=16),
        ),
        migrations.RunPython(roles_from_groups, groups_from_roles),
        migrations.AddConstraint(
            model_name="membership",
            constraint=models.CheckConstraint(
                condition=models.Q(("role__in", ["supervisor", "artist", "producer", "pipeline", ""])),
                name="membership_role_known"),
        ),
    ]
