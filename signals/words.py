"""User-facing words of the signals app, in one place, marked for translation."""

from django.utils.translation import gettext_lazy as _

from couples.words import WORDS as COUPLES_WORDS

WORDS = {
    **COUPLES_WORDS,
    "bad_state": _("A light is green, yellow or red."),
    "unauthorized": _("Please log in again."),
    "bad_json": _("That frame was not JSON."),
    "bad_frame": _("A frame is a JSON object with a type."),
    "bad_text": _("Some of that text could not be read. Please type it again."),
    "unknown_type": _("Unknown frame type."),
    "too_large": _("That frame is too large."),
    "binary_unsupported": _("Binary frames are not supported."),
    "invalid": _("That change was not valid."),
    "flooding": _("Too many frames: this socket is closed. Reconnect and slow down."),
    "too_many_sockets": _("Too many open connections for you. Close one and try again."),
    "flag_unknown": _("There is no such flag."),
    "unknown_kind": _("Unknown kind: {kinds}"),
    "not_in_couple": _("Not a partner in this couple."),
    "bad_period": _("A period is a week or a month."),
    # A light's name, as the history reads it.
    "light_green": _("Green"),
    "light_yellow": _("Yellow"),
    "light_red": _("Red"),
    # A pattern's name, when a partner shares a self-assessment.
    "pattern_name_hyper_independent": _("leaning towards managing alone"),
    "pattern_name_over_dependent": _("leaning towards needing closeness"),
    "pattern_name_interdependent": _("interdependent"),
    "pattern_name_mixed": _("no clear lean"),
    # The couple's settings, as the history names a change.
    "setting_timezone": _("time zone"),
    "setting_flags_enabled": _("gentle flags"),
    "setting_flag_threshold": _("when a flag comes"),
    "setting_retention_months": _("how long history is kept"),
    "meaning_green": _("I'm in a good state; you're free to focus on your own things."),
    "meaning_yellow": _("Somewhat unsettled but I can manage; no action needed, please stay aware."),
    "meaning_red": _("I really need you right now; please give attention and support."),
    "bad_reply": _("An answer is seen, coming, call_soon or later."),
    "own_light": _("That is your own light: your partner answers it."),
    "not_partner": _("You can answer only your partner's light."),
    "nothing_to_answer": _("Your partner's light is not yellow or red just now: nothing to answer."),
    # Answers to a yellow or a red, as the light's owner reads them: "Sam: Coming to you."
    "reply_seen": _("I see you. I'm here."),
    "reply_coming": _("Coming to you."),
    "reply_call_soon": _("I'll call you soon."),
    "reply_later": _("I can't right now, but I'll be with you later."),
    # On the answer buttons.
    "reply_button_seen": _("I see you"),
    "reply_button_coming": _("Coming"),
    "reply_button_call_soon": _("Call soon"),
    "reply_button_later": _("Later"),
    "push_answer_title": _("{name} answered"),
    "assessment_answers": _("Answers are an object of item ids to numbers from 1 to 5."),
    "assessment_missing": _("Please answer this one too: every item counts."),
    "assessment_unknown": _("There is no such item."),
    "assessment_scale": _("An answer is a whole number from 1 (very uncomfortable) to 5 (very comfortable)."),
    "assessment_not_found": _("There is no such result of yours."),
    # Self-assessment results, said gently: a lean, never a diagnosis or a score.
    "pattern_hyper_independent": _(
        "You lean towards managing alone. Small asks of your partner, and letting them see a "
        "softer side, can widen what feels safe."
    ),
    "pattern_over_dependent": _(
        "You lean towards needing closeness to feel steady. Time alone, and sitting with a "
        "worry for a few minutes, can widen what feels safe."
    ),
    "pattern_interdependent": _("You seem at ease both leaning on your partner and standing on your own."),
    "pattern_mixed": _(
        "Your answers don't lean clearly either way, which is common. Notice which items felt hardest."
    ),
    # Small asks: a "not now" is fine, and is said so.
    "ask_empty": _("Write what you'd like to ask."),
    "ask_open": _("Your last ask is still open: wait for its answer first."),
    "ask_answer": _("An answer is yes or not_now."),
    "ask_unknown": _("There is no such ask."),
    "own_ask": _("That is your own ask: your partner answers it."),
    "ask_answered": _("That ask has its answer already."),
    "ask_yes": _("Yes, gladly."),
    "ask_not_now": _("Not now, and that's okay. Ask again another time."),
    "journal_kind": _("A journal entry is alone_time or anxiety."),
    "journal_minutes": _("Minutes are a whole number from 1 to 240."),
    "journal_intensity": _("Intensity is a whole number from 0 to 10."),
    "checkin_week": _("A week is written like 2026-W49, and is this week or an earlier one."),
    "checkin_empty": _("Please write a few words."),
    "checkin_written": _("You have written this week's check-in already."),
    "self_care_items": _("A self-care list has up to ten things."),
    "tender_prompt": _("something small that has been on your mind, that you haven't said yet."),
    "device_unknown": _("There is no such device."),
    "bad_endpoint": _("That is not a push service address we can use."),
    "bad_keys": _("The subscription keys are not valid."),
    # Push notifications: no note or preview text unless the device asked for it.
    "push_red_title": _("{name} needs you"),
    "push_red_body": _("{name}'s light is red: please reach out when you can."),
    "push_reminder_title": _("Connection time"),
    "push_autonomy_title": _("Time for yourselves"),
    "push_reminder_now": _("It starts now."),
    "push_due_title": _("Time to reconnect?"),
    # Gentle flags: about "us", no counts, no blame, a suggestion and an open door.
    "flag_message": _(
        "Red has come on quite a few times this week. That is okay: it usually means a need "
        "underneath is asking for more room."
    ),
    "flag_suggestion": _(
        "When you are both in a green moment, you might sit together for a calm talk about "
        "what would help, and what each of you needs to feel steady."
    ),
}
