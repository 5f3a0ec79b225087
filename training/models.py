"""Training runs and the model versions they produce.

The database is the source of truth for which version serves: at most one version per
network type has stage ``production`` (a partial unique constraint), and promotion
switches that pointer in one transaction. MLflow's ``production`` alias mirrors it.
"""

from django.db import models
from django.db.models import Q


class ModelType(models.TextChoices):
    LSTM = "lstm", "LSTM"
    RNN = "rnn", "RNN"
    GRU = "gru", "GRU"


class TrainingRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    class Trigger(models.TextChoices):
        CLI = "cli", "command line"
        ADMIN = "admin", "admin request"
        API = "api", "API request"
        FEEDBACK = "feedback", "feedback threshold"
        SCHEDULE = "schedule", "weekly schedule"
        DATASET = "dataset", "dataset changed"
        ACCURACY = "accuracy", "accuracy dropped"

    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    reason = models.CharField(max_length=300, blank=True)
    model_types = models.JSONField(default=list)
    params = models.JSONField(
        default=dict, help_text="The whole training configuration."
    )
    dataset = models.CharField(max_length=500, blank=True)
    dataset_checksum = models.CharField(max_length=64, blank=True, db_index=True)
    eval_speakers = models.JSONField(default=list)
    current_model = models.CharField(max_length=8, blank=True)
    current_epoch = models.PositiveIntegerField(default=0)
    total_epochs = models.PositiveIntegerField(default=0)
    history = models.JSONField(
        default=dict, help_text="Per model type, per-epoch logs."
    )
    metrics = models.JSONField(default=dict, help_text="Held-out test metrics.")
    baseline_metrics = models.JSONField(default=dict)
    data_summary = models.JSONField(default=dict)
    decision = models.TextField(blank=True, help_text="Promotion decisions, per model.")
    warnings = models.TextField(blank=True)
    error = models.TextField(blank=True)
    mlflow_run_id = models.CharField(max_length=64, blank=True)
    requested_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life of the training process."
    )
    task_id = models.CharField(max_length=64, blank=True, help_text="django-q task.")

    class Meta:
        ordering = ["-created_at"]
        permissions = [("start_training", "Can start a training run")]

    def __str__(self):
        return f"Run #{self.pk} ({self.get_trigger_display()}, {self.status})"

    @property
    def duration_s(self):
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class ModelVersion(models.Model):
    class Stage(models.TextChoices):
        CANDIDATE = "candidate"
        PRODUCTION = "production"
        ARCHIVED = "archived"

    run = models.ForeignKey(
        TrainingRun, on_delete=models.PROTECT, related_name="versions"
    )
    model_type = models.CharField(max_length=8, choices=ModelType.choices)
    artifact_path = models.CharField(
        max_length=500, help_text="Folder relative to MODELS_ROOT."
    )
    stage = models.CharField(
        max_length=16, choices=Stage.choices, default=Stage.CANDIDATE, db_index=True
    )
    metrics = models.JSONField(default=dict)
    baseline_metrics = models.JSONField(default=dict)
    size_bytes = models.PositiveBigIntegerField(default=0)
    n_parameters = models.PositiveIntegerField(default=0)
    replaced = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The production version this one replaced; rollback restores it.",
    )
    mlflow_run_id = models.CharField(max_length=64, blank=True)
    registered_version = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    promoted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["model_type"],
                condition=Q(stage="production"),
                name="one_production_version_per_model_type",
            )
        ]
        permissions = [("change_production", "Can promote or roll back models")]

    def __str__(self):
        return f"{self.get_model_type_display()} v{self.pk} ({self.stage})"

    @property
    def balanced_accuracy(self):
        return self.metrics.get("balanced_accuracy")


class TriggerState(models.Model):
    """The last state a retrain trigger acted on, claimed with compare-and-swap.

    ``filter(name=..., cursor=old).update(cursor=new) == 1`` succeeds in exactly one
    of several concurrent processes, so one threshold crossing makes one run.
    """

    name = models.CharField(max_length=32, unique=True)
    cursor = models.CharField(max_length=128, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.name}: {self.cursor or '-'}"
