"""The "Model operators" group: start training, change production, view the data.

Give a staff user this group to let them retrain, promote and roll back models in the
admin; without it, staff see nothing of training, models, predictions or feedback.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Model operators"
APPS = ("training", "predictions", "feedback")
PERMISSIONS = [
    ("training", "start_training"),
    ("training", "change_production"),
]


def create_model_operator_group(apps, schema_editor):
    """Idempotent: creates missing permissions first (a fresh database has none)."""
    for label in APPS:
        app_config = apps.get_app_config(label)
        stub = getattr(app_config, "models_module", None) is None
        if stub:  # a migration state's app config: create_permissions needs this
            app_config.models_module = True
        try:
            create_permissions(app_config, apps=apps, verbosity=0)
        finally:
            if stub:
                app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    wanted = [
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in PERMISSIONS
    ]
    wanted += Permission.objects.filter(
        content_type__app_label__in=APPS, codename__startswith="view_"
    )
    group.permissions.add(*wanted)


def remove_model_operator_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("training", "0002_run_heartbeat_and_trigger_state"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("predictions", "0001_initial"),
        ("feedback", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_model_operator_group, remove_model_operator_group),
    ]
