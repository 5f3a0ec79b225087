"""The admin's own pages for training and models: retrain, compare, promote, roll back.

Each view takes the ``ModelAdmin`` it belongs to, checks its permission itself (the
admin site already requires an active staff user), logs what it did as an admin
``LogEntry`` (so it shows in the object's history, with who did it) and never trains:
a retrain is queued through ``training_run_enqueue`` and the request returns at once.
"""

from __future__ import annotations

import logging

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from training.jobs import training_run_enqueue
from training.models import ModelType, ModelVersion, TrainingRun
from training.pipeline import DEFAULTS, RETRAIN_RANGES
from training.registry import RegistryError, model_promote, model_rollback

log = logging.getLogger(__name__)

START_TRAINING = "training.start_training"
CHANGE_PRODUCTION = "training.change_production"
ALL = "all"


# --- Shared helpers --------------------------------------------------------------


def admin_context(model_admin, request, title: str, **extra) -> dict:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        **extra,
    }


def mlflow_link(run_id: str):
    """A link to the MLflow run when the tracking server has a web UI, else its id."""
    if not run_id:
        return "-"
    uri = str(settings.MLFLOW_TRACKING_URI)
    if uri.startswith(("http://", "https://")):
        return format_html(
            '<a href="{}/#/runs/{}" target="_blank" rel="noopener">{}</a>',
            uri.rstrip("/"),
            run_id,
            run_id,
        )
    return format_html(
        "<code>{}</code> <span class='gv-muted'>({})</span>", run_id, uri
    )


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


def params_summary(params: dict) -> str:
    if not params:
        return "-"
    parts = [
        f"{params.get('epochs', '?')} epochs",
        f"batch {params.get('batch_size', '?')}",
        f"lr {params.get('learning_rate', '?')}",
    ]
    if params.get("use_feedback"):
        parts.append("+ feedback")
    return " · ".join(parts)


def best_balanced_accuracy(run: TrainingRun) -> tuple[str, float] | None:
    scores = [
        (model_type, metrics["balanced_accuracy"])
        for model_type, metrics in (run.metrics or {}).items()
        if isinstance(metrics, dict) and metrics.get("balanced_accuracy") is not None
    ]
    return max(scores, key=lambda s: s[1]) if scores else None


def model_types_label(model_types: list[str]) -> str:
    if set(model_types or []) == set(ModelType.values) and len(model_types) > 1:
        return "all (" + ", ".join(m.upper() for m in model_types) + ")"
    return ", ".join(m.upper() for m in model_types or []) or "-"


def run_progress(run: TrainingRun) -> str:
    if run.status == TrainingRun.Status.RUNNING:
        if not run.current_model:
            return "preparing data"
        total = run.total_epochs or run.params.get("epochs") or 0
        types = run.model_types or []
        position = (
            f", model {types.index(run.current_model) + 1} of {len(types)}"
            if run.current_model in types and len(types) > 1
            else ""
        )
        return format_html(
            '<span class="gv-progress">epoch {} of {} ({}{}) '
            '<progress max="{}" value="{}"></progress></span>',
            run.current_epoch,
            total,
            run.current_model,
            position,
            total or 1,
            min(run.current_epoch, total or 1),
        )
    if run.status == TrainingRun.Status.QUEUED:
        return "waiting for a worker"
    return "-"


def _username(request) -> str:
    return request.user.get_username()


# --- Retrain ---------------------------------------------------------------------


def _bounded(field_class, name: str, label: str, help_text: str, **kwargs):
    """A form field for a retrain setting, within RETRAIN_RANGES, with clear errors."""
    low, high = RETRAIN_RANGES[name]
    return field_class(
        min_value=low,
        max_value=high,
        initial=DEFAULTS[name],
        help_text=help_text.format(low=low, high=high),
        error_messages={
            "min_value": f"{label} must be at least {low}.",
            "max_value": f"{label} must be at most {high}.",
        },
        **kwargs,
    )


class RetrainForm(forms.Form):
    """What an operator may choose for a retrain; the ranges are the product's."""

    model_type = forms.ChoiceField(
        choices=[(ALL, "All three (LSTM, RNN, GRU)")] + list(ModelType.choices),
        initial=ALL,
        help_text="Which networks to train.",
    )
    epochs = _bounded(
        forms.IntegerField,
        "epochs",
        "Epochs",
        help_text="{low} to {high}. Early stopping may end training sooner.",
    )
    batch_size = _bounded(
        forms.IntegerField,
        "batch_size",
        "Batch size",
        help_text="{low} to {high} windows per step.",
    )
    learning_rate = _bounded(
        forms.FloatField,
        "learning_rate",
        "Learning rate",
        help_text="{low} to {high} (Adam).",
        widget=forms.NumberInput(attrs={"step": "0.0001"}),
    )
    use_feedback = forms.TypedChoiceField(
        choices=[("no", "No: the base dataset only"), ("yes", "Yes")],
        coerce=lambda value: value == "yes",
        initial="yes" if DEFAULTS["use_feedback"] else "no",
        widget=forms.RadioSelect,
        label="Use feedback",
        help_text="Also train on the audio of every consented feedback item.",
    )

    def params(self) -> dict:
        data = self.cleaned_data
        return {
            "epochs": data["epochs"],
            "batch_size": data["batch_size"],
            "learning_rate": data["learning_rate"],
            "use_feedback": data["use_feedback"],
        }


