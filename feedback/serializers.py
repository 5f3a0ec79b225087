from rest_framework import serializers

from feedback.models import Feedback
from predictions.models import Prediction


class FeedbackSerializer(serializers.ModelSerializer):
    prediction = serializers.SlugRelatedField(
        slug_field="public_id",
        queryset=Prediction.objects.all(),
        help_text="The id of the prediction being corrected.",
    )
    is_correct = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Derived from true_gender when left out.",
    )

    class Meta:
        model = Feedback
        fields = [
            "id",
            "prediction",
            "true_gender",
            "is_correct",
            "comment",
            "consent_to_train",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]
