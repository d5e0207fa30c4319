"""Offline U.S. ZIP code look-ups (the ``zipcodes`` package; no network) and distance maths."""

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import available_timezones

import zipcodes
from django.db.models import Expression, F, FloatField

EARTH_RADIUS_MILES = 3958.8
# ASCII digits only: ``\d`` also matches other scripts' digits ("١٢٣٤٥"), which the zipcodes
# package cannot handle (it panics, which kills the worker process).
ZIP_RE = re.compile(r"[0-9]{5}")
ZIP_PLUS_4_RE = re.compile(r"([0-9]{5})-[0-9]{4}")

# USPS codes: the 50 states, DC and the inhabited territories.
US_STATES: dict[str, str] = {
    "AL": "Alabama",
    "AK": "Alaska",
    "AZ": "Arizona",
    "AR": "Arkansas",
    "CA": "California",
    "CO": "Colorado",
    "CT": "Connecticut",
    "DE": "Delaware",
    "DC": "District of Columbia",
    "FL": "Florida",
    "GA": "Georgia",
    "HI": "Hawaii",
    "ID": "Idaho",
    "IL": "Illinois",
    "IN": "Indiana",
    "IA": "Iowa",
    "KS": "Kansas",
    "KY": "Kentucky",
    "LA": "Louisiana",
    "ME": "Maine",
    "MD": "Maryland",
    "MA": "Massachusetts",
    "MI": "Michigan",
    "MN": "Minnesota",
    "MS": "Mississippi",
    "MO": "Missouri",
    "MT": "Montana",
    "NE": "Nebraska",
    "NV": "Nevada",
    "NH": "New Hampshire",
    "NJ": "New Jersey",
    "NM": "New Mexico",
    "NY": "New York",
    "NC": "North Carolina",
    "ND": "North Dakota",
    "OH": "Ohio",
    "OK": "Oklahoma",
    "OR": "Oregon",
    "PA": "Pennsylvania",
    "RI": "Rhode Island",
    "SC": "South Carolina",
    "SD": "South Dakota",
    "TN": "Tennessee",
    "TX": "Texas",
    "UT": "Utah",
    "VT": "Vermont",
    "VA": "Virginia",
    "WA": "Washington",
    "WV": "West Virginia",
    "WI": "Wisconsin",
    "WY": "Wyoming",
    "AS": "American Samoa",
    "GU": "Guam",
    "MP": "Northern Mariana Islands",
    "PR": "Puerto Rico",
    "VI": "U.S. Virgin Islands",
}
STATE_CHOICES = sorted(US_STATES.items(), key=lambda item: item[1])


@dataclass(frozen=True)
class ZipInfo:
    postal_code: str
    city: str
    state: str
    county: str
    latitude: float
    longitude: float


def five_digit_zip(value: str) -> str:
    """A ZIP+4 ("80302-1234") as its 5-digit ZIP code ("80302"); anything else as typed."""
    value = (value or "").strip()
    match = ZIP_PLUS_4_RE.fullmatch(value)
    return match.group(1) if match else value


@lru_cache(maxsize=1)
def _zip_rows() -> dict[str, dict]:
    """ZIP code -> its row of the offline table (the first, as ``zipcodes.matching`` gives
    them), built once: ``matching`` walks all 42,789 rows each time, about 0.8 ms, which a
    search near a ZIP code not asked for before paid on every first request."""
    rows: dict[str, dict] = {}
    for row in zipcodes.list_all():
        rows.setdefault(row["zip_code"], row)
    return rows


@lru_cache(maxsize=4096)
def lookup_zip(code: str) -> ZipInfo | None:
    """The place a 5-digit ZIP code names, or ``None`` if it is malformed or unknown."""
    code = (code or "").strip()
    if not ZIP_RE.fullmatch(code):
        return None
    row = _zip_rows().get(code)
    if row is None:
        return None
    try:
        lat, lon = float(row["lat"]), float(row["long"])
    except (TypeError, ValueError):
        return None
    return ZipInfo(
        postal_code=code,
        city=row.get("city") or "",
        state=row.get("state") or "",
        county=row.get("county") or "",
        latitude=lat,
        longitude=lon,
    )


@lru_cache(maxsize=64)
def state_timezone(state: str) -> str:
    """The IANA time zone most of a state's ZIP codes are in ("" if unknown)."""
    zones = Counter(
        row["timezone"]
        for row in zipcodes.filter_by(state=(state or "").upper())
        if row.get("timezone") in available_timezones()
    )
    return zones.most_common(1)[0][0] if zones else ""


def place_timezone(postal_code: str = "", state: str = "") -> str:
    """The time zone of a place: its ZIP code's, else its state's ("" if neither is known)."""
    return zip_timezone(five_digit_zip(postal_code)) or state_timezone(state)


