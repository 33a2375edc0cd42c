"""API tokens: issued (or replaced) for a person, the key returned once; only its digest is kept."""
from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from review.models import ApiToken


@transaction.atomic
def api_token_issue(*, user: Any) -> str:
    """A new API token for `user`, replacing the one they had (which stops working). Returns the key: it is
    not stored, so whoever asked must keep it."""
    key = secrets.token_hex(20)
    ApiToken.objects.update_or_create(user=user, defaults={"digest": ApiToken.digest_of(key),
                                                           "created": timezone.now()})
    return key
