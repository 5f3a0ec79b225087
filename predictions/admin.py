"""Read-only admin lists of recordings and predictions, and their audio for staff.

Recordings live under MEDIA_ROOT, which is never served publicly: the admin streams a
recording's file through a view that requires an active staff user with the view
permission (``recording_audio_response`` is shared with the feedback admin).
"""

from __future__ import annotations

import logging
from pathlib import PurePath

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils.html import format_html

from predictions.models import Prediction, Recording
from training.admin import ReadOnlyAdmin

log = logging.getLogger(__name__)

# By file extension first (the stored name), then by the decoder's format name.
AUDIO_TYPES = {
    "wav": "audio/wav",
    "flac": "audio/flac",
    "ogg": "audio/ogg",
    "oga": "audio/ogg",
    "opus": "audio/ogg",
    "mp3": "audio/mpeg",
    "webm": "audio/webm",
    "mkv": "audio/webm",
    "matroska": "audio/webm",
    "m4a": "audio/mp4",
    "mp4": "audio/mp4",
    "aac": "audio/aac",
}


def audio_content_type(recording: Recording) -> str:
    extension = PurePath(recording.audio.name or "").suffix.lstrip(".").lower()
    fmt = (recording.format or "").split(",")[0].lower()
    return (
        AUDIO_TYPES.get(extension) or AUDIO_TYPES.get(fmt) or "application/octet-stream"
    )


def recording_audio_response(recording: Recording) -> FileResponse:
    """Stream a recording's stored file, or 404 when it was purged or is missing."""
    if not recording.audio or recording.purged_at is not None:
        raise Http404("This recording's audio is not kept.")
    try:
        handle = recording.audio.open("rb")
    except (FileNotFoundError, OSError) as exc:
        log.warning("Audio of recording %s is missing: %s", recording.pk, exc)
        raise Http404("This recording's audio file is missing.") from exc
    response = FileResponse(handle, content_type=audio_content_type(recording))
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def audio_player(url: str | None) -> str:
    if not url:
        return "-"
    return format_html(
        '<audio controls preload="none" src="{}">'
        '<a href="{}">Download the recording</a></audio>',
        url,
        url,
    )


@admin.register(Recording)
class RecordingAdmin(ReadOnlyAdmin):
    list_display = [
        "__str__",
        "format",
        "duration",
        "size",
        "source",
        "speech_ratio",
        "uploaded_at",
        "purged_at",
        "player",
    ]
    list_filter = ["source", "format", "uploaded_at"]
    search_fields = ["original_name", "sha256", "public_id"]
    date_hierarchy = "uploaded_at"
    # The stored file is played through the staff-only view, never linked directly.
    fields = [
        "public_id",
        "original_name",
        "format",
        "codec",
        "duration_s",
        "sample_rate",
        "channels",
        "size_bytes",
        "speech_ratio",
        "source",
        "sha256",
        "uploaded_at",
        "purged_at",
        "player",
    ]
    readonly_fields = fields

    def get_urls(self):
        return [
            path(
                "<int:object_id>/audio/",
                self.admin_site.admin_view(self.audio_view),
                name="predictions_recording_audio",
            )
        ] + super().get_urls()

    def audio_view(self, request, object_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return recording_audio_response(get_object_or_404(Recording, pk=object_id))

    @admin.display(description="Duration", ordering="duration_s")
    def duration(self, recording):
        return f"{recording.duration_s:.1f} s"

    @admin.display(description="Size", ordering="size_bytes")
    def size(self, recording):
        return filesizeformat(recording.size_bytes)

    @admin.display(description="Audio")
    def player(self, recording):
        if not recording.audio or recording.purged_at:
            return "purged" if recording.purged_at else "-"
        return audio_player(
            reverse("admin:predictions_recording_audio", args=[recording.pk])
        )


@admin.register(Prediction)
class PredictionAdmin(ReadOnlyAdmin):
    list_display = [
        "public_id",
        "label",
        "confidence_pct",
        "model_type",
        "model_version",
        "recording",
        "latency",
        "created_at",
    ]
    list_filter = ["label", "model_type", "created_at"]
    list_select_related = ["recording", "model_version"]
    search_fields = ["public_id"]
    date_hierarchy = "created_at"

    @admin.display(description="Confidence", ordering="confidence")
    def confidence_pct(self, prediction):
        return f"{prediction.confidence:.0%}"

    @admin.display(description="Latency", ordering="latency_ms")
    def latency(self, prediction):
        return f"{prediction.latency_ms:.0f} ms"
