"""API shapes: what clients send and what they get back (also the OpenAPI schema)."""

from rest_framework import serializers

from predictions.models import Prediction

MODEL_CHOICES = ["lstm", "rnn", "gru", "all"]


class PredictionRequestSerializer(serializers.Serializer):
    audio = serializers.FileField(
        help_text="A recording: wav, flac, mp3, ogg/opus, m4a or webm.",
        allow_empty_file=True,
    )
    model = serializers.ChoiceField(
        choices=MODEL_CHOICES,
        required=False,
        allow_blank=True,
        help_text="Default: the production model with the best held-out score.",
    )


class BatchRequestSerializer(serializers.Serializer):
    audio = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        min_length=1,
        help_text="Several files, each in a part named 'audio'.",
    )
    model = serializers.ChoiceField(
        choices=MODEL_CHOICES, required=False, allow_blank=True
    )


class ProbabilitiesSerializer(serializers.Serializer):
    female = serializers.FloatField()
    male = serializers.FloatField()


class SegmentSerializer(serializers.Serializer):
    start_s = serializers.FloatField()
    end_s = serializers.FloatField()
    label = serializers.ChoiceField(choices=["female", "male", "uncertain"])
    confidence = serializers.FloatField()
    speech_ratio = serializers.FloatField()


class SpeechShareSerializer(serializers.Serializer):
    """Present for recordings longer than one window, empty otherwise."""

    female = serializers.FloatField(required=False)
    male = serializers.FloatField(required=False)
    uncertain = serializers.FloatField(required=False)


class AnswerSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    model = serializers.CharField(source="model_type")
    model_version = serializers.IntegerField(source="model_version_id")
    probabilities = ProbabilitiesSerializer()
    segments = SegmentSerializer(many=True)
    speech_share = SpeechShareSerializer(
        required=False, help_text="Empty for clips shorter than two windows."
    )
    duration_s = serializers.FloatField(source="recording.duration_s")
    recording = serializers.UUIDField(source="recording.public_id")

    class Meta:
        model = Prediction
        fields = [
            "id",
            "label",
            "confidence",
            "probabilities",
            "model",
            "model_version",
            "segments",
            "speech_share",
            "duration_s",
            "recording",
            "latency_ms",
            "created_at",
        ]


class PredictionSerializer(AnswerSerializer):
    comparison = serializers.SerializerMethodField(
        help_text="With model=all: every network's answer on the same recording."
    )

    class Meta(AnswerSerializer.Meta):
        fields = AnswerSerializer.Meta.fields + ["comparison"]

    def get_comparison(self, obj) -> list[dict]:
        siblings = self.context.get("comparison")
        if siblings is None:
            siblings = list(obj.recording.predictions.select_related("recording"))
        if len(siblings) < 2:
            return []
        return AnswerSerializer(siblings, many=True).data

    get_comparison.__annotations__["return"] = list[dict]


class ErrorSerializer(serializers.Serializer):
    error = serializers.CharField(help_text="A machine-readable code.")
    detail = serializers.CharField(help_text="What is wrong, in words.")


class BatchItemSerializer(serializers.Serializer):
    filename = serializers.CharField()
    status = serializers.IntegerField(help_text="The status a single upload would get.")
    prediction = PredictionSerializer(required=False)
    error = serializers.CharField(required=False)
    detail = serializers.CharField(required=False)


class BatchResponseSerializer(serializers.Serializer):
    results = BatchItemSerializer(many=True)


class ModelVersionSerializer(serializers.Serializer):
    model = serializers.CharField(source="model_type")
    version = serializers.IntegerField(source="pk")
    stage = serializers.CharField()
    metrics = serializers.DictField(help_text="Held-out test speakers' metrics.")
    baseline_metrics = serializers.DictField(help_text="The pitch baseline, same set.")
    promoted_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    size_bytes = serializers.IntegerField()
    best = serializers.BooleanField(help_text="The default model for predictions.")


class HealthCheckSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    detail = serializers.CharField()


class HealthSerializer(serializers.Serializer):
    ready = serializers.BooleanField()
    checks = serializers.DictField(child=HealthCheckSerializer())