@lru_cache(maxsize=1)
def us_timezones() -> list[str]:
    """Every time zone some U.S. ZIP code is in, most ZIP codes first."""
    zones = Counter(row.get("timezone") for row in zipcodes.list_all())
    return [zone for zone, _count in zones.most_common() if zone in available_timezones()]


def bounding_box(lat: float, lon: float, miles: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) of a box that contains the circle."""
    dlat = miles / 69.0
    cos_lat = max(math.cos(math.radians(lat)), 0.01)
    dlon = miles / (69.172 * cos_lat)
    return lat - dlat, lat + dlat, max(lon - dlon, -180.0), min(lon + dlon, 180.0)


class _Haversine(Expression):
    """Great-circle distance in miles from a fixed point to a row's two columns.

    The SQL is what Django's own functions build (``Radians``, ``Sin``, ``Cos``, ``Power``,
    ``ASin``, ``Sqrt``: the same functions nested the same way, so the same arithmetic on both
    databases, the constant 2 written in the SQL rather than bound; SQLite's backend provides
    these functions too), written as one expression over the two columns: a list near a ZIP
    code builds it three times a request, and resolving and compiling a tree of nineteen
    function nodes each time cost about 0.7 ms (in-process, a first request)."""

    def __init__(self, lat: float, lon: float, lat_field: str, lon_field: str):
        super().__init__(output_field=FloatField())
        self.point = (math.radians(lat), math.radians(lon))
        self.columns = [F(lat_field), F(lon_field)]

    def get_source_expressions(self):
        return self.columns

    def set_source_expressions(self, exprs):
        self.columns = list(exprs)

    def as_sql(self, compiler, connection):
        (lat, lat_params), (lon, lon_params) = (compiler.compile(c) for c in self.columns)
        lat0, lon0 = self.point
        sql = (
            f"(%s * ASIN(SQRT((POWER(SIN(((RADIANS({lat}) - %s) / 2)), 2) + ((COS(%s) * "
            f"COS(RADIANS({lat}))) * POWER(SIN(((RADIANS({lon}) - %s) / 2)), 2))))))"
        )
        params = (2 * EARTH_RADIUS_MILES, *lat_params, lat0, lat0, *lat_params, *lon_params, lon0)
        return sql, params


def distance_expression(
    lat: float, lon: float, lat_field: str = "latitude", lon_field: str = "longitude"
):
    """Great-circle distance in miles from (lat, lon), as a database expression (haversine).

    Uses only SQL functions PostgreSQL has and Django's SQLite backend provides, so no PostGIS
    is needed.
    """
    return _Haversine(lat, lon, lat_field, lon_field)


def haversine_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The same formula in Python (for tests and the demo)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(a))


@lru_cache(maxsize=4096)
def zip_timezone(code: str) -> str:
    """The IANA time zone of a ZIP code ("" if unknown)."""
    row = _zip_rows().get(code) if ZIP_RE.fullmatch(code or "") else None
    return (row.get("timezone") or "") if row else ""


_ABBREVIATIONS = (("st ", "saint "), ("ste ", "sainte "), ("ft ", "fort "), ("mt ", "mount "))


def _city_key(city: str) -> str:
    """A city's name as the table and people both spell it: "St. Louis" and "Saint Louis",
    "Winston-Salem" and "Winston Salem" are one key."""
    key = " ".join((city or "").lower().replace(".", " ").replace("-", " ").split()) + " "
    for short, long in _ABBREVIATIONS:
        if key.startswith(short):
            key = long + key[len(short) :]
    return key.strip()


@lru_cache(maxsize=1)
def _city_index() -> dict[tuple[str, str], list[dict]]:
    """(city's key, state) -> its ZIP code rows, built once from the offline table."""
    index: dict[tuple[str, str], list[dict]] = {}
    for row in zipcodes.list_all():
        if row.get("active") and row.get("zip_code_type") == "STANDARD" and row.get("lat"):
            index.setdefault((_city_key(row["city"]), row["state"]), []).append(row)
    return index


@lru_cache(maxsize=4096)
def lookup_city(city: str, state: str) -> ZipInfo | None:
    """A city's centre (the mean of its ZIP codes' centres), for a listing whose sources give a
    city but no ZIP code; ``None`` if the table does not know the city. ``postal_code`` is
    empty: the place is the city, not an address."""
    rows = _city_index().get((_city_key(city), (state or "").strip().upper()))
    if not rows:
        return None
    return ZipInfo(
        postal_code="",
        city=rows[0]["city"],
        state=rows[0]["state"],
        county=rows[0].get("county") or "",
        latitude=round(sum(float(r["lat"]) for r in rows) / len(rows), 4),
        longitude=round(sum(float(r["long"]) for r in rows) / len(rows), 4),
    )
