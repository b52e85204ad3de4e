"""WCAG 2.2 AA contrast for every colour pair the stylesheet puts text on, light and dark."""

import re
from pathlib import Path

import pytest

CSS = (Path(__file__).resolve().parent.parent / "web" / "static" / "web" / "app.css").read_text()

# (text, background) pairs as the stylesheet uses them.
PAIRS = [
    ("text", "bg"),
    ("text", "card"),
    ("muted", "card"),
    ("muted", "bg"),
    ("accent", "card"),
    ("green-text", "green"),
    ("yellow-text", "yellow"),
    ("red-text", "red"),
    ("bg", "text"),  # the banner and primary buttons
]


def palette(block: str) -> dict[str, str]:
    return dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", block))


LIGHT = palette(CSS.split("@media (prefers-color-scheme: dark)")[0])
DARK = {**LIGHT, **palette(CSS.split("@media (prefers-color-scheme: dark)")[1].split("}\n}")[0])}


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("text,background", PAIRS)
def test_it_meets_aa_contrast_for_text(scheme, text, background):
    colours = LIGHT if scheme == "light" else DARK
    ratio = contrast(colours[text], colours[background])
    assert ratio >= 4.5, f"{scheme}: {text} on {background} is {ratio:.2f}:1"


def test_it_reads_both_palettes():
    assert LIGHT["text"] != DARK["text"] and len(LIGHT) >= 12
