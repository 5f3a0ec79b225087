"""Corrections from people, and their consent to train on their recording."""

from django.db import models


class Feedback(models.Model):
    class Gender(models.TextChoices):
        FEMALE = "female"
        MALE = "male"

    prediction = models.ForeignKey(
        "predictions.Prediction", on_delete=models.CASCADE, related_name="feedback"
    )
    is_correct = models.BooleanField(help_text="Did the prediction name the voice?")
    true_gender = models.CharField(max_length=8, choices=Gender.choices)
    comment = models.TextField(blank=True, max_length=2000)
    consent_to_train = models.BooleanField(
        default=False,
        help_text="The person agreed that the recording may be used for training.",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "feedback"

    def __str__(self):
        verdict = "correct" if self.is_correct else "incorrect"
        return f"{verdict}: {self.true_gender} (prediction {self.prediction_id})"
