"""Locations as channels give them: a latitude and a longitude, or nothing."""

from __future__ import annotations


def checked_location(latitude: object, longitude: object) -> tuple[float, float] | None:
    """Return (latitude, longitude) as floats, None if both are absent.

    Raise ValueError for one without the other, a non-number (booleans and NaN
    included) or a point off the globe.
    """
    if latitude is None and longitude is None:
        return None
    if not (_is_number(latitude) and _is_number(longitude)):
        raise ValueError("a location needs two numbers")
    lat, lon = float(latitude), float(longitude)  # type: ignore[arg-type]
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError("a location must lie on the globe")
    return lat, lon


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value
