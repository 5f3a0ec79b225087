"""python manage.py train --model-type lstm|rnn|gru|all [--epochs N ...]"""

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from training.models import TrainingRun
from training.networks import MODEL_TYPES
from training.pipeline import DEFAULTS, training_run_create, training_run_execute
from training.reports import comparison_table


class Command(BaseCommand):
    help = "Train, evaluate on held-out speakers and (if better) promote networks."

    def add_arguments(self, parser):
        parser.add_argument(
            "--model-type", default="all", choices=[*MODEL_TYPES, "all"]
        )
        parser.add_argument("--epochs", type=int, default=DEFAULTS["epochs"])
        parser.add_argument("--batch-size", type=int, default=DEFAULTS["batch_size"])
        parser.add_argument(
            "--learning-rate", type=float, default=DEFAULTS["learning_rate"]
        )
        parser.add_argument("--patience", type=int, default=DEFAULTS["patience"])
        parser.add_argument("--units", type=int, default=DEFAULTS["units"])
        parser.add_argument(
            "--augment-copies", type=int, default=DEFAULTS["augment_copies"]
        )
        parser.add_argument("--seed", type=int, default=DEFAULTS["seed"])
        parser.add_argument(
            "--data", default=None, help="A manifest.csv (default: the bundled dataset)"
        )
        parser.add_argument(
            "--use-processed",
            action="store_true",
            help="Cache features under data/processed/ (keyed by data and settings).",
        )
        parser.add_argument(
            "--use-feedback",
            action="store_true",
            help="Also train on the audio of consented feedback.",
        )
        parser.add_argument(
            "--no-promote", action="store_true", help="Never change production."
        )
        parser.add_argument("--json", action="store_true", help="Print a JSON summary.")

    def handle(self, *args, **opts):
        checks = {
            "epochs": (1, 1000),
            "batch_size": (1, 4096),
            "learning_rate": (1e-6, 1.0),
            "patience": (1, 1000),
            "units": (2, 1024),
            "augment_copies": (0, 10),
        }
        for name, (low, high) in checks.items():
            if not low <= opts[name] <= high:
                raise CommandError(
                    f"--{name.replace('_', '-')} must be in [{low}, {high}]"
                )
        params = {name: opts[name] for name in checks} | {
            "seed": opts["seed"],
            "use_processed": opts["use_processed"],
            "use_feedback": opts["use_feedback"],
            "promote": not opts["no_promote"],
        }
        run = training_run_create(
            trigger=TrainingRun.Trigger.CLI,
            model_type=opts["model_type"],
            params=params,
            dataset=opts["data"],
            reason="manage.py train",
        )
        bar = _ProgressBar(enabled=not opts["json"])
        run = training_run_execute(run, progress=bar.update)
        bar.close()
        if opts["json"]:
            self.stdout.write(json.dumps(_summary(run), indent=2))
        elif run.status == TrainingRun.Status.SUCCEEDED:
            self.stdout.write(comparison_table(run.metrics, run.baseline_metrics))
            self.stdout.write("\n" + run.decision)
            if run.warnings:
                self.stderr.write(run.warnings)
        if run.status != TrainingRun.Status.SUCCEEDED:
            raise CommandError(f"Training run {run.pk} failed: {run.error[:2000]}")


def _summary(run):
    return {
        "run": run.pk,
        "status": run.status,
        "duration_s": run.duration_s,
        "metrics": run.metrics,
        "baseline": run.baseline_metrics,
        "decision": run.decision,
        "warnings": run.warnings,
    }


class _ProgressBar:
    """One tqdm bar per stage on stderr (features, then each network's epochs)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled and sys.stderr is not None
        self.bar = None
        self.stage = None

    def update(self, stage: str, done: int, total: int):
        if not self.enabled:
            return
        from tqdm import tqdm

        if stage != self.stage:
            self.close()
            self.stage = stage
            self.bar = tqdm(total=total, desc=stage, file=sys.stderr, leave=True)
        self.bar.n = done
        self.bar.refresh()

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None
