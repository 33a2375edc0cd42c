"""The comp tests render edits of the identity-converted variants of the convert tests' shot."""
from tests.pipeline.convert.conftest import converted, identity_shot  # noqa: F401  (shared session fixtures)
