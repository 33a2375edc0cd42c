"""Request parsing that answers hostile input with 400: JSON nested deeper than Python's decoder can follow
(a drawing nested 100,000 deep) is a parse error, not a RecursionError and a 500."""
from __future__ import annotations

from typing import Any

from rest_framework import parsers, serializers
from rest_framework.exceptions import ParseError

TOO_DEEP = "JSON nested too deeply to read; a drawing or a recipe is a few levels deep"


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None


class JSONInput(serializers.JSONField):
    """A JSON field of a request (often a multipart form's text), refused with 400 when nested too deeply."""

    def to_internal_value(self, data: Any) -> Any:
        try:
            return super().to_internal_value(data)
        except RecursionError:
            raise serializers.ValidationError(TOO_DEEP) from None
