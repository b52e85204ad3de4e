"""SESSION_ENGINE: Django's database sessions, each row marked with its user. The store
lives beside its model (couples.models), so that neither module imports the other back."""

from couples.models import SessionStore

__all__ = ["SessionStore"]
