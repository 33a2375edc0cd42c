"""Test settings: the embedded defaults, isolated under a temporary home, with fast password hashing."""
from __future__ import annotations

import os
import tempfile

os.environ.setdefault("FACEREPLACE_HOME", tempfile.mkdtemp(prefix="facereplace-test-"))

from facereplace_site.settings import *  # noqa: E402,F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