def retrain_initial(run: TrainingRun) -> dict:
    """The form's initial values from an earlier run's parameters."""
    params = run.params or {}
    types = run.model_types or []
    return {
        "model_type": types[0] if len(types) == 1 else ALL,
        "epochs": params.get("epochs", DEFAULTS["epochs"]),
        "batch_size": params.get("batch_size", DEFAULTS["batch_size"]),
        "learning_rate": params.get("learning_rate", DEFAULTS["learning_rate"]),
        "use_feedback": "yes" if params.get("use_feedback") else "no",
    }


def retrain(model_admin, request):
    """GET: the retrain form (pre-filled from ``?from_run=<id>``); POST: queue it."""
    if not request.user.has_perm(START_TRAINING):
        raise PermissionDenied
    source = None
    if request.method == "POST":
        form = RetrainForm(request.POST)
        if form.is_valid():
            try:
                run = training_run_enqueue(
                    trigger=TrainingRun.Trigger.ADMIN,
                    model_type=form.cleaned_data["model_type"],
                    params=form.params(),
                    reason="requested in the admin",
                    requested_by=_username(request),
                )
            except ValueError as exc:
                form.add_error(None, str(exc))
            else:
                model_admin.log_addition(
                    request,
                    run,
                    f"Queued a retrain ({model_types_label(run.model_types)}; "
                    f"{params_summary(run.params)}).",
                )
                log.info("%s queued %s from the admin", _username(request), run)
                model_admin.message_user(
                    request,
                    f"{run} is queued. A worker will start it shortly; this page "
                    "shows its progress.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:training_trainingrun_change", args=[run.pk])
                )
    else:
        initial = {}
        from_run = request.GET.get("from_run", "")
        if from_run.isdigit():
            source = TrainingRun.objects.filter(pk=int(from_run)).first()
            if source is not None:
                initial = retrain_initial(source)
        form = RetrainForm(initial=initial)
    context = admin_context(
        model_admin,
        request,
        "Retrain the models",
        form=form,
        source=source,
        defaults=DEFAULTS,
        active_runs=TrainingRun.objects.filter(
            status__in=[TrainingRun.Status.QUEUED, TrainingRun.Status.RUNNING]
        ).count(),
    )
    return TemplateResponse(request, "admin/training/trainingrun/retrain.html", context)


# --- Model versions: compare -----------------------------------------------------


def _fmt(value, digits: int = 4) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


# (label, how to read it from a version, higher is better / lower is better / None)
COMPARE_ROWS = [
    ("Accuracy", lambda v: v.metrics.get("accuracy"), max),
    ("Balanced accuracy", lambda v: v.metrics.get("balanced_accuracy"), max),
    ("Precision (female)", lambda v: v.metrics.get("precision_female"), max),
    ("Precision (male)", lambda v: v.metrics.get("precision_male"), max),
    ("Recall (female)", lambda v: v.metrics.get("recall_female"), max),
    ("Recall (male)", lambda v: v.metrics.get("recall_male"), max),
    ("ROC AUC", lambda v: v.metrics.get("roc_auc"), max),
    ("Log loss", lambda v: v.metrics.get("log_loss"), min),
    ("Speaker accuracy", lambda v: v.metrics.get("speaker_accuracy"), max),
    ("Test clips / speakers", lambda v: _clips(v.metrics), None),
    (
        "Baseline balanced accuracy",
        lambda v: v.baseline_metrics.get("balanced_accuracy"),
        None,
    ),
    ("Size (bytes)", lambda v: v.size_bytes, None),
    ("Parameters", lambda v: v.n_parameters, None),
]


def _clips(metrics: dict) -> str:
    if "clips" not in metrics:
        return "-"
    return f"{metrics['clips']} / {metrics.get('speakers', '?')}"


def _data_rows(versions: list[ModelVersion]) -> list[tuple[str, list[str]]]:
    def summary(v, key):
        return (v.run.data_summary or {}).get(key)

    def params(v, key):
        return (v.run.params or {}).get(key)

    def split(v, key):
        value = summary(v, key) or {}
        return " / ".join(
            str(value.get(k, "?")) for k in ("train", "validation", "test")
        )

    rows = [
        ("Dataset", [v.run.dataset or "-" for v in versions]),
        ("Dataset checksum", [(v.run.dataset_checksum or "-")[:12] for v in versions]),
        ("Clips in dataset", [_fmt(summary(v, "clips")) for v in versions]),
        ("Speakers train / val / test", [split(v, "speakers") for v in versions]),
        ("Clips train / val / test", [split(v, "clips_used") for v in versions]),
        ("Augmented copies", [_fmt(summary(v, "augmented_copies")) for v in versions]),
    ]
    for key in ("epochs", "batch_size", "learning_rate", "units", "use_feedback"):
        label = key.replace("_", " ").capitalize()
        rows.append((label, [_fmt(params(v, key), 6) for v in versions]))
    return rows


