"""`manage.py review_user NAME --role R --project P [--token]`: a person (or the pipeline) on a project.

Creates the user if needed, puts them in the role's group, makes them a member of each project, and for
`--token` prints their API token (the pipeline's `facereplace publish --token`).
"""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token

from review.choices import Role
from review.models import Membership, Project


class Command(BaseCommand):
    help = "Create or update a user with a role on projects; optionally print their API token."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--project", action="append", default=[], help="project code (repeatable; created if new)")
        parser.add_argument("--password", help="set this password (people signing in to the site)")
        parser.add_argument("--token", action="store_true", help="print the user's API token")

    @transaction.atomic
    def handle(self, *args, username, role, project, password, token, **options):
        user, created = get_user_model().objects.get_or_create(username=username)
        if password:
            user.set_password(password)
            user.save()
        elif created:
            user.set_unusable_password()
            user.save()
        try:
            user.groups.add(Group.objects.get(name=role))
        except Group.DoesNotExist:
            raise CommandError(f"role group {role!r} is missing: run `manage.py migrate` first") from None
        for code in project:
            proj, _ = Project.objects.get_or_create(code=code, defaults={"name": code})
            Membership.objects.get_or_create(project=proj, user=user)
        if token:
            self.stdout.write(Token.objects.get_or_create(user=user)[0].key)
        else:
            self.stdout.write(f"{username}: {role} on {', '.join(project) or 'no project'}")
