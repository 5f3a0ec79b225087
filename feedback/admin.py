"""The admin for feedback: filters, the recording's audio, CSV export, retraining.

Feedback is what people told us: read-only here. Its audio is streamed to staff
only (``predictions.admin.recording_audio_response``); MEDIA_ROOT is never public.

The admin is where the apps meet: the "retrain with feedback" action queues a run
through ``training.jobs.training_run_enqueue``, imported when the action runs, so
that the feedback app itself still never imports training.
"""

from __future__ import annotations

import csv
import logging

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import truncatechars
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from feedback.models import Feedback
from predictions.admin import audio_player, recording_audio_response

log = logging.getLogger(__name__)

START_TRAINING = "training.start_training"
CSV_COLUMNS = [
    "id",
    "created_at",
    "prediction_id",
    "predicted_label",
    "confidence",
    "model",
    "true_gender",
    "is_correct",
    "consent_to_train",
    "comment",
    "recording_duration_s",
    "recording_format",
]
# A cell starting with one of these is a formula to a spreadsheet: keep it text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_row(feedback: Feedback) -> list[str]:
    prediction = feedback.prediction
    recording = prediction.recording
    return [
        csv_safe(value)
        for value in (
            feedback.pk,
            feedback.created_at.isoformat(),
            prediction.pk,
            prediction.label,
            f"{prediction.confidence:.4f}",
            f"{prediction.model_type} v{prediction.model_version_id}",
            feedback.true_gender,
            feedback.is_correct,
            feedback.consent_to_train,
            feedback.comment,
            f"{recording.duration_s:.3f}",
            recording.format,
        )
    ]


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = [
        "feedback_label",
        "created_at",
        "is_correct",
        "true_gender",
        "predicted_label",
        "confidence",
        "model_used",
        "consent_to_train",
        "player",
        "short_comment",
    ]
    list_filter = [
        "is_correct",
        "true_gender",
        "consent_to_train",
        "created_at",
        "prediction__label",
        "prediction__model_type",
    ]
    date_hierarchy = "created_at"
    search_fields = ["comment"]
    list_select_related = ["prediction__recording", "prediction__model_version"]
    actions = ["export_csv", "retrain_with_feedback"]
    fields = [
        "prediction_link",
        "predicted_label",
        "confidence",
        "model_used",
        "true_gender",
        "is_correct",
        "consent_to_train",
        "comment",
        "recording_info",
        "player",
        "created_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_start_training_permission(self, request):
        return request.user.has_perm(START_TRAINING)

    def get_urls(self):
        return [
            path(
                "<int:object_id>/audio/",
                self.admin_site.admin_view(self.audio_view),
                name="feedback_feedback_audio",
            )
        ] + super().get_urls()

    def audio_view(self, request, object_id):
        """The recording behind a feedback item, for staff who may view feedback."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        feedback = get_object_or_404(
            Feedback.objects.select_related("prediction__recording"), pk=object_id
        )
        return recording_audio_response(feedback.prediction.recording)

    # --- Columns --------------------------------------------------------------

    @admin.display(description="Feedback", ordering="pk")
    def feedback_label(self, feedback):
        return f"#{feedback.pk}"

    @admin.display(description="Predicted", ordering="prediction__label")
    def predicted_label(self, feedback):
        return feedback.prediction.label

    @admin.display(description="Confidence", ordering="prediction__confidence")
    def confidence(self, feedback):
        return f"{feedback.prediction.confidence:.0%}"

    @admin.display(description="Model", ordering="prediction__model_type")
    def model_used(self, feedback):
        prediction = feedback.prediction
        return format_html(
            '<a href="{}">{} v{}</a>',
            reverse(
                "admin:training_modelversion_change", args=[prediction.model_version_id]
            ),
            prediction.model_type.upper(),
            prediction.model_version_id,
        )

    @admin.display(description="Recording")
    def player(self, feedback):
        recording = feedback.prediction.recording
        if recording.purged_at or not recording.audio:
            return "purged" if recording.purged_at else "-"
        return audio_player(
            reverse("admin:feedback_feedback_audio", args=[feedback.pk])
        )

    @admin.display(description="Comment")
    def short_comment(self, feedback):
        return truncatechars(feedback.comment, 50) or "-"

    @admin.display(description="Prediction")
    def prediction_link(self, feedback):
        return format_html(
            '<a href="{}">{}</a>',
            reverse(
                "admin:predictions_prediction_change", args=[feedback.prediction_id]
            ),
            feedback.prediction.public_id,
        )

    @admin.display(description="Recording details")
    def recording_info(self, feedback):
        recording = feedback.prediction.recording
        return (
            f"{recording.format}, {recording.duration_s:.1f} s, "
            f"{recording.sample_rate} Hz, uploaded {recording.uploaded_at:%Y-%m-%d}"
        )

    # --- Actions --------------------------------------------------------------

    @admin.action(description="Export the selection as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        rows = queryset.select_related(
            "prediction__recording", "prediction__model_version"
        ).order_by("pk")
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="feedback-{stamp}.csv"'
        writer = csv.writer(response)
        writer.writerow(CSV_COLUMNS)
        count = 0
        for feedback in rows:
            writer.writerow(csv_row(feedback))
            count += 1
        log.info("%s exported %d feedback items", request.user.get_username(), count)
        return response

    @admin.action(
        description="Retrain with all consented feedback",
        permissions=["start_training"],
    )
    def retrain_with_feedback(self, request, queryset):
        """Confirm, then queue an admin run that trains on consented feedback."""
        from training.jobs import training_run_enqueue
        from training.models import TrainingRun

        selected = queryset.count()
        if request.POST.get("post") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": "Retrain with feedback?",
                "queryset": queryset,
                "selected": selected,
                "selected_consented": queryset.filter(consent_to_train=True).count(),
                "consented_total": Feedback.objects.filter(
                    consent_to_train=True
                ).count(),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "select_across": request.POST.get("select_across", "0"),
            }
            return TemplateResponse(
                request, "admin/feedback/feedback/retrain_confirm.html", context
            )
        username = request.user.get_username()
        run = training_run_enqueue(
            trigger=TrainingRun.Trigger.ADMIN,
            params={"use_feedback": True},
            reason=f"retrain with {selected} selected feedback items",
            requested_by=username,
        )
        self.log_addition(
            request, run, f"Queued a retrain with feedback ({selected} selected)."
        )
        log.info("%s queued %s with feedback from the admin", username, run)
        self.message_user(
            request,
            f"{run} is queued: it trains on the dataset and every consented "
            "feedback item.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(
            reverse("admin:training_trainingrun_change", args=[run.pk])
        )