def compare_table(versions: list[ModelVersion]) -> list[dict]:
    rows = []
    for label, read, better in COMPARE_ROWS:
        values = [read(v) for v in versions]
        numbers = [x for x in values if isinstance(x, (int, float))]
        best = better(numbers) if better and len(numbers) > 1 else None
        cells = []
        for value in values:
            text = (
                f"{filesizeformat(value)} ({value})"
                if label.startswith("Size")
                else _fmt(value)
            )
            cells.append({"text": text, "best": best is not None and value == best})
        rows.append({"label": label, "cells": cells})
    for label, texts in _data_rows(versions):
        rows.append({"label": label, "cells": [{"text": t} for t in texts]})
    return rows


def compare(model_admin, request):
    """Side by side: metrics, baseline, size and training data of chosen versions."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    ids = [int(x) for x in request.GET.get("ids", "").split(",") if x.isdigit()]
    versions = list(
        ModelVersion.objects.filter(pk__in=ids).select_related("run").order_by("pk")
    )
    if not versions:
        model_admin.message_user(
            request, "Select the versions to compare.", messages.WARNING
        )
        return HttpResponseRedirect(reverse("admin:training_modelversion_changelist"))
    context = admin_context(
        model_admin,
        request,
        "Compare model versions",
        versions=versions,
        rows=compare_table(versions),
        mlflow=[mlflow_link(v.mlflow_run_id) for v in versions],
    )
    return TemplateResponse(
        request, "admin/training/modelversion/compare.html", context
    )


# --- Model versions: promote and roll back ---------------------------------------


def _require_change_production(request):
    if not request.user.has_perm(CHANGE_PRODUCTION):
        raise PermissionDenied


def promote(model_admin, request, object_id):
    """GET: what would change; POST with ``confirm``: promote the version."""
    _require_change_production(request)
    version = get_object_or_404(
        ModelVersion.objects.select_related("run"), pk=object_id
    )
    page = reverse("admin:training_modelversion_change", args=[version.pk])
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        try:
            version = model_promote(
                version=version, actor=_username(request), reason="admin"
            )
        except RegistryError as exc:
            model_admin.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(page)
        replaced = version.replaced
        model_admin.log_change(
            request,
            version,
            (
                f"Promoted to production, replacing {replaced}."
                if replaced
                else "Promoted to production."
            ),
        )
        if replaced is not None:
            model_admin.log_change(request, replaced, f"Archived: {version} promoted.")
        log.info("%s promoted %s from the admin", _username(request), version)
        model_admin.message_user(
            request,
            f"{version} now serves {version.get_model_type_display()}.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(page)
    current = (
        ModelVersion.objects.filter(
            stage=ModelVersion.Stage.PRODUCTION, model_type=version.model_type
        )
        .exclude(pk=version.pk)
        .first()
    )
    context = admin_context(
        model_admin,
        request,
        f"Promote {version}?",
        version=version,
        current=current,
        action="promote",
        already=version.stage == ModelVersion.Stage.PRODUCTION,
        worse=bool(
            current
            and (version.balanced_accuracy or 0) < (current.balanced_accuracy or 0)
        ),
        cancel_url=page,
    )
    return TemplateResponse(
        request, "admin/training/modelversion/confirm.html", context
    )


def rollback(model_admin, request, model_type):
    """GET: what would be restored; POST with ``confirm``: roll the type back."""
    _require_change_production(request)
    if model_type not in ModelType.values:
        raise Http404("Unknown model type.")
    changelist = reverse("admin:training_modelversion_changelist")
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        current = ModelVersion.objects.filter(
            stage=ModelVersion.Stage.PRODUCTION, model_type=model_type
        ).first()
        try:
            restored = model_rollback(model_type=model_type, actor=_username(request))
        except RegistryError as exc:
            model_admin.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(changelist)
        model_admin.log_change(
            request, restored, f"Restored to production by a rollback of {current}."
        )
        model_admin.log_change(request, current, f"Rolled back: {restored} restored.")
        log.info("%s rolled %s back to %s", _username(request), model_type, restored)
        model_admin.message_user(
            request,
            f"{model_type.upper()} rolled back: {restored} serves again.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(
            reverse("admin:training_modelversion_change", args=[restored.pk])
        )
    current = (
        ModelVersion.objects.filter(
            stage=ModelVersion.Stage.PRODUCTION, model_type=model_type
        )
        .select_related("replaced", "run")
        .first()
    )
    context = admin_context(
        model_admin,
        request,
        f"Roll back {model_type.upper()}?",
        action="rollback",
        model_type=model_type,
        current=current,
        version=current.replaced if current else None,
        cancel_url=changelist,
    )
    return TemplateResponse(
        request, "admin/training/modelversion/confirm.html", context
    )
