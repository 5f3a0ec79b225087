"""Cross-cutting HTTP behaviour: security headers and a clear 503 when the database
cannot be reached."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse

log = logging.getLogger(__name__)

UNAVAILABLE = (
    "The database is unavailable for a moment. Nothing was lost; please try again."
)


class DatabaseUnavailableMiddleware:
    """A database that is locked, restarting or gone answers 503, not 500.

    A connection that failed is not kept (and a kept SQLite connection is dropped
    once its file is removed or replaced), so the service recovers by itself as
    soon as the database is back.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError, DatabaseError)):
            return None
        log.warning("Database unavailable for %s: %s", request.path, exception)
        if request.path.startswith("/api/"):
            response = JsonResponse(
                {"error": "database_unavailable", "detail": UNAVAILABLE}, status=503
            )
        else:
            response = HttpResponse(UNAVAILABLE, status=503, content_type="text/plain")
        response["Retry-After"] = "5"
        return response


class ContentSecurityPolicyMiddleware:
    """Send the content security policy of settings.CONTENT_SECURITY_POLICY.

    The interactive API docs (Swagger UI) start with an inline script; that page gets
    the policy of settings.CONTENT_SECURITY_POLICY_DOCS instead.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            policy = (
                settings.CONTENT_SECURITY_POLICY_DOCS
                if request.path.startswith("/api/docs/")
                else settings.CONTENT_SECURITY_POLICY
            )
            response["Content-Security-Policy"] = policy
        return response
