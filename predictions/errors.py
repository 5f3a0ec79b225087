"""One error shape for the API: ``{"error": "<code>", "detail": "<message>"}``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import (
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler

from training import audio

AUDIO_STATUS = {
    audio.EMPTY: status.HTTP_400_BAD_REQUEST,
    audio.CORRUPT: status.HTTP_400_BAD_REQUEST,
    audio.TOO_SHORT: status.HTTP_400_BAD_REQUEST,
    audio.NOT_AUDIO: status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    audio.UNSUPPORTED: status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    audio.TOO_LARGE: status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    audio.TOO_LONG: status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    audio.NO_SPEECH: status.HTTP_422_UNPROCESSABLE_ENTITY,
}


class ApiError(APIException):
    def __init__(self, code: str, detail: str, status_code: int):
        super().__init__(detail=detail, code=code)
        self.status_code = status_code
        self.error_code = code


def audio_error(exc: audio.AudioError) -> ApiError:
    return ApiError(exc.code, exc.message, AUDIO_STATUS.get(exc.code, 400))


def error_body(code: str, detail: str) -> dict:
    return {"error": code, "detail": detail}


def _flatten(detail) -> str:
    if isinstance(detail, dict):
        return "; ".join(
            f"{field}: {_flatten(value)}" for field, value in detail.items()
        )
    if isinstance(detail, list):
        return " ".join(_flatten(item) for item in detail)
    return str(detail)


def api_exception_handler(exc, context):
    """DRF's handler, reshaped so that every API error has the same two fields."""
    if isinstance(exc, (RequestDataTooBig, TooManyFilesSent)):
        exc = ApiError("too_large", f"The request is too large: {exc}", 413)
    elif isinstance(exc, TooManyFieldsSent):
        exc = ApiError(
            "invalid_request", f"The request has too many fields: {exc}", 400
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ApiError):
        code = exc.error_code
    elif isinstance(exc, ValidationError):
        code = "invalid_request"
    else:
        code = getattr(exc, "default_code", "error")
    body = error_body(
        code,
        _flatten(
            response.data.get("detail", response.data)
            if isinstance(response.data, dict)
            else response.data
        ),
    )
    return Response(body, status=response.status_code, headers=_headers(response))


def _headers(response) -> dict:
    return {k: v for k, v in response.items() if k in ("Retry-After", "Allow")}


def json_not_found(request, exception=None):
    """404 for URLs that match no route: JSON under /api/, Django's page elsewhere."""
    from django.http import JsonResponse
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        return JsonResponse(
            error_body("not_found", f"No API resource at {request.path}."), status=404
        )
    return page_not_found(request, exception)
