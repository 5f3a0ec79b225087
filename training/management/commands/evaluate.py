"""python manage.py evaluate --manifest PATH [--model lstm|rnn|gru|all] [--json]"""

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from training.datasets import ManifestError, load_manifest
from training.networks import MODEL_TYPES
from training.scoring import score_clips, summary
from training.serving import ModelUnavailable, production_predictor


class Command(BaseCommand):
    help = "Evaluate the production model(s) and the pitch baseline on any manifest."

    def add_arguments(self, parser):
        parser.add_argument("--manifest", default=str(settings.DEFAULT_DATASET))
        parser.add_argument("--model", default="all", choices=[*MODEL_TYPES, "all"])
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **opts):
        try:
            clips = load_manifest(opts["manifest"])
        except ManifestError as exc:
            raise CommandError(str(exc)) from exc
        types = MODEL_TYPES if opts["model"] == "all" else [opts["model"]]
        predictors = {}
        for model_type in types:
            try:
                predictors[model_type] = production_predictor(model_type)[1]
            except ModelUnavailable as exc:
                if opts["model"] != "all":
                    raise CommandError(str(exc)) from exc
        if not predictors:
            raise CommandError("No production model yet: run `manage.py train` first.")
        scores = score_clips(predictors, clips)
        first = next(iter(scores.values()))
        if not first.labels:
            raise CommandError(
                f"None of the {len(clips)} clips could be decoded "
                f"(first error: {first.skipped[0]['error']})."
            )
        report = {
            "manifest": opts["manifest"],
            "clips_listed": len(clips),
            "clips_skipped": len(first.skipped),
            "skipped": first.skipped[:20],
            "models": {name: summary(s.metrics()) for name, s in scores.items()},
            # The pitch rule's threshold comes with each model; the first one's is used.
            "baseline": summary(first.baseline_metrics())
            | {
                "threshold_hz": next(
                    iter(predictors.values())
                ).meta.pitch_baseline.threshold_hz
            },
        }
        if opts["json"]:
            self.stdout.write(json.dumps(report))
            return
        self.stdout.write(
            f"{report['clips_listed']} clips listed, {report['clips_skipped']} skipped"
        )
        rows = list(report["models"].items()) + [("pitch baseline", report["baseline"])]
        self.stdout.write(
            f"{'model':<16}{'clips':>6}{'acc':>8}{'bal.acc':>9}{'rec.M':>8}"
            f"{'rec.F':>8}{'speaker':>9}{'AUC':>8}"
        )
        for name, m in rows:
            self.stdout.write(
                f"{name:<16}{m['clips']:>6}{m['accuracy']:>8.4f}"
                f"{m['balanced_accuracy']:>9.4f}{m['recall_male']:>8.4f}"
                f"{m['recall_female']:>8.4f}{m['speaker_accuracy']:>9.4f}"
                f"{(m['roc_auc'] or float('nan')):>8.4f}"
            )
