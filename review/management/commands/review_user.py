"""`manage.py review_user NAME --role R --project P [--password PW] [--token]`: a person (or the pipeline) on a
project.

Creates the user if needed, makes them a member of each project named with role R there (replacing the role
they held there; their roles on other projects stay). A password must pass the site's password validators
(AUTH_PASSWORD_VALIDATORS), as everywhere else. `--token` issues a new API token and prints it (the pipeline's
`facereplace publish --token`): only its digest is stored, so it is shown this once, and the user's previous
token stops working.
"""
from __future__ import annotations

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from review.choices import Role
from review.models import Membership, Project
from review.services.tokens import api_token_issue


class Command(BaseCommand):
    help = "Create or update a user with a role on projects; optionally issue and print a new API token."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", choices=Role.values, help="their role on the projects named with --project")
        parser.add_argument("--project", action="append", default=[], help="project code (repeatable; created if new)")
        parser.add_argument("--password", help="set this password (people signing in to the site)")
        parser.add_argument("--token", action="store_true",
                            help="issue a new API token and print it (the previous one stops working)")

    @transaction.atomic
    def handle(self, *args, username, role, project, password, token, **options):
        if bool(role) != bool(project):
            raise CommandError("a role is held on a project: give --role and --project together "
                               "(e.g. --role artist --project dance)")
        user, created = get_user_model().objects.get_or_create(username=username)
        if password:
            try:
                password_validation.validate_password(password, user)
            except ValidationError as exc:
                raise CommandError(f"password refused: {' '.join(exc.messages)}") from None
            user.set_password(password)
            user.save()
        elif created:
            user.set_unusable_password()
            user.save()
        for code in project:
            Membership.objects.update_or_create(project=_project(code), user=user, defaults={"role": role})
        if token:
            self.stdout.write(api_token_issue(user=user))
            self.stderr.write(f"a new API token for {username}: keep it, it is not shown again (any earlier token of "
                              f"{username} no longer works)")
        elif project:
            self.stdout.write(f"{username}: {role} on {', '.join(project)}")
        else:
            self.stdout.write(f"{username}: roles unchanged")


def _project(code: str) -> Project:
    """The project `code`, created (checked like any other) when new."""
    existing = Project.objects.filter(code=code).first()
    if existing is not None:
        return existing
    made = Project(code=code, name=code)
    try:
        made.full_clean()
    except ValidationError as exc:
        raise CommandError(f"project {code!r}: {' '.join(exc.messages)}") from None
    made.save()
    return made
