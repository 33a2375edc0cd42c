"""`manage.py review_user NAME --role R --project P [--token]`: a person (or the pipeline) on a project.

Creates the user if needed, makes them a member of each project named with role R there (replacing the role
they held there; their roles on other projects stay), and for `--token` prints their API token (the pipeline's
`facereplace publish --token`).
"""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token

from review.choices import Role
from review.models import Membership, Project


class Command(BaseCommand):
    help = "Create or update a user with a role on projects; optionally print their API token."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", choices=Role.values, help="their role on the projects named with --project")
        parser.add_argument("--project", action="append", default=[], help="project code (repeatable; created if new)")
        parser.add_argument("--password", help="set this password (people signing in to the site)")
        parser.add_argument("--token", action="store_true", help="print the user's API token")

    @transaction.atomic
    def handle(self, *args, username, role, project, password, token, **options):
        if bool(role) != bool(project):
            raise CommandError("a role is held on a project: give --role and --project together "
                               "(e.g. --role artist --project dance)")
        user, created = get_user_model().objects.get_or_create(username=username)
        if password:
            user.set_password(password)
            user.save()
        elif created:
            user.set_unusable_password()
            user.save()
        for code in project:
            proj, _ = Project.objects.get_or_create(code=code, defaults={"name": code})
            Membership.objects.update_or_create(project=proj, user=user, defaults={"role": role})
        if token:
            self.stdout.write(Token.objects.get_or_create(user=user)[0].key)
        elif project:
            self.stdout.write(f"{username}: {role} on {', '.join(project)}")
        else:
            self.stdout.write(f"{username}: roles unchanged")
