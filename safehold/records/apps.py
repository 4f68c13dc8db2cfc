from django.apps import AppConfig


class RecordsConfig(AppConfig):
    """What an incident leaves behind: its whole timeline, its evidence with a chain of
    custody, and the dossier exported from both."""

    name = "safehold.records"
    label = "records"
    default_auto_field = "django.db.models.BigAutoField"
