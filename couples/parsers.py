"""The API's JSON parser: DRF's, refusing what would otherwise fail later as a 500.

A module of its own: DRF imports the parser classes while its views load, so this may
import nothing that imports rest_framework.views."""

from rest_framework import exceptions, parsers

from couples.text import text_problem
from couples.words import WORDS


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(WORDS["too_deep"]) from None
        if text_problem(data):
            raise exceptions.ParseError(WORDS["bad_text"])
        return data
