"""python manage.py bootstrap_models: put the bundled models into production.

The repository ships small models made by ``manage.py train`` (see
models/bundled/README.md) so that a fresh installation answers within seconds. This
command registers them for every network type that has no production model yet; it
never replaces a model that serves.
"""

from django.core.management.base import BaseCommand

from training.bundled import bundled_dirs, bundled_models_install


class Command(BaseCommand):
    help = "Install the bundled models where no production model exists."

    def handle(self, *args, **opts):
        if not bundled_dirs():
            self.stdout.write(
                "No bundled models in models/bundled/: nothing to install."
            )
            return
        installed = bundled_models_install()
        if not installed:
            self.stdout.write("Production models already present: nothing to install.")
        for version in installed:
            self.stdout.write(
                f"Installed bundled {version.model_type.upper()} as production "
                f"(balanced accuracy "
                f"{version.metrics.get('balanced_accuracy', 0):.4f})."
            )
