"""User-facing words of the signals app, in one place, marked for translation."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from couples.words import WORDS as COUPLES_WORDS
from practice.words import WORDS as PRACTICE_WORDS

WORDS = {
    **COUPLES_WORDS,
    # The practice's, for the history's sentences about asks and shared results.
    **PRACTICE_WORDS,
    "bad_state": _("A light is green, yellow or red."),
    "unauthorized": _("Please log in again."),
    "bad_json": _("That frame was not JSON."),
    "bad_frame": _("A frame is a JSON object with a type."),
    "bad_text": _("Some of that text could not be read. Please type it again."),
    "unknown_type": _("Unknown frame type."),
    "too_large": _("That frame is too large."),
    "throttled": _("That is a lot of changes in one minute. Please wait a moment, then try again."),
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
    "push_answered_title": _("You answered {name}"),
    "push_yellow_title": _("{name} is on yellow"),
    "push_green_title": _("{name} is green again"),
    "push_test_title": _("Notifications work"),
    "push_test_body": _("This is the test you asked for: a red from your partner would come like this."),
    "device_unknown": _("There is no such device."),
    "bad_endpoint": _("That is not a push service address we can use."),
    "endpoint_taken": _("This browser's push subscription belongs to another account. Make a new one."),
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


def said(who, what) -> str:
    """ "Ben: red", with the colon of the reader's language (the pages' and the pushes')."""
    return gettext("%(who)s: %(what)s") % {"who": who, "what": what}
