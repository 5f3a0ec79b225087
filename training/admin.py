"""The admin for training runs and model versions.

History is read-only: nobody adds, edits or deletes a run or a version here. What an
operator may do goes through the product's services (queue a run, promote, roll
back), each behind its own permission and logged with who did it.
"""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.defaultfilters import filesizeformat, truncatechars
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from training import admin_charts
from training import admin_views as views
from training.models import ModelVersion, TrainingRun

AUTO_REFRESH_SECONDS = 5
METRIC_KEYS = [
    ("accuracy", "Accuracy"),
    ("balanced_accuracy", "Balanced accuracy"),
    ("precision_female", "Precision F"),
    ("recall_female", "Recall F"),
    ("precision_male", "Precision M"),
    ("recall_male", "Recall M"),
    ("roc_auc", "ROC AUC"),
    ("log_loss", "Log loss"),
    ("speaker_accuracy", "Speaker accuracy"),
]


class ReadOnlyAdmin(admin.ModelAdmin):
    """History: viewable with the view permission, never added, changed or deleted."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _figures(figures: list[tuple[str, str]]):
    """Captioned charts side by side, or a dash when there are none."""
    if not figures:
        return "-"
    return format_html(
        '<div class="gv-charts">{}</div>',
        format_html_join("", "<figure><figcaption>{}</figcaption>{}</figure>", figures),
    )


def _pretty_json(value) -> str:
    if not value:
        return "-"
    return format_html(
        '<pre class="gv-pre">{}</pre>', json.dumps(value, indent=2, sort_keys=True)
    )


def _pre(text: str) -> str:
    return format_html('<pre class="gv-pre">{}</pre>', text) if text else "-"


@admin.register(TrainingRun)
class TrainingRunAdmin(ReadOnlyAdmin):
    change_list_template = "admin/training/trainingrun/change_list.html"
    list_display = [
        "run_label",
        "status_badge",
        "trigger",
        "short_reason",
        "models",
        "parameters",
        "progress",
        "duration",
        "best_balanced_accuracy",
        "requested_by",
        "created_at",
    ]
    list_display_links = ["run_label"]
    list_filter = ["status", "trigger", "created_at"]
    search_fields = ["reason", "requested_by", "decision", "error"]
    date_hierarchy = "created_at"
    actions = ["retrain_with_these_parameters"]
    readonly_fields = [
        "status_badge",
        "trigger",
        "reason",
        "requested_by",
        "progress",
        "created_at",
        "started_at",
        "finished_at",
        "heartbeat_at",
        "duration",
        "task_id",
        "models",
        "params_table",
        "dataset",
        "dataset_checksum",
        "metrics_table",
        "decision_text",
        "versions_produced",
        "learning_curves",
        "confusion_matrices",
        "data_summary_json",
        "eval_speakers_list",
        "warnings_text",
        "error_text",
        "mlflow_run",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "status_badge",
                    "progress",
                    ("trigger", "requested_by"),
                    "reason",
                    ("created_at", "started_at", "finished_at"),
                    ("duration", "heartbeat_at"),
                    "task_id",
                    "mlflow_run",
                ]
            },
        ),
        ("Configuration", {"fields": ["models", "params_table", "dataset"]}),
        (
            "Results",
            {
                "fields": [
                    "metrics_table",
                    "decision_text",
                    "versions_produced",
                    "learning_curves",
                    "confusion_matrices",
                ]
            },
        ),
        (
            "Data",
            {"fields": ["dataset_checksum", "data_summary_json", "eval_speakers_list"]},
        ),
        ("Problems", {"fields": ["warnings_text", "error_text"]}),
    ]

    class Media:
        css = {"all": ["admin-extra/admin.css"]}

    # --- URLs and views -------------------------------------------------------

    def get_urls(self):
        return [
            path(
                "retrain/",
                self.admin_site.admin_view(self.retrain_view),
                name="training_trainingrun_retrain",
            ),
        ] + super().get_urls()

    def retrain_view(self, request):
        return views.retrain(self, request)

    def has_start_training_permission(self, request):
        return request.user.has_perm(views.START_TRAINING)

    def changelist_view(self, request, extra_context=None):
        active = TrainingRun.objects.filter(
            status__in=[TrainingRun.Status.QUEUED, TrainingRun.Status.RUNNING]
        ).exists()
        extra_context = {
            **(extra_context or {}),
            "auto_refresh_seconds": AUTO_REFRESH_SECONDS if active else None,
            "can_start_training": self.has_start_training_permission(request),
        }
        return super().changelist_view(request, extra_context)

    @admin.action(
        description="Retrain with these parameters",
        permissions=["start_training"],
    )
    def retrain_with_these_parameters(self, request, queryset):
        runs = list(queryset[:2])
        if len(runs) != 1:
            self.message_user(
                request,
                "Select exactly one run to retrain with its parameters.",
                messages.WARNING,
            )
            return None
        url = reverse("admin:training_trainingrun_retrain")
        return HttpResponseRedirect(f"{url}?{urlencode({'from_run': runs[0].pk})}")

    # --- List columns ---------------------------------------------------------

    @admin.display(description="Run", ordering="pk")
    def run_label(self, run):
        return f"Run #{run.pk}"

    @admin.display(description="Status", ordering="status")
    def status_badge(self, run):
        return format_html(
            '<span class="gv-status gv-status-{}">{}</span>', run.status, run.status
        )

    @admin.display(description="Reason", ordering="reason")
    def short_reason(self, run):
        return truncatechars(run.reason, 60) or "-"

    @admin.display(description="Models")
    def models(self, run):
        return views.model_types_label(run.model_types)

    @admin.display(description="Parameters")
    def parameters(self, run):
        return views.params_summary(run.params)

    @admin.display(description="Progress")
    def progress(self, run):
        return views.run_progress(run)

    @admin.display(description="Duration")
    def duration(self, run):
        return views.duration_text(run.duration_s)

    @admin.display(description="Best balanced accuracy")
    def best_balanced_accuracy(self, run):
        best = views.best_balanced_accuracy(run)
        return f"{best[1]:.4f} ({best[0]})" if best else "-"

    # --- Detail fields --------------------------------------------------------

    @admin.display(description="Parameters")
    def params_table(self, run):
        if not run.params:
            return "-"
        return format_html(
            "<table>{}</table>",
            format_html_join(
                "",
                "<tr><th>{}</th><td>{}</td></tr>",
                sorted(run.params.items()),
            ),
        )

    @admin.display(description="Held-out test metrics")
    def metrics_table(self, run):
        models = [m for m in run.metrics or {} if isinstance(run.metrics[m], dict)]
        if not models and not run.baseline_metrics:
            return "-"
        columns = [(m.upper(), run.metrics[m]) for m in models]
        if run.baseline_metrics:
            columns.append(("Pitch baseline", run.baseline_metrics))
        head = format_html_join("", "<th>{}</th>", ((name,) for name, _ in columns))
        body = format_html_join(
            "",
            "<tr><th>{}</th>{}</tr>",
            (
                (
                    label,
                    format_html_join(
                        "",
                        "<td>{}</td>",
                        ((views._fmt(values.get(key)),) for _, values in columns),
                    ),
                )
                for key, label in METRIC_KEYS
            ),
        )
        return format_html("<table><tr><th></th>{}</tr>{}</table>", head, body)

    @admin.display(description="Promotion decision")
    def decision_text(self, run):
        return _pre(run.decision)

    @admin.display(description="Model versions")
    def versions_produced(self, run):
        versions = list(run.versions.order_by("model_type"))
        if not versions:
            return "-"
        return format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            (
                (reverse("admin:training_modelversion_change", args=[v.pk]), str(v))
                for v in versions
            ),
        )

    @admin.display(description="Learning curves")
    def learning_curves(self, run):
        if not run.history:
            return "-"
        figures = []
        for model_type, epochs in run.history.items():
            if not isinstance(epochs, list) or not epochs:
                continue
            for metric, title in (("loss", "loss"), ("accuracy", "accuracy")):
                series = [
                    (
                        name,
                        [
                            (e.get("epoch", i + 1), float(e[key]))
                            for i, e in enumerate(epochs)
                            if isinstance(e.get(key), (int, float))
                        ],
                        css,
                    )
                    for name, key, css in (
                        ("train", metric, "train"),
                        ("validation", f"val_{metric}", "val"),
                    )
                ]
                chart = admin_charts.line_chart(
                    series,
                    title=f"{model_type.upper()} {title} per epoch",
                    y_label="epoch",
                    y_max=1.0 if metric == "accuracy" else None,
                )
                figures.append((f"{model_type.upper()} {title}", chart))
        return _figures(figures)

    @admin.display(description="Confusion matrices (test speakers)")
    def confusion_matrices(self, run):
        figures = [
            (
                model_type.upper(),
                admin_charts.confusion_matrix(
                    metrics["confusion_matrix"],
                    title=f"{model_type.upper()} confusion matrix",
                ),
            )
            for model_type, metrics in (run.metrics or {}).items()
            if isinstance(metrics, dict) and metrics.get("confusion_matrix")
        ]
        return _figures(figures)

    @admin.display(description="Data summary")
    def data_summary_json(self, run):
        return _pretty_json(run.data_summary)

    @admin.display(description="Evaluation speakers")
    def eval_speakers_list(self, run):
        return ", ".join(run.eval_speakers) if run.eval_speakers else "-"

    @admin.display(description="Warnings")
    def warnings_text(self, run):
        return _pre(run.warnings)

    @admin.display(description="Error")
    def error_text(self, run):
        return _pre(run.error)

    @admin.display(description="MLflow run")
    def mlflow_run(self, run):
        return views.mlflow_link(run.mlflow_run_id)


@admin.register(ModelVersion)
class ModelVersionAdmin(ReadOnlyAdmin):
    change_form_template = "admin/training/modelversion/change_form.html"
    list_display = [
        "__str__",
        "model_type",
        "stage",
        "balanced_accuracy_col",
        "accuracy_col",
        "baseline_col",
        "size",
        "n_parameters",
        "run_link",
        "created_at",
        "promoted_at",
    ]
    list_filter = ["model_type", "stage", "created_at"]
    list_select_related = ["run"]
    actions = ["compare_selected", "promote_selected", "roll_back_selected"]
    readonly_fields = [
        "model_type",
        "stage",
        "run_link",
        "artifact_path",
        "metrics_table",
        "confusion",
        "size",
        "n_parameters",
        "replaced",
        "created_at",
        "promoted_at",
        "mlflow_run",
        "registered_version",
    ]
    fields = readonly_fields

    class Media:
        css = {"all": ["admin-extra/admin.css"]}

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "compare/",
                wrap(self.compare_view),
                name="training_modelversion_compare",
            ),
            path(
                "rollback/<str:model_type>/",
                wrap(self.rollback_view),
                name="training_modelversion_rollback",
            ),
            path(
                "<int:object_id>/promote/",
                wrap(self.promote_view),
                name="training_modelversion_promote",
            ),
        ] + super().get_urls()

    def compare_view(self, request):
        return views.compare(self, request)

    def promote_view(self, request, object_id):
        return views.promote(self, request, object_id)

    def rollback_view(self, request, model_type):
        return views.rollback(self, request, model_type)

    def has_change_production_permission(self, request):
        return request.user.has_perm(views.CHANGE_PRODUCTION)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_change_production": self.has_change_production_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    # --- Actions --------------------------------------------------------------

    @admin.action(description="Compare selected versions", permissions=["view"])
    def compare_selected(self, request, queryset):
        pks = queryset.order_by("pk").values_list("pk", flat=True)
        ids = ",".join(str(pk) for pk in pks)
        url = reverse("admin:training_modelversion_compare")
        return HttpResponseRedirect(f"{url}?{urlencode({'ids': ids})}")

    @admin.action(
        description="Promote the selected version to production",
        permissions=["change_production"],
    )
    def promote_selected(self, request, queryset):
        versions = list(queryset[:2])
        if len(versions) != 1:
            self.message_user(
                request, "Select exactly one version to promote.", messages.WARNING
            )
            return None
        return HttpResponseRedirect(
            reverse("admin:training_modelversion_promote", args=[versions[0].pk])
        )

    @admin.action(
        description="Roll back the selected version's network",
        permissions=["change_production"],
    )
    def roll_back_selected(self, request, queryset):
        types = sorted(set(queryset.values_list("model_type", flat=True)))
        if len(types) != 1:
            self.message_user(
                request,
                "Select versions of one network type to roll it back.",
                messages.WARNING,
            )
            return None
        return HttpResponseRedirect(
            reverse("admin:training_modelversion_rollback", args=[types[0]])
        )

    # --- Columns and fields ---------------------------------------------------

    @admin.display(description="Balanced accuracy")
    def balanced_accuracy_col(self, version):
        return views._fmt(version.metrics.get("balanced_accuracy"))

    @admin.display(description="Accuracy")
    def accuracy_col(self, version):
        return views._fmt(version.metrics.get("accuracy"))

    @admin.display(description="Baseline bal. acc.")
    def baseline_col(self, version):
        return views._fmt(version.baseline_metrics.get("balanced_accuracy"))

    @admin.display(description="Size", ordering="size_bytes")
    def size(self, version):
        return filesizeformat(version.size_bytes)

    @admin.display(description="Run", ordering="run")
    def run_link(self, version):
        return format_html(
            '<a href="{}">#{}</a>',
            reverse("admin:training_trainingrun_change", args=[version.run_id]),
            version.run_id,
        )

    @admin.display(description="Held-out test metrics")
    def metrics_table(self, version):
        rows = [
            (
                label,
                views._fmt(version.metrics.get(key)),
                views._fmt(version.baseline_metrics.get(key)),
            )
            for key, label in METRIC_KEYS
        ]
        return format_html(
            "<table><tr><th></th><th>Model</th><th>Pitch baseline</th></tr>{}</table>",
            format_html_join("", "<tr><th>{}</th><td>{}</td><td>{}</td></tr>", rows),
        )

    @admin.display(description="Confusion matrix")
    def confusion(self, version):
        matrix = version.metrics.get("confusion_matrix")
        if not matrix:
            return "-"
        return admin_charts.confusion_matrix(
            matrix, title=f"{version} confusion matrix"
        )

    @admin.display(description="MLflow run")
    def mlflow_run(self, version):
        return views.mlflow_link(version.mlflow_run_id or version.run.mlflow_run_id)
