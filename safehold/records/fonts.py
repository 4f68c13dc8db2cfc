"""The fonts dossiers are written in: DejaVu Sans has Cyrillic, and Debian ships it
(fonts-dejavu-core, installed by `make` when missing)."""

from __future__ import annotations

from pathlib import Path

FONT_DIRECTORY = Path("/usr/share/fonts/truetype/dejavu")
REGULAR_FONT = FONT_DIRECTORY / "DejaVuSans.ttf"
BOLD_FONT = FONT_DIRECTORY / "DejaVuSans-Bold.ttf"


def missing_fonts() -> list[Path]:
    return [path for path in (REGULAR_FONT, BOLD_FONT) if not path.is_file()]


def check_fonts() -> None:
    """Raise FileNotFoundError, naming the file, if a font the PDF needs is missing."""
    for path in missing_fonts():
        raise FileNotFoundError(
            f"the dossier PDF needs the font {path}; install the fonts-dejavu-core package"
        )
