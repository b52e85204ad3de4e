"""Text that cannot be stored: a lone surrogate (JSON's "\\ud800") parses into a Python
string that no UTF-8 encoder, database driver or log line accepts."""


def text_problem(value) -> str | None:
    """ "bad_text" when any string in a parsed JSON value (keys included) cannot be
    encoded as UTF-8, else None."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "bad_text"
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None
