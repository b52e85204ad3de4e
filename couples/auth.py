"""Who is asking, by API token: DRF's TokenAuthentication with a cheaper lookup.

A module of its own: DRF imports the authentication classes while its views load, so
this may import nothing that imports rest_framework.views."""

import functools

from django.db import DEFAULT_DB_ALIAS, connections
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from couples.models import User


class TokenAuthentication(authentication.TokenAuthentication):
    """The token and its user read in one plain statement: through the ORM (a
    select_related query built and compiled for every request) the lookup was about a fifth
    of a REST tap's CPU in its process (docs/benchmarks.md). The answers are DRF's."""

    def authenticate_credentials(self, key):
        db = connections[DEFAULT_DB_ALIAS]  # the thread's, once for the statement and converters
        with db.cursor() as cursor:
            cursor.execute(_token_and_user_sql(db.vendor), [key])
            row = cursor.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        token = _from_row(db, Token, row[: len(Token._meta.concrete_fields)])
        token.user = _from_row(db, User, row[len(Token._meta.concrete_fields) :])
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return (token.user, token)


def _from_row(db, model, values):
    """A model instance as the ORM would make it, the backend's converters applied
    (SQLite hands back datetimes as text, for one)."""
    fields = model._meta.concrete_fields
    converted = []
    for field, value in zip(fields, values, strict=True):
        column = field.get_col(model._meta.db_table)
        for convert in db.ops.get_db_converters(column) + column.get_db_converters(db):
            value = convert(value, column, db)
        converted.append(value)
    return model.from_db(db.alias, [f.attname for f in fields], converted)


@functools.cache
def _token_and_user_sql(vendor: str) -> str:
    q = connections[DEFAULT_DB_ALIAS].ops.quote_name  # one vendor's, the same for each connection
    columns = [f"t.{q(f.column)}" for f in Token._meta.concrete_fields]
    columns += [f"u.{q(f.column)}" for f in User._meta.concrete_fields]
    return (
        f"SELECT {', '.join(columns)} FROM {q(Token._meta.db_table)} t"
        f" JOIN {q(User._meta.db_table)} u ON u.{q(User._meta.pk.column)}"
        f" = t.{q(Token._meta.get_field('user').column)}"
        f" WHERE t.{q(Token._meta.pk.column)} = %s"
    )
