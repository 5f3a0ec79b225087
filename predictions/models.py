"""Uploaded recordings and the predictions made on them.

Audio is kept under a random name in MEDIA_ROOT (never under static files) so that a
person's correction, given with consent, can retrain the models on the real audio.
Recordings without consented feedback are purged after the retention period.
Public URLs and API ids are random UUIDs: predictions cannot be enumerated.
"""

import uuid

from django.db import models


class Recording(models.Model):
    class Source(models.TextChoices):
        PAGE = "page"
        API = "api"
        CLI = "cli"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    audio = models.FileField(upload_to="recordings/%Y/%m/", max_length=300, blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    format = models.CharField(max_length=32)
    codec = models.CharField(max_length=32, blank=True)
    duration_s = models.FloatField()
    sample_rate = models.PositiveIntegerField(help_text="Of the original file.")
    channels = models.PositiveSmallIntegerField(default=1)
    sha256 = models.CharField(max_length=64, db_index=True)
    size_bytes = models.PositiveBigIntegerField()
    speech_ratio = models.FloatField(default=0.0)
    source = models.CharField(max_length=8, choices=Source.choices)
    uploaded_at = models.DateTimeField(auto_now_add=True, db_index=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self):
        return f"{self.original_name or 'recording'} ({self.duration_s:.1f} s)"


class Prediction(models.Model):
    class Label(models.TextChoices):
        FEMALE = "female"
        MALE = "male"
        UNCERTAIN = "uncertain"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    recording = models.ForeignKey(
        Recording, on_delete=models.CASCADE, related_name="predictions"
    )
    model_version = models.ForeignKey(
        "training.ModelVersion",
        on_delete=models.PROTECT,
        related_name="predictions",
    )
    model_type = models.CharField(max_length=8)
    label = models.CharField(max_length=16, choices=Label.choices)
    confidence = models.FloatField()
    p_female = models.FloatField()
    segments = models.JSONField(default=list, blank=True)
    speech_share = models.JSONField(default=dict, blank=True)
    latency_ms = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "pk"]

    def __str__(self):
        return f"{self.label} ({self.confidence:.2f}, {self.model_type})"

    @property
    def p_male(self) -> float:
        return round(1.0 - self.p_female, 4)

    @property
    def probabilities(self) -> dict:
        return {"female": self.p_female, "male": self.p_male}
