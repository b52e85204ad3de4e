"""PostgreSQL: a tap of a light as one function (signals.services.signal_set), so that a
tap is one statement and one round trip. Elsewhere (SQLite) nothing: signal_set writes the
same rows through the ORM there (_light_set)."""

from django.db import migrations

# What signals.services._light_set does, step for step. A VOLATILE function in READ
# COMMITTED takes a new snapshot for each statement: everything after the lock sees what
# a writer it waited for committed (the previous light, an op_id, the open span).
LIGHT_SET = r"""
CREATE OR REPLACE FUNCTION porchlight_light_set(
    p_user bigint, p_state text, p_note text, p_at timestamptz, p_data jsonb, p_op_id text,
    OUT couple_id bigint, OUT seq bigint, OUT previous text, OUT earlier bigint, OUT event_id bigint
) LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_push_seq bigint;
    v_red_on boolean;
BEGIN
    -- All NULL: not paired.
    SELECT c.id, c.seq, c.push_seq INTO couple_id, seq, v_push_seq
    FROM couples_couple c JOIN couples_membership m ON m.couple_id = c.id
    WHERE m.user_id = p_user AND m.left_at IS NULL AND c.ended_at IS NULL
    LIMIT 1 FOR UPDATE OF c;
    IF NOT FOUND THEN
        couple_id := NULL;
        RETURN;
    END IF;
    -- A retry: only read, and the earlier event's id.
    IF p_op_id IS NOT NULL THEN
        SELECT e.id INTO earlier FROM couples_event e WHERE e.actor_id = p_user AND e.op_id = p_op_id;
        IF FOUND THEN
            RETURN;
        END IF;
    END IF;
    SELECT s.state INTO previous FROM signals_signal s
    WHERE s.couple_id = porchlight_light_set.couple_id AND s.user_id = p_user;
    IF FOUND THEN
        UPDATE signals_signal s SET state = p_state, note = p_note, set_at = p_at
        WHERE s.couple_id = porchlight_light_set.couple_id AND s.user_id = p_user;
    ELSE
        INSERT INTO signals_signal (couple_id, user_id, state, note, set_at)
        VALUES (porchlight_light_set.couple_id, p_user, p_state, p_note, p_at);
    END IF;
    UPDATE signals_signalspan sp SET ended_at = p_at
    WHERE sp.couple_id = porchlight_light_set.couple_id AND sp.user_id = p_user AND sp.ended_at IS NULL;
    INSERT INTO signals_signalspan (couple_id, user_id, state, started_at)
    VALUES (porchlight_light_set.couple_id, p_user, p_state, p_at);
    -- light_data's red_on and push_seq_after's mark.
    v_red_on := p_state = 'red' AND previous IS DISTINCT FROM 'red';
    IF v_push_seq = seq AND NOT v_red_on THEN
        v_push_seq := seq + 1;
    END IF;
    seq := seq + 1;
    UPDATE couples_couple c SET seq = porchlight_light_set.seq, push_seq = v_push_seq
    WHERE c.id = porchlight_light_set.couple_id;
    INSERT INTO couples_event (couple_id, seq, kind, actor_id, at, data, op_id)
    VALUES (porchlight_light_set.couple_id, porchlight_light_set.seq, 'signal.changed', p_user, p_at,
            p_data || jsonb_build_object('previous', previous, 'red_on', v_red_on), p_op_id)
    RETURNING id INTO event_id;
END
$$
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(LIGHT_SET, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS porchlight_light_set")


class Migration(migrations.Migration):
    dependencies = [
        ("signals", "0005_span_ending_index"),
        ("couples", "0004_history"),
    ]

    operations = [migrations.RunPython(create, drop)]
