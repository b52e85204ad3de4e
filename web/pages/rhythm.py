"""The Rhythm page: the couple's blocks, this week, mutes and the calendar link."""

from web.boot import app_page

rhythm = app_page("web/rhythm.html", "rhythm", couple_only=True)
