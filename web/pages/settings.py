"""The Settings page: me, us, notifications on this phone, pairing and my data."""

from web.boot import paired_page

settings_page = paired_page("web/settings.html", "settings")
