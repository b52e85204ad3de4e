"""Fuzzing: schemathesis against /api/schema/ as two partners and an outsider, and
property-based websocket frames. No 5xx, no schema violations, no leak across couples;
a bad frame gets an error frame and the socket keeps working."""

import json

import pytest
import schemathesis
from asgiref.sync import async_to_sync
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from couples.models import Couple
from rhythms.services import block_create, block_mute, preview_post
from signals.services import signal_set
from tests.communicators import frame, open_socket
from tests.conftest import make_user, pair

SECRET = "ALICE-PRIVATE-NOTE"
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


def api_examples(count: int):
    """Hypothesis settings of the API runs: a fixed number of examples per operation,
    the same ones every run, with the database fixtures made once per operation."""
    return settings(
        max_examples=count,
        deadline=None,
        derandomize=True,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
        ],
    )


@pytest.fixture
def identities(couple, alice, bob, charlie):
    pair(charlie, make_user("dana"))
    signal_set(user=alice, state="red", note=SECRET)
    return {
        name: Token.objects.create(user=user).key
        for name, user in (("alice", alice), ("bob", bob), ("charlie", charlie))
    }


def no_leak_to_outsiders(ctx, response, case):
    """The outsider's answers never carry the couple's words."""
    if case.headers and case.headers.get("X-Identity") == "charlie":
        assert SECRET not in response.text, "another couple's note reached an outsider"


@pytest.mark.django_db(transaction=True)  # each request commits on its own, as in production
@schema.parametrize()
@api_examples(6)
def test_it_never_answers_5xx_or_off_schema_to_anyone(case, identities):
    for name in ("charlie", "alice", "bob"):
        case.headers = {
            **(case.headers or {}),
            "Authorization": f"Token {identities[name]}",
            "X-Identity": name,
        }
        case.call_and_validate(
            checks=[
                not_a_server_error,
                response_schema_conformance,
                content_type_conformance,
                no_leak_to_outsiders,
            ]
        )


# A paired partner's everyday API, on a couple with something in every part of it, so
# that each answer has content to hold against its schema. Logging out, changing the
# password and deleting the account would end the identity mid-run.
partner_schema = schema.exclude(path_regex=r"^/api/auth/(logout|password)/$").exclude(
    path="/api/me/", method="DELETE"
)


@pytest.fixture
def lived_in_couple(couple, alice, bob):
    block, _ = block_create(
        user=alice,
        fields={
            "kind": "connection",
            "name": "Dinner",
            "days": [0, 1, 2, 3, 4, 5, 6],
            "start": "19:00",
            "minutes": 60,
            "remind_before": 10,
        },
    )
    block_create(
        user=bob,
        fields={"kind": "autonomy", "name": "Gym", "days": [5], "start": "08:00", "minutes": 90},
    )
    block_mute(user=alice, block_id=block.pk, muted=True)
    Couple.objects.filter(pk=couple.pk).update(flag_threshold=2)
    for state in ("red", "green", "red", "yellow"):
        signal_set(user=bob, state=state, note="a long day")
    signal_set(user=alice, state="yellow", note=SECRET)
    preview_post(user=alice, message="Out with friends, back around 10")
    return Token.objects.create(user=alice).key


@pytest.mark.django_db(transaction=True)
@partner_schema.parametrize()
@api_examples(5)
def test_it_answers_a_paired_partner_on_schema(case, lived_in_couple):
    case.headers = {**(case.headers or {}), "Authorization": f"Token {lived_in_couple}"}
    case.call_and_validate(checks=[not_a_server_error, response_schema_conformance, content_type_conformance])


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
frames = st.one_of(
    st.text(min_size=1, max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=4000, max_size=6000),  # around the size limit
    st.binary(min_size=1, max_size=64),
    json_values.map(json.dumps),
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["signal.set", "ping", "snapshot", "", "SIGNAL.SET"]),
            "state": st.one_of(st.sampled_from(["green", "yellow", "red", "RED"]), json_values),
            "note": st.one_of(st.text(max_size=300), json_values),
            "op_id": st.one_of(st.none(), st.text(max_size=80), json_values),
        }
    ).map(json.dumps),
    st.just('{"type": "signal.set", "state": "red", "note": "\\u0000"}'),
)


@pytest.mark.django_db(transaction=True)
@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(sent=frames)
def test_it_answers_any_frame_and_keeps_the_socket_usable(couple, alice, sent):
    async def scenario():
        sock = await open_socket(alice)
        await frame(sock)
        if isinstance(sent, bytes):
            await sock.send_to(bytes_data=sent)
        else:
            await sock.send_to(text_data=sent)
        answer = await frame(sock)  # a valid light: its event; anything else: an error
        assert answer["type"] in ("error", "event", "ack", "heartbeat"), answer
        if answer["type"] == "error":
            assert isinstance(answer["code"], str) and answer["detail"]
        await sock.send_json_to({"type": "ping"})
        assert (await frame(sock))["type"] == "heartbeat"
        await sock.disconnect()

    async_to_sync(scenario)()
