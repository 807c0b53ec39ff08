"""Tide predictions for Saltmarsh Quay, from the standard library alone.

The tide is modelled as a single semi-diurnal wave (the principal lunar constituent, M2):
high water comes round every 12 h 25 min 14 s, and the height follows a cosine between low
and high water. Real tide tables sum dozens of constituents; one is plenty for a harbour notice.
"""
import math
from datetime import datetime, timedelta, timezone

PORT_NAME = "Saltmarsh Quay"
# One observed high water, the phase every prediction counts from.
REFERENCE_HIGH_WATER = datetime(2024, 1, 1, 3, 12, tzinfo=timezone.utc)
PERIOD = timedelta(hours=12, minutes=25, seconds=14)
MEAN_LEVEL_M = 2.4
AMPLITUDE_M = 1.7


def height_at(moment):
    """Height of the water above chart datum, in metres, at `moment` (an aware datetime)."""
    phase = (moment - REFERENCE_HIGH_WATER) / PERIOD
    return MEAN_LEVEL_M + AMPLITUDE_M * math.cos(2 * math.pi * phase)


def turns(moment, count=4):
    """The next `count` high and low waters after `moment`, as (kind, time, height) tuples."""
    half = PERIOD / 2
    # Index of the last high or low water at or before `moment`: even = high, odd = low.
    index = math.floor((moment - REFERENCE_HIGH_WATER) / half)
    result = []
    for n in range(index + 1, index + 1 + count):
        when = REFERENCE_HIGH_WATER + n * half
        kind = "high" if n % 2 == 0 else "low"
        result.append((kind, when, height_at(when)))
    return result


def notice(moment):
    """The harbour notice: the water now, and the next high and low water."""
    now = height_at(moment)
    rising = height_at(moment + timedelta(minutes=1)) > now
    lines = [
        f"Tide clock is running at {PORT_NAME}.",
        f"Water now: {now:.1f} m above chart datum, {'rising' if rising else 'falling'}.",
    ]
    for kind, when, height in turns(moment, 2):
        lines.append(f"Next {kind} water: {when:%Y-%m-%d %H:%M} UTC, {height:.1f} m.")
    return "\n".join(lines) + "\n"


def table(moment, count=4):
    """The next `count` turns of the tide, as a JSON-ready dict."""
    return {
        "port": PORT_NAME,
        "now": {
            "time": moment.isoformat(timespec="seconds"),
            "height_m": round(height_at(moment), 2),
        },
        "turns": [
            {"kind": kind, "time": when.isoformat(timespec="minutes"), "height_m": round(height, 2)}
            for kind, when, height in turns(moment, count)
        ],
    }
