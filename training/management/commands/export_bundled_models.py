"""python manage.py export_bundled_models: ship the production models with the code."""

from django.core.management.base import BaseCommand, CommandError

from training.bundled import bundled_models_export
from training.registry import production_versions


class Command(BaseCommand):
    help = "Copy the production models (LiteRT + meta) into models/bundled/."

    def add_arguments(self, parser):
        parser.add_argument(
            "--command",
            default="python manage.py train --model-type all",
            help="The command that trained them, recorded in each meta.json.",
        )

    def handle(self, *args, **opts):
        versions = production_versions()
        if not versions:
            raise CommandError("No production model to export.")
        root = bundled_models_export(versions, command=opts["command"])
        for version in versions:
            self.stdout.write(
                f"{version.model_type}: v{version.pk} -> {root / version.model_type}"
            )
