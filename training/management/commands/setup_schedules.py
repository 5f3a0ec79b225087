from django.core.management.base import BaseCommand

from training.schedules import schedules_setup


class Command(BaseCommand):
    help = "Create or update the django-q2 schedules (idempotent)."

    def handle(self, *args, **opts):
        for name in schedules_setup():
            self.stdout.write(f"schedule: {name}")
