"""User-facing words of the practice app, in one place, marked for translation."""

from django.utils.translation import gettext_lazy as _

from couples.words import WORDS as COUPLES_WORDS

WORDS = {
    **COUPLES_WORDS,
    # A pattern's name, when a partner shares a self-assessment.
    "pattern_name_hyper_independent": _("leaning towards managing alone"),
    "pattern_name_over_dependent": _("leaning towards needing closeness"),
    "pattern_name_interdependent": _("interdependent"),
    "pattern_name_mixed": _("no clear lean"),
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
    "step_unknown": _("There is no such step."),
    # A partner's shared result, about them (the reader's own results say "you").
    "pattern_partner_hyper_independent": _(
        "%(name)s leans towards managing alone. Small asks of you, and letting you see a softer "
        "side, can widen what feels safe for them."
    ),
    "pattern_partner_over_dependent": _(
        "%(name)s leans towards needing closeness to feel steady. Time alone, and sitting with a "
        "worry for a few minutes, can widen what feels safe for them."
    ),
    "pattern_partner_interdependent": _(
        "%(name)s seems at ease both leaning on you and standing on their own."
    ),
    "pattern_partner_mixed": _("%(name)s's answers don't lean clearly either way, which is common."),
    "means_mine": _(
        "Leaning on your partner: %(dependence)s of 5. Standing on your own: %(independence)s of 5."
    ),
    "means_partner": _(
        "Leaning on their partner: %(dependence)s of 5. Standing on their own: %(independence)s of 5."
    ),
    "tender_prompt": _("something small that has been on your mind, that you haven't said yet."),
}
