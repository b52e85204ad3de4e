"""The Rhythm page: the couple's blocks, this week, mutes and the calendar link."""

from web.boot import paired_page

rhythm = paired_page("web/rhythm.html", "rhythm")
