"""PostgreSQL: porchlight_light_set as in 0006, but a tap leaves the push mark for the
dispatcher whenever it changes what a notification should say (signals.services.
light_pushes): a red or a yellow coming on, and a green after either (it replaces their
notification), not only a red. A note added to a light already on still moves the mark."""

import importlib

from django.db import migrations

FIRST = importlib.import_module("signals.migrations.0006_light_set_function")

OLD = """    -- light_data's red_on and push_seq_after's mark.
    v_red_on := p_state = 'red' AND previous IS DISTINCT FROM 'red';
    IF v_push_seq = seq AND NOT v_red_on THEN"""
NEW = """    -- light_data's red_on, and light_pushes for the push mark.
    v_red_on := p_state = 'red' AND previous IS DISTINCT FROM 'red';
    IF v_push_seq = seq AND NOT (
        previous IS DISTINCT FROM p_state AND (p_state <> 'green' OR COALESCE(previous IN ('yellow', 'red'), FALSE))
    ) THEN"""
assert OLD in FIRST.LIGHT_SET
LIGHT_SET = FIRST.LIGHT_SET.replace(OLD, NEW)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(LIGHT_SET, params=None)


def restore(apps, schema_editor):
    FIRST.create(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("signals", "0013_practice_moved")]

    operations = [migrations.RunPython(create, restore)]
