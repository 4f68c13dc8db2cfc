from typing import Any

from django.apps import AppConfig
from django.core import checks


class RecordsConfig(AppConfig):
    """What an incident leaves behind: its whole timeline, its evidence with a chain of
    custody, and the dossier exported from both."""

    name = "safehold.records"
    label = "records"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        checks.register(fonts_installed)


def fonts_installed(**kwargs: Any) -> list[checks.CheckMessage]:
    """Warn at start-up, not at the first urgent export, when dossier fonts are missing."""
    from safehold.records.fonts import missing_fonts

    return [
        checks.Warning(
            f"The dossier font {path} is missing: PDF dossiers cannot be written.",
            hint="Install Debian's fonts-dejavu-core package (make setup does).",
            id="records.W001",
        )
        for path in missing_fonts()
    ]
