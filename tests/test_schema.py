import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db

CONTRACT = {
    "/api/auth/register/": ["post"],
    "/api/auth/token/": ["post"],
    "/api/couple/invite/": ["post"],
    "/api/couple/join/": ["post"],
    "/api/couple/": ["get", "delete"],
    "/api/signal/": ["post"],
    "/api/ws-ticket/": ["post"],
    "/api/previews/": ["post", "delete"],
    "/api/reunion/": ["post"],
    "/api/couple/settings/": ["get", "patch"],
    "/api/rhythm/blocks/": ["get", "post"],
    "/api/rhythm/blocks/{id}/": ["get", "patch", "delete"],
    "/api/rhythm/blocks/{id}/mute/": ["put"],
    "/api/rhythm/upcoming/": ["get"],
    "/api/flags/{id}/dismiss/": ["post"],
    "/api/history/": ["get"],
    "/api/history/summary/": ["get"],
    "/api/me/export/": ["get"],
    "/api/me/": ["get", "patch", "delete"],
    "/api/push/devices/": ["get", "post"],
}


def test_it_serves_an_openapi_schema_with_the_contract(anon):
    r = anon.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")
    assert r.status_code == 200
    schema = yaml.safe_load(r.content)
    for path, methods in CONTRACT.items():
        assert set(methods) <= set(schema["paths"][path]), path
    signal = schema["components"]["schemas"]["SignalSetRequest"]["properties"]
    assert set(signal) == {"state", "note", "op_id"}


def test_it_generates_a_schema_that_validates_without_warnings(tmp_path):
    # --validate checks against the OpenAPI 3 meta-schema; --fail-on-warn makes any
    # view drf-spectacular cannot describe an error.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").stat().st_size > 1000
