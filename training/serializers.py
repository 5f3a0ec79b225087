from rest_framework import serializers

from training.models import ModelVersion, TrainingRun
from training.pipeline import DEFAULTS, RETRAIN_RANGES


class VersionSummarySerializer(serializers.ModelSerializer):
    balanced_accuracy = serializers.FloatField(allow_null=True)

    class Meta:
        model = ModelVersion
        fields = ["id", "model_type", "stage", "balanced_accuracy", "promoted_at"]


class TrainingRunSerializer(serializers.ModelSerializer):
    versions = VersionSummarySerializer(many=True, read_only=True)
    duration_s = serializers.FloatField(allow_null=True, read_only=True)

    class Meta:
        model = TrainingRun
        fields = [
            "id",
            "status",
            "trigger",
            "reason",
            "model_types",
            "params",
            "current_model",
            "current_epoch",
            "total_epochs",
            "metrics",
            "baseline_metrics",
            "data_summary",
            "decision",
            "warnings",
            "error",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
            "duration_s",
            "versions",
        ]
        read_only_fields = fields


class TrainingRunRequestSerializer(serializers.Serializer):
    model_type = serializers.ChoiceField(
        choices=["lstm", "rnn", "gru", "all"], default="all"
    )
    epochs = serializers.IntegerField(
        min_value=RETRAIN_RANGES["epochs"][0],
        max_value=RETRAIN_RANGES["epochs"][1],
        default=DEFAULTS["epochs"],
    )
    batch_size = serializers.IntegerField(
        min_value=RETRAIN_RANGES["batch_size"][0],
        max_value=RETRAIN_RANGES["batch_size"][1],
        default=DEFAULTS["batch_size"],
    )
    learning_rate = serializers.FloatField(
        min_value=RETRAIN_RANGES["learning_rate"][0],
        max_value=RETRAIN_RANGES["learning_rate"][1],
        default=DEFAULTS["learning_rate"],
    )
    use_feedback = serializers.BooleanField(default=False)
