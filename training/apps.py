from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import post_save


def _feedback_saved(sender, instance, created, **kwargs):
    """New consented feedback may cross the retrain threshold (checked after commit)."""
    if created and instance.consent_to_train:
        from training.triggers import feedback_threshold_check

        transaction.on_commit(feedback_threshold_check)


class TrainingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "training"
    verbose_name = "Training and models"

    def ready(self):
        # feedback never imports training: training listens to it.
        post_save.connect(
            _feedback_saved, sender="feedback.Feedback", dispatch_uid="retrain-trigger"
        )
