"""The Settings page: me, us, notifications on this phone, pairing and my data. All but
"Together" work without a partner."""

from web.boot import app_page

settings_page = app_page("web/settings.html", "settings", couple_only=False)
