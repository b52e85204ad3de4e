"""What a serializer cannot say about a request, said in the OpenAPI schema by a
drf-spectacular post-processing hook, so that the schema promises exactly what the
server accepts (schemathesis holds the two together in tests/test_contract.py)."""

from couples.fields import WORDS_IN_IT


def requests_exact(result, generator, request, public):
    schemas = result.get("components", {}).get("schemas", {})
    for component, schema in schemas.items():
        for name, field in schema.get("properties", {}).items():
            schema["properties"][name] = _blank_folded(field)
        if component.endswith("Request") and schema.get("type") == "object":
            # The server refuses a field it does not know (couples.fields.strict_json_types).
            schema["additionalProperties"] = False
    for operations in result["paths"].values():
        for method, operation in operations.items():
            if method in ("post", "put", "patch", "delete") and "429" not in operation["responses"]:
                # Every change a signed-in person makes counts against their budget
                # (couples.rates), so any of them may be told to wait.
                if any(
                    name in requirement
                    for requirement in operation.get("security", [])
                    for name in ("tokenAuth", "cookieAuth")
                ):
                    operation["responses"]["429"] = {
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                        "description": "",
                    }
    preview_post = result["paths"].get("/api/previews/", {}).get("post")
    if preview_post:
        preview_post["requestBody"]["required"] = True
    preview = schemas.get("PreviewRequest")
    if preview:
        # A preview says something: its own words, or a preset's.
        preview["anyOf"] = [
            {"required": ["preset"]},
            {"required": ["message"], "properties": {"message": {"type": "string", "pattern": WORDS_IN_IT}}},
        ]
    journal = schemas.get("JournalWriteRequest")
    if journal:
        # A time alone has its minutes; an anxious moment its intensity before.
        journal["oneOf"] = [
            {
                "properties": {"kind": {"enum": ["alone_time"]}, "minutes": {"type": "integer"}},
                "required": ["kind", "minutes"],
            },
            {
                "properties": {"kind": {"enum": ["anxiety"]}, "intensity_before": {"type": "integer"}},
                "required": ["kind", "intensity_before"],
            },
        ]
    return result


def _blank_folded(field: dict) -> dict:
    """drf-spectacular writes optional text with a pattern as oneOf [the pattern, an empty
    string]; ours (couples.fields.NO_CONTROL) takes the empty string itself, so "" would
    match both and oneOf neither: the pattern alone says it."""
    one_of = field.get("oneOf")
    if one_of and len(one_of) == 2 and one_of[1] == {"type": "string", "maxLength": 0}:
        if one_of[0].get("pattern", "").endswith("]*$"):
            return one_of[0]
    return field
