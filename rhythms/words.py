"""User-facing words of the rhythms app, in one place, marked for translation."""

from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext_lazy as _

WORDS = {
    "bad_days": _("Pick one or more days, Monday=0 to Sunday=6."),
    "bad_start": _("Start is a local time like 19:30."),
    "bad_minutes": _("A block lasts 5 minutes to 24 hours."),
    "bad_remind_before": _("Remind 1 to 240 minutes before, or not at all."),
    "bad_name": _("Give the block a name of up to 60 characters."),
    "bad_kind": _("A block is connection time or autonomy time."),
    "overlap": _("This block overlaps “{name}”. Move one of them, or turn one off."),
    "block_unknown": _("There is no such block in your rhythm."),
    "message_required": _("Write a few words, or pick a preset."),
    "preset_unknown": _("There is no such preset."),
    "when_past": _("Pick a time in the future."),
    "when_too_far": _("Pick a time within the next {days} days."),
    "no_preview": _("You have no preview up right now."),
    "nudge": _("Time to reconnect? You said you'd be back around now."),
    "calendar_name": _("Our rhythm (Porchlight)"),
    "calendar_connection": _("Connection time"),
    "calendar_autonomy": _("Autonomy time"),
    "calendar_muted": _("You muted this block's reminders in Porchlight."),
}

# One tap for the common separations. Times are not baked into the words: the partner
# sees `expected_at` in their own timezone.
PRESETS = {
    "goodnight": _("Out for the evening, will say goodnight when I'm back."),
    "after_work": _("Deep in work, I'll check in when I'm done."),
    "with_friends": _("Out with friends, back later, will message when I'm home."),
    "meeting": _("In a meeting, I'll be in touch right after."),
    "travel": _("Travelling and out of reach, I'll call when I land."),
}

# The names the app gives blocks it makes itself (Block.key).
BLOCK_NAMES = {"checkin": _("Weekly check-in")}


def block_name(block: dict) -> str:
    """A block's name for this reader: the app's own words for a block it named."""
    return str(BLOCK_NAMES[block["key"]]) if block.get("key") in BLOCK_NAMES else block["name"]


def preview_words(preview: dict) -> str:
    """A preview's message for this reader: a preset in the reader's language."""
    return str(PRESETS[preview["preset"]]) if preview.get("preset") in PRESETS else preview["message"]


# The days' short names, Monday first (0), as Block.days counts them.
DAYS = [WEEKDAYS_ABBR[day] for day in range(7)]
