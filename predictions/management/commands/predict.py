"""python manage.py predict FILE... [--model lstm|rnn|gru|all] [--json]"""

import json

from django.core.management.base import BaseCommand, CommandError

from predictions.models import Recording
from predictions.services import prediction_create
from training.audio import AudioError
from training.networks import MODEL_TYPES
from training.serving import ModelUnavailable


class Command(BaseCommand):
    help = "Predict the gender of the voice in each file."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+")
        parser.add_argument("--model", default="", choices=["", *MODEL_TYPES, "all"])
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **opts):
        results, failed = [], 0
        for path in opts["files"]:
            try:
                recording, predictions = prediction_create(
                    source=path,
                    filename=path,
                    origin=Recording.Source.CLI,
                    model=opts["model"] or None,
                )
            except AudioError as exc:
                failed += 1
                results.append({"file": path, "error": exc.code, "detail": exc.message})
                continue
            except (ModelUnavailable, OSError) as exc:
                failed += 1
                results.append(
                    {"file": path, "error": "unavailable", "detail": str(exc)}
                )
                continue
            results.append(
                {
                    "file": path,
                    "recording": str(recording.public_id),
                    "duration_s": recording.duration_s,
                    "predictions": [_answer(p) for p in predictions],
                }
            )
        if opts["json"]:
            self.stdout.write(json.dumps({"results": results}, indent=2))
        else:
            for item in results:
                self.stdout.write(_describe(item))
        if failed:
            raise CommandError(f"{failed} of {len(results)} file(s) could not be used.")


def _answer(prediction) -> dict:
    return {
        "id": str(prediction.public_id),
        "model_type": prediction.model_type,
        "model_version": prediction.model_version_id,
        "label": prediction.label,
        "confidence": prediction.confidence,
        "probabilities": prediction.probabilities,
        "segments": prediction.segments,
        "speech_share": prediction.speech_share,
    }


def _describe(item: dict) -> str:
    if "error" in item:
        return f"{item['file']}: cannot be used ({item['error']}): {item['detail']}"
    lines = []
    for answer in item["predictions"]:
        p = answer["probabilities"]
        lines.append(
            f"{item['file']}: {answer['label']} ({answer['model_type'].upper()}, "
            f"confidence {answer['confidence']:.2f}; P(female)={p['female']:.3f}, "
            f"P(male)={p['male']:.3f})"
        )
    return "\n".join(lines)
