"""Execute one queued training run (the queue worker starts this in a subprocess)."""

from django.core.management.base import BaseCommand, CommandError

from training.models import TrainingRun
from training.pipeline import training_run_execute


class Command(BaseCommand):
    help = "Execute a training run recorded in the database."

    def add_arguments(self, parser):
        parser.add_argument("run_id", type=int)

    def handle(self, *args, **opts):
        try:
            run = TrainingRun.objects.get(pk=opts["run_id"])
        except TrainingRun.DoesNotExist as exc:
            raise CommandError(f"No training run {opts['run_id']}.") from exc
        run = training_run_execute(run)
        if run.status != TrainingRun.Status.SUCCEEDED:
            raise CommandError(f"Training run {run.pk} failed.")
