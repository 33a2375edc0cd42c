"""What the OpenAPI schema says about refusals: every operation lists the error statuses it can answer, with
their bodies, so a client (and schemathesis, tests/review/api/test_schema_truth.py) can rely on them."""
from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="why, in words")


class TransitionErrorSerializer(ErrorSerializer):
    current = serializers.CharField(required=False, help_text="the shot's status (a refused status change)")
    requested = serializers.CharField(required=False, help_text="the status asked for")
    allowed = serializers.ListField(child=serializers.CharField(), required=False,
                                    help_text="the statuses reachable from the current one")


ERRORS: dict[int, OpenApiResponse] = {
    400: OpenApiResponse(OpenApiTypes.OBJECT, description="the request is invalid: DRF's per-field lists "
                                                          '({"field": ["..."]}) or {"detail": "...", "errors": '
                                                          '{"field": ["..."]}}'),
    401: OpenApiResponse(ErrorSerializer, description="not signed in: no token or session, or a bad token"),
    403: OpenApiResponse(ErrorSerializer, description="refused: the role held on the shot's project may not do "
                                                      "this (the detail names the role needed), or a browser "
                                                      "session without its CSRF token"),
    404: OpenApiResponse(ErrorSerializer, description="no such object, or it belongs to a project you are not a "
                                                      "member of; for lists, a page past the last"),
    409: OpenApiResponse(TransitionErrorSerializer, description="valid, but it clashes with the current state "
                                                                "(already decided, already queued, a status that "
                                                                "cannot be reached from the current one)"),
    413: OpenApiResponse(ErrorSerializer, description="the upload is over FACEREPLACE_MAX_UPLOAD_BYTES"),
}


def refusals(*statuses: int) -> dict[int, OpenApiResponse]:
    """The error responses of an operation: 401 always (every endpoint needs a signed-in user), plus `statuses`."""
    return {status: ERRORS[status] for status in sorted({401, *statuses})}
