"""Two partners in real Chromium (Debian's, driven by Playwright) against real server
processes: pairing through the UI, a red within a second, a server restart and a
network drop without a missed event, and the settings flows."""

import json
import os
import re
import shutil
import time
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client as DjangoClient
from django.test import override_settings
from django.utils import timezone, translation
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect, sync_playwright

from couples.models import Couple, Event, PushDevice, User
from couples.services import couple_unpair
from practice.services import (
    ITEMS,
    ask_make,
    assessment_share,
    assessment_take,
    checkin_write,
    journal_write,
    today_of,
    week_of,
)
from rhythms.models import Block, Preview, Reminder
from rhythms.services import block_create, preview_nudge_next, preview_post, reminders_fire_due
from signals.models import PushJob
from signals.push import push_payload
from signals.services import signal_answer, signal_set
from tests.conftest import make_user, pair
from tests.servers import AsgiWorker, test_database_url

pytestmark = [pytest.mark.scaled, pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
# axe-core from npm (package.json; `make test` installs it).
AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "a long quiet morning"
DEPENDENCE_ITEMS = {key for key, dimension, _ in ITEMS if dimension == "dependence"}
# As root, and with no network beyond loopback (background calls would be refused).
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM):
        message = "Chromium is missing: `make test` installs Debian's chromium (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API keeps an event loop on this thread; Django's ORM calls here
    # are still plain synchronous ones.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            yield chromium
            chromium.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def server():
    worker = AsgiWorker(database_url=test_database_url(), redis_url=os.environ["REDIS_URL"], heartbeat=2)
    worker.start()
    yield worker
    worker.stop()


def phone(browser, server, **options):
    context = browser.new_context(viewport={"width": 360, "height": 640}, base_url=server.base, **options)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    return page


def shot(page, name):
    if os.environ.get("PORCHLIGHT_SCREENSHOTS"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / f"{name}.png")


def sign_up(page, username, name):
    page.goto("/accounts/register/")
    page.fill("#id_username", username)
    page.fill("#id_display_name", name)
    page.fill("#id_timezone", "Europe/Berlin")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("button.primary")
    page.wait_for_url("**/pair/")


def pair_through_the_ui(browser, server):
    ana, ben = phone(browser, server), phone(browser, server)
    sign_up(ana, "ana", "Ana")
    sign_up(ben, "ben", "Ben")
    ana.click("text=Make a code for my partner")
    code = ana.locator("#code").text_content()
    shot(ana, "pair")
    ben.fill("#id_code", code.lower())
    ben.click("form.stack button.primary")
    ben.wait_for_url(f"{server.base}/")
    ana.wait_for_url(f"{server.base}/", timeout=10000)  # the waiting page moves on by itself
    for page in (ana, ben):
        expect(page.locator("#partner-name")).not_to_have_text("Your partner")
    return ana, ben


def fire_reminders(count: int):
    """Step the scheduler until `count` reminders have fired: a couple another process
    holds at that moment (the push loop moving its mark) is skipped, as SKIP LOCKED does,
    and taken at the next step."""
    deadline = time.monotonic() + 5
    while Event.objects.filter(kind="reminder.fired").count() < count:
        assert time.monotonic() < deadline, "the reminders never fired"
        reminders_fire_due(timezone.now())
        time.sleep(0.05)


def seq_of(page) -> int:
    return int(page.evaluate("document.body.dataset.seq"))


def wait_caught_up(page, timeout=10):
    couple = Couple.objects.get(ended_at__isnull=True)
    deadline = time.monotonic() + timeout
    while seq_of(page) != couple.seq:
        assert time.monotonic() < deadline, f"page at seq {seq_of(page)}, couple at {couple.seq}"
        time.sleep(0.05)
        couple.refresh_from_db()


def test_it_pairs_two_phones_and_carries_a_red_within_a_second(browser, server):
    ana, ben = pair_through_the_ui(browser, server)
    expect(ben.locator("#net")).to_be_hidden()
    started = time.monotonic()
    ana.click(".light-btn[data-state=red]")
    expect(ben.locator("#partner-light")).to_have_attribute("data-state", "red", timeout=1000)
    assert time.monotonic() - started < 1.0
    expect(ben.locator("#partner-word")).to_have_text("Red")
    expect(ben.locator("#announce")).to_contain_text("Ana's light is now red")
    expect(ana.locator(".light-btn[data-state=red]")).to_have_attribute("aria-pressed", "true")
    shot(ben, "home")
    ben.click(".light-btn[data-state=yellow]")
    expect(ana.locator("#partner-light")).to_have_attribute("data-state", "yellow")
    ben.goto("/history/")
    # Times in the reader's locale (here the browser's en-US), in their timezone.
    expect(ben.locator(".timeline time").first).to_have_text(
        re.compile(r"^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2}\s?[AP]M$")
    )
    # Every chart label inside its chart: none cut off at an edge.
    clipped = ben.evaluate(
        """() => [...document.querySelectorAll("svg.chart")].flatMap((svg) => {
            const box = svg.getBoundingClientRect();
            return [...svg.querySelectorAll("text")].filter((text) => {
                const r = text.getBoundingClientRect();
                return r.left < box.left - 0.5 || r.right > box.right + 0.5
                    || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5;
            }).map((text) => text.textContent);
        })"""
    )
    assert clipped == []
    shot(ben, "history")
    assert ana.errors == [] and ben.errors == []


def test_it_lets_the_partner_answer_a_red_and_the_owner_sees_it_live(browser, server):
    ana, ben = pair_through_the_ui(browser, server)
    expect(ben.locator("#answer-form")).to_be_hidden()  # no light yet: nothing to answer
    ana.fill("#note", "the call went badly")
    ana.click(".light-btn[data-state=red]")
    expect(ben.locator("#answer-form")).to_be_visible()
    expect(ben.locator("#answer-h")).to_have_text("Answer Ana:")
    ben.click("#answer-words summary")
    ben.fill("#answer-note", "ten minutes")
    ben.click("#replies button[data-reply=coming]")
    expect(ben.locator("#answer-status")).to_have_text("Sent: Coming to you.")
    expect(ben.locator("#replies button[data-reply=coming]")).to_have_attribute("aria-pressed", "true")
    expect(ana.locator("#my-answer")).to_have_text("Ben: Coming to you. “ten minutes”")
    expect(ana.locator("#my-answer")).to_be_visible()
    expect(ana.locator("#announce")).to_have_text("Ben: Coming to you. “ten minutes”")
    box = ana.locator("#my-answer").bounding_box()
    assert box is not None and box["y"] + box["height"] <= 640, "the answer shows on the first screen"
    ana.reload()  # from the snapshot, as from the event
    expect(ana.locator("#my-answer")).to_have_text("Ben: Coming to you. “ten minutes”")
    ana.fill("#note", "thank you")
    ana.press("#note", "Enter")  # a note on the same light keeps the answer
    expect(ben.locator("#partner-note")).to_have_text("thank you")
    expect(ana.locator("#my-answer")).to_be_visible()
    ana.click(".light-btn[data-state=green]")  # a new light leaves it behind
    expect(ana.locator("#my-answer")).to_be_hidden()
    expect(ben.locator("#answer-form")).to_be_hidden()
    assert Event.objects.filter(kind="signal.answered").count() == 1
    assert ana.errors == [] and ben.errors == []


def test_it_welcomes_a_first_visit_and_both_partners_agree(browser, server):
    visitor = phone(browser, server)
    visitor.goto("/")
    expect(visitor.locator("h1")).to_have_text("Keep a light on for each other")
    expect(visitor.locator(".welcome-lights li")).to_have_count(3)
    shot(visitor, "welcome")
    visitor.click("text=Sign up")
    expect(visitor.locator("#id_password1_helptext")).to_contain_text("at least 8 characters")
    ana, ben = pair_through_the_ui(browser, server)
    for page in (ana, ben):
        expect(page.locator("#agreement")).to_be_visible()
        expect(page.locator("#agreement-lights li")).to_have_count(3)
    ana.click(".light-btn[data-state=yellow]")  # the lights work before anyone agrees
    expect(ben.locator("#partner-light")).to_have_attribute("data-state", "yellow")
    ana.click("#agree")
    expect(ana.locator("#agreement-who")).to_have_text("You agreed. Waiting for Ben.")
    expect(ana.locator("#agree")).to_be_hidden()
    expect(ben.locator("#agreement-who")).to_have_text("Ana has agreed.")
    ben.click("#agree")
    for page in (ana, ben):
        expect(page.locator("#agreement")).to_be_hidden()
    ben.reload()
    expect(ben.locator("#partner-light")).to_have_attribute("data-state", "yellow")
    expect(ben.locator("#agreement")).to_be_hidden()
    assert visitor.errors == [] and ana.errors == [] and ben.errors == []


IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1"
)


def test_it_says_why_notifications_cannot_be_turned_on(browser, server):
    ana, ben = pair_through_the_ui(browser, server)
    ana.goto("/settings/")
    ana.click("#notify")  # the browser's question goes unanswered or is refused
    expect(ana.locator("#notify-status")).to_have_text(re.compile("blocked|not allowed"))
    expect(ana.locator("#notify")).to_be_enabled()
    ben.context.grant_permissions(["notifications"])
    ben.goto("/settings/")
    ben.click("#notify")  # allowed; this machine reaches no push service, and says so
    expect(ben.locator("#notify-status")).to_have_text(
        re.compile(r"on for this phone|could not be turned on here \(.+: .+\)"), timeout=20000
    )
    expect(ben.locator("#notify")).to_be_enabled()
    iphone = phone(browser, server, user_agent=IPHONE)
    iphone.goto("/accounts/login/")
    iphone.fill("#id_username", "ana")
    iphone.fill("#id_password", PASSWORD)
    iphone.click("button.primary")
    iphone.wait_for_url(f"{server.base}/")
    iphone.goto("/settings/")
    expect(iphone.locator("#notify-status")).to_contain_text("on the Home Screen")
    expect(iphone.locator("#notify")).to_be_disabled()
    assert ana.errors == [] and iphone.errors == []


def on_first_screen(page, selector) -> bool:
    box = page.locator(selector).bounding_box()
    return box is not None and box["height"] > 0 and box["y"] >= 0 and box["y"] + box["height"] <= 640


def test_it_keeps_the_partners_light_note_and_answer_on_the_first_screen(browser, server):
    """At 360 x 640, with a gentle flag, a rhythm banner and previews all showing."""
    ana, ben = pair_through_the_ui(browser, server)
    a, b = User.objects.get(username="ana"), User.objects.get(username="ben")
    Couple.objects.update(flag_threshold=2)
    for state in ("red", "green", "red"):  # a second red this week raises the flag
        signal_set(user=b, state=state, note="I need you tonight, it was a hard day")
    local = timezone.now().astimezone(ZoneInfo("Europe/Berlin")) - timedelta(minutes=30)
    start = f"{local.hour:02d}:{local.minute // 5 * 5:02d}"
    block_create(
        user=a,
        fields={
            "kind": "connection",
            "name": "Evening together",
            "days": list(range(7)),
            "start": start,
            "minutes": 120,
        },
    )
    for person in (a, b):
        preview_post(
            user=person,
            message="Home around nine, then all yours",
            expected_at=timezone.now() + timedelta(hours=2),
        )
    for page in (ana, ben):
        page.reload()
    expect(ana.locator("#flag")).to_be_visible()
    expect(ana.locator("#rhythm-now")).to_be_visible()
    expect(ana.locator("#partner-preview")).to_be_visible()
    shot(ana, "first-screen")
    for selector in ("#partner-light", "#partner-note", "#answer-form #replies", "#answer-words summary"):
        assert on_first_screen(ana, selector), f"{selector} is off the first screen"
    ana.click("#replies button[data-reply=call_soon]")
    expect(ben.locator("#my-answer")).to_have_text("Ana: I'll call you soon.")
    shot(ben, "answered-first-screen")
    for selector in ("#partner-light", "#my-answer"):
        assert on_first_screen(ben, selector), f"{selector} is off the first screen"
    ana.click("#flag summary")  # the flag opens when asked
    expect(ana.locator("#flag-suggestion")).to_be_visible()
    assert ana.errors == [] and ben.errors == []


def test_it_survives_a_server_restart_without_missing_an_event(browser, server):
    ana, ben = pair_through_the_ui(browser, server)
    ana.click(".light-btn[data-state=yellow]")
    expect(ben.locator("#partner-light")).to_have_attribute("data-state", "yellow")
    server.stop()
    expect(ben.locator("#net")).to_have_text("Connecting…", timeout=5000)
    server.start()  # same port
    ana.fill("#note", "back online")
    ana.click(".light-btn[data-state=green]")  # queued until Ana's socket is back, then sent once
    expect(ben.locator("#partner-light")).to_have_attribute("data-state", "green", timeout=20000)
    expect(ben.locator("#partner-note")).to_have_text("back online")
    expect(ben.locator("#net")).to_be_hidden()
    wait_caught_up(ben)
    assert Event.objects.filter(kind="signal.changed", data__state="green").count() == 1


def test_it_survives_a_network_drop_and_sends_an_offline_tap_once(browser, server):
    ana, ben = pair_through_the_ui(browser, server)
    ben.context.set_offline(True)
    expect(ben.locator("#net")).to_have_text("Offline")
    # The partner's light is the last one known, and says so.
    expect(ben.locator("#partner-since")).to_contain_text("Last known")
    expect(ben.locator("#partner-light")).to_have_class(re.compile(r"\bstale\b"))
    ana.click(".light-btn[data-state=yellow]")
    ben.click(".light-btn[data-state=red]")  # a tap while offline: kept in the outbox
    expect(ben.locator("#my-status")).to_contain_text("when you're back online")
    ben.context.set_offline(False)
    expect(ben.locator("#partner-light")).to_have_attribute("data-state", "yellow", timeout=15000)
    expect(ben.locator("#partner-light")).not_to_have_class(re.compile(r"\bstale\b"))
    expect(ana.locator("#partner-light")).to_have_attribute("data-state", "red", timeout=15000)
    expect(ben.locator("#my-status")).to_have_text("Shared.")  # its event came back with its op_id
    wait_caught_up(ben)
    ben.reload()  # a reload must not send it again
    wait_caught_up(ben)
    assert Event.objects.filter(kind="signal.changed", data__state="red").count() == 1


def test_it_runs_the_rhythm_preview_and_settings_flows(browser, server):
    ana, ben = pair_through_the_ui(browser, server)
    # A preview, seen by the partner, then "I'm back".
    ben.click("#presets button >> nth=0")
    ben.fill("#preview-time", "22:00")
    ben.click("#preview-form button.primary")
    expect(ana.locator("#partner-preview .preview-message")).to_contain_text("goodnight")
    expect(ana.locator("#partner-preview .preview-when")).to_contain_text("back around")
    ben.click("#reunion")
    expect(ana.locator("#partner-preview")).to_be_hidden()
    expect(ana.locator("#partner-back")).to_contain_text("Ben is back")
    # A rhythm block.
    ana.goto("/rhythm/")
    ana.fill("#block-name", "Dinner")
    for day in ("0", "2", "4"):
        ana.check(f"input[name=day][value='{day}']")
    ana.fill("#block-start", "19:00")
    ana.click("#block-save")
    expect(ana.locator("#blocks")).to_contain_text("Dinner")
    expect(ana.locator("#upcoming li").first).not_to_have_text("Nothing planned this week.")
    shot(ana, "rhythm")
    # Settings: the flag threshold, for both.
    ana.goto("/settings/")
    ana.fill("#us-threshold", "6")
    ana.click("#us-form button")
    expect(ana.locator("#us-status")).to_have_text("Saved.")
    assert Couple.objects.get().flag_threshold == 6
    ana.fill("#us-threshold", "99")  # out of range: the browser itself holds the form back
    ana.click("#us-form button")
    expect(ana.locator("#us-threshold:invalid")).to_have_count(1)
    assert Couple.objects.get().flag_threshold == 6
    shot(ana, "settings")
    ben.goto("/history/")
    expect(ben.locator(".timeline")).to_contain_text("Dinner")
    # The export downloads my own data.
    with ana.expect_download() as download:
        ana.click("text=Download (JSON)")
    assert '"username": "ana"' in Path(download.value.path()).read_text()
    # Unpair, with one calm question; the partner's page leaves at once.
    ben.goto("/")
    ana.click("#unpair-ask")
    expect(ana.locator("#unpair-confirm")).to_be_visible()
    ana.click("#unpair-no")
    expect(ana.locator("#unpair-confirm")).to_be_hidden()
    ana.click("#unpair-ask")
    ana.click("#unpair-yes")
    ana.wait_for_url("**/pair/")
    ben.wait_for_url("**/pair/", timeout=5000)
    expect(ben.locator("#ended")).to_contain_text("Ana ended the pairing on")
    expect(ana.locator("#ended")).to_contain_text("You ended the pairing on")
    assert Couple.objects.get().ended_at is not None
    # After the unpair the history is a read-only archive of my own.
    ana.goto("/history/")
    expect(ana.locator(".banner")).to_contain_text("no longer paired")
    assert ana.errors == [] and ben.errors == []


def test_it_deletes_an_account_from_the_settings_page(browser, server):
    ana, ben = pair_through_the_ui(browser, server)
    ana.goto("/settings/")
    ana.click("#delete-ask")
    ana.fill("#delete-password", "not it")
    ana.click("#delete-yes")
    expect(ana.locator("#delete-error")).to_contain_text("not your password")
    ana.fill("#delete-password", PASSWORD)
    ana.click("#delete-yes")
    ana.wait_for_url("**/accounts/register/")
    ben.wait_for_url("**/pair/", timeout=5000)  # the partner's app leaves at once
    expect(ben.locator("#ended")).to_contain_text("Your partner closed their account on")
    assert not User.objects.filter(username="ana").exists()
    assert Event.objects.get(kind="partner.left").actor is None


def test_it_is_usable_with_the_keyboard_alone(browser, server):
    ana, ben = pair_through_the_ui(browser, server)
    ana.focus("#note")
    ana.keyboard.press("Shift+Tab")  # back to the last light button
    ana.keyboard.press("Enter")
    expect(ben.locator("#partner-light")).to_have_attribute("data-state", "red")
    # Every target a thumb uses is at least 44 px (a checkbox's whole labelled row is its target).
    for path in ("/", "/settings/", "/rhythm/"):
        ana.goto(path)
        targets = ana.locator(
            ".tabs a:visible, button:visible, input:visible:not([type=checkbox]), .field.check:visible"
        )
        assert targets.count() > 5
        for i in range(targets.count()):
            box = targets.nth(i).bounding_box()
            assert box["height"] >= 44 and box["width"] >= 44, (
                path,
                targets.nth(i).evaluate("e => e.outerHTML"),
            )


def test_it_opens_the_app_shell_offline_and_in_dark_mode(browser, server):
    ana, ben = pair_through_the_ui(browser, server)
    ana.evaluate("navigator.serviceWorker.ready.then(() => true)")
    ana.reload()  # now under the service worker, which keeps a copy of the page
    ana.wait_for_function("navigator.serviceWorker.controller !== null")
    ana.context.set_offline(True)
    ana.reload()
    expect(ana.locator("#partner-name")).to_have_text("Ben")
    expect(ana.locator("#net")).to_have_text("Offline")
    ana.context.set_offline(False)
    expect(ana.locator("#net")).to_be_hidden(timeout=15000)
    dark = browser.new_context(
        viewport={"width": 360, "height": 640}, base_url=server.base, color_scheme="dark"
    )
    page = dark.new_page()
    page.goto("/accounts/login/")
    page.fill("#id_username", "ben")
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{server.base}/")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(22, 27, 36)"  # the dark palette
    shot(page, "home-dark")


def test_it_forgets_the_last_person_offline_after_logout(browser, server):
    ana, ben = pair_through_the_ui(browser, server)
    ben.fill("#note", "only for Ana")
    ben.click(".light-btn[data-state=red]")
    expect(ana.locator("#partner-note")).to_have_text("only for Ana")
    ana.evaluate("navigator.serviceWorker.ready.then(() => true)")
    ana.reload()
    ana.wait_for_function("navigator.serviceWorker.controller !== null")
    ana.reload()  # the service worker keeps this copy, note and all, for offline
    ana.goto("/settings/")
    ana.click("form.card >> text=Log out")
    ana.wait_for_url("**/accounts/login/")
    cached = "caches.keys().then(names => Promise.all(names.map(n => caches.open(n).then(c => c.keys()))))"
    pages = [
        r for group in ana.evaluate(f"{cached}.then(g => g.map(rs => rs.map(r => r.url)))") for r in group
    ]
    assert f"{server.base}/" not in pages
    ana.context.set_offline(True)
    try:
        shown = ana.goto("/").text()  # at most the offline page
    except PlaywrightError as e:
        shown = str(e)  # nothing kept at all: the browser's own error
    assert "only for Ana" not in shown and "Ben" not in shown


def test_it_shows_nothing_that_is_hidden(browser, server):
    """`hidden` wins over a display rule: the account deletion's password is not there
    until asked for, and the preview form goes while a preview is live."""
    ana, ben = pair_through_the_ui(browser, server)
    ana.goto("/settings/")
    expect(ana.locator("#delete-password")).to_be_hidden()
    expect(ana.locator("#delete-yes")).to_be_hidden()
    ana.click("#delete-ask")
    expect(ana.locator("#delete-password")).to_be_visible()
    ben.click("#presets button >> nth=0")
    ben.click("#preview-form button.primary")
    expect(ben.locator("#my-preview")).to_be_visible()
    expect(ben.locator("#preview-form")).to_be_hidden()
    ben.click("#reunion")
    expect(ben.locator("#preview-form")).to_be_visible()
    assert ana.errors == [] and ben.errors == []


# Elements wider than the page, or than their own scrolling box (the section tabs).
TOO_WIDE = """() => {
    const out = [];
    if (document.documentElement.scrollWidth > innerWidth) out.push("the page");
    for (const box of document.querySelectorAll(".tabs")) {
        if (box.scrollWidth > box.clientWidth) out.push("the section tabs");
    }
    return out;
}"""


def test_it_fits_every_page_on_a_small_phone_in_each_language(browser, server):
    """Every section tab and every page fits a 320 px phone, the smallest still in use,
    with nothing to scroll sideways for: in English and in Chinese."""
    ana, _ = pair_through_the_ui(browser, server)
    too_wide = {}
    for language in ("en", "zh-hans"):
        User.objects.filter(username="ana").update(language=language)
        for width in (320, 360):
            ana.set_viewport_size({"width": width, "height": 640})
            for path in ("/", "/rhythm/", "/history/", "/practice/", "/settings/"):
                ana.goto(path)
                expect(ana.locator("html")).to_have_attribute("lang", language)
                found = ana.evaluate(TOO_WIDE)
                if found:
                    too_wide[f"{language} {width} px {path}"] = found
    assert too_wide == {}
    assert ana.errors == []


def test_it_sends_a_note_typed_after_the_tap(browser, server):
    ana, ben = pair_through_the_ui(browser, server)
    ana.click(".light-btn[data-state=yellow]")
    expect(ben.locator("#partner-light")).to_have_attribute("data-state", "yellow")
    expect(ana.locator("#my-status")).to_have_text("Shared.")
    ana.fill("#note", "running late, call you at 8")
    expect(ana.locator("#my-status")).to_contain_text("not sent yet")
    ana.press("#note", "Enter")
    expect(ben.locator("#partner-note")).to_have_text("running late, call you at 8")
    expect(ben.locator("#partner-light")).to_have_attribute("data-state", "yellow")
    expect(ana.locator("#my-status")).to_have_text("Shared.")
    ana.fill("#note", "home now")
    ana.click("#note-send")
    expect(ben.locator("#partner-note")).to_have_text("home now")
    assert ana.errors == [] and ben.errors == []


def test_it_shows_a_fired_reminder_in_the_open_app(browser, server):
    ana, ben = pair_through_the_ui(browser, server)
    block, _ = block_create(
        user=User.objects.get(username="ana"),
        fields={
            "kind": "connection",
            "name": "Dinner",
            "days": [0, 1, 2, 3, 4, 5, 6],
            "start": "12:00",
            "minutes": 60,
            "remind_before": 10,
        },
    )
    Reminder.objects.filter(block=block, kind="before").update(next_fire_at=timezone.now())
    fire_reminders(1)
    for page in (ana, ben):  # over the doorbell, or at the next heartbeat
        expect(page.locator("#banners")).to_contain_text("Soon: Dinner at", timeout=8000)
    # Ben said he would be back by now: the nudge is his alone.
    preview_post(
        user=User.objects.get(username="ben"),
        message="Out for a run",
        expected_at=timezone.now() + timedelta(minutes=1),
    )
    Preview.objects.update(nudge_at=timezone.now())
    assert preview_nudge_next(timezone.now())
    expect(ben.locator("#banners")).to_contain_text("Time to reconnect?", timeout=8000)
    expect(ana.locator("#banners")).to_contain_text("Soon: Dinner at")
    assert ana.errors == [] and ben.errors == []


def axe_violations(page) -> list[str]:
    """axe-core's default rules (WCAG 2.x A and AA, and best practices) on the page as it
    stands: each violation as its rule and the first elements it found."""
    assert AXE.exists(), f"{AXE} is missing: `make test` installs it (npm ci)"
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [f"{v['id']}: {[' '.join(n['target']) for n in v['nodes'][:3]]}" for v in found]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_it_has_no_axe_violations_on_any_page(browser, server, scheme):
    # axe is injected as a script of its own: the pages' CSP would refuse it, so these
    # contexts bypass the CSP (tested on its own in test_pages.py).
    options = {"color_scheme": scheme, "bypass_csp": True}
    visitor = phone(browser, server, **options)
    pages = {}
    for path in ("/", "/accounts/register/", "/accounts/login/", "/offline/"):
        visitor.goto(path)
        pages[path] = axe_violations(visitor)
    ana, ben = phone(browser, server, **options), phone(browser, server, **options)
    sign_up(ana, "ana", "Ana")
    sign_up(ben, "ben", "Ben")
    ana.click("text=Make a code for my partner")
    pages["/pair/ (a code)"] = axe_violations(ana)
    ben.fill("#id_code", ana.locator("#code").text_content())
    ben.click("form.stack button.primary")
    ben.wait_for_url(f"{server.base}/")
    ana.wait_for_url(f"{server.base}/", timeout=10000)
    ben.fill("#note", "a hard day")
    ben.click(".light-btn[data-state=red]")
    expect(ana.locator("#answer-form")).to_be_visible()
    ana.click("#replies button[data-reply=coming]")
    expect(ben.locator("#my-answer")).to_be_visible()
    pages["/ (a red to answer)"] = axe_violations(ana)
    pages["/ (answered)"] = axe_violations(ben)
    for path in ("/rhythm/", "/history/", "/practice/", "/settings/"):
        ana.goto(path)
        pages[path] = axe_violations(ana)
    assert {path: found for path, found in pages.items() if found} == {}


def take_the_assessment(page, value: str):
    page.goto("/practice/")
    results = page.locator("#results li").count()
    for fieldset in page.locator("fieldset.scale").all():
        fieldset.locator(f"input[value='{value}']").check()
    page.click("#assessment-form button.primary")
    expect(page.locator("#assessment-result")).to_be_visible()  # where it was tapped
    expect(page.locator("#results li")).to_have_count(results + 1)


def test_it_takes_the_self_assessment_privately_and_shares_a_result(browser, server):
    ana, ben = paired_phones(browser, server)
    ana.goto("/practice/")
    ana.click("#assessment-form button.primary")  # nothing answered: the browser holds it back
    expect(ana.locator("#results li")).to_have_count(0)
    take_the_assessment(ana, "4")
    expect(ana.locator("#result-words")).to_contain_text("at ease both leaning on your partner")
    expect(ana.locator("#result-means")).to_have_text(
        "Leaning on your partner: 4.0 of 5. Standing on your own: 4.0 of 5."
    )
    assert ana.evaluate("document.activeElement.id") == "assessment-result"
    take_the_assessment(ana, "2")
    expect(ana.locator("#results li")).to_have_count(2)
    expect(ana.locator("svg.trend")).to_be_visible()  # her own trend, from two results
    ben.goto("/practice/")
    expect(ben.locator("#partner-pattern")).to_have_count(0)  # nothing shared yet
    # The first result, interdependent: first what Ben will see, then share it.
    ana.click("#results li:nth-child(2) summary")
    expect(ana.locator("#results li:nth-child(2) .quote")).to_contain_text(
        "Ana seems at ease both leaning on you"
    )
    ana.click("#results li:nth-child(2) button.share")
    expect(ana.locator("#results li:nth-child(2) button.share")).to_have_attribute("data-shared", "true")
    expect(ben.locator("#partner-pattern")).to_contain_text("Ana seems at ease both leaning on you")  # live
    expect(ben.locator("#partner-pattern")).to_contain_text("4.0 of 5")
    ana.fill("#alone-minutes", "12")
    ana.click("#alone-form button")
    expect(ana.locator("#journal-summary")).to_contain_text("1 time alone (12 min)")
    ana.fill("#anxiety-before", "7")
    ana.fill("#anxiety-after", "4")
    ana.fill("#anxiety-trigger", "no reply for hours")
    ana.click("#anxiety-form button")
    expect(ana.locator("#journal-summary")).to_contain_text("1 anxious moment sat with")
    expect(ana.locator("#journal-summary")).to_contain_text("eased from 7.0 to 4.0")
    expect(ana.locator("#journal li").first).to_contain_text(
        "Sat with a worry: 7, then 4 · “no reply for hours”"
    )
    ana.fill("#self-care", "a long bath\ncall my sister")
    ana.click("#self-care-form button")
    expect(ana.locator("#self-care-status")).to_have_text("Your list is saved.")
    ana.fill("#tender", "I miss our Sunday walks")
    ana.click("#tender-send")  # goes as a note with a yellow light
    expect(ben.locator("#partner-note")).to_have_count(0)  # Ben is on the Practice tab
    ben.goto("/")
    expect(ben.locator("#partner-note")).to_have_text("I miss our Sunday walks")
    ben.goto("/practice/")
    expect(ben.locator("#journal-summary")).to_contain_text("0 times alone")  # hers are hers alone
    expect(ben.locator("#self-care")).to_have_value("")
    ana.evaluate("window.scrollTo(0, 0)")
    shot(ana, "practice")
    assert ana.errors == [] and ben.errors == []


def test_it_makes_a_small_ask_and_the_partner_says_not_now_kindly(browser, server):
    ana, ben = pair_through_the_ui(browser, server)
    ana.goto("/practice/")
    ana.fill("#ask-text", "Could you call me at lunch?")
    ana.click("#ask-form button.primary")
    expect(ana.locator("#asks li").first).to_contain_text("Waiting for an answer.")
    ana.fill("#ask-text", "And one more?")
    ana.click("#ask-form button.primary")
    expect(ana.locator("#ask-status")).to_contain_text("still open")
    expect(ben.locator("#banners")).to_contain_text(
        "Ana asks: “Could you call me at lunch?”"
    )  # live on Lights
    ben.goto("/practice/")
    expect(ben.locator("#asks li").first).to_contain_text("Ana asked: “Could you call me at lunch?”")
    ben.click("#asks li button[data-answer=not_now]")
    expect(ben.locator("#asks li").first).to_contain_text("Not now, and that's okay.")
    ana.reload()
    expect(ana.locator("#asks li").first).to_contain_text("Not now, and that's okay.")
    # The second ask's 409 is the browser's only complaint: no script error.
    assert [e for e in ana.errors if "409 (Conflict)" not in e] == [] and ben.errors == []


def test_it_runs_the_weekly_check_in_and_sets_its_reminder(browser, server):
    ana, ben = pair_through_the_ui(browser, server)
    ana.goto("/practice/")
    ana.fill("#checkin-appreciation", "the soup when I was ill")
    ana.fill("#checkin-need", "an evening out together")
    ana.click("#checkin-form button.primary")
    expect(ana.locator("#checkin-mine")).to_contain_text("the soup when I was ill")
    expect(ana.locator("#checkin-partner")).to_contain_text("once they have written it")
    ben.goto("/practice/")
    expect(ben.locator("#checkin-partner")).to_contain_text("Ana has written theirs")
    expect(ben.locator("body")).not_to_contain_text("the soup when I was ill")
    ben.fill("#checkin-appreciation", "your calm on Monday")
    ben.fill("#checkin-need", "a lie-in")
    ben.click("#checkin-form button.primary")
    expect(ben.locator("#checkin-partner")).to_contain_text("the soup when I was ill")
    ana.reload()
    expect(ana.locator("#checkin-partner")).to_contain_text("a lie-in")
    ana.select_option("#checkin-day", "6")
    ana.click("#checkin-remind button")
    expect(ana.locator("#checkin-reminder")).to_contain_text("the weekly check-in")
    assert Block.objects.get(name="Weekly check-in", key="checkin").days == [6]
    assert ana.errors == [] and ben.errors == []


def test_it_times_ten_minutes_alone_and_logs_them(browser, server):
    ana, ben = pair_through_the_ui(browser, server)
    ana.clock.install()
    ana.goto("/practice/")
    ana.click("#timer-start")
    expect(ana.locator("#timer")).to_contain_text(re.compile(r"\b(10:00|9:\d\d) left"))
    ana.clock.run_for("10:01")
    expect(ana.locator("#journal-summary")).to_contain_text("1 time alone (10 min)")
    assert ana.errors == [] and ben.errors == []


def test_it_speaks_to_each_partner_in_their_own_language(browser, server):
    """Mei's phone asks for Chinese, Ben's for English: each account starts in its
    phone's language, each page and each live word is in its reader's."""
    mei, ben = phone(browser, server, locale="zh-CN"), phone(browser, server, locale="en-US")
    sign_up(mei, "mei", "Mei")
    sign_up(ben, "ben", "Ben")
    expect(mei.locator("h1")).to_have_text("和伴侣配对")
    mei.click("button[name=invite]")
    ben.fill("#id_code", mei.locator("#code").text_content())
    ben.click("form.stack button.primary")
    mei.wait_for_url(f"{server.base}/", timeout=10000)
    ben.wait_for_url(f"{server.base}/")
    assert dict(User.objects.values_list("username", "language")) == {"mei": "zh-hans", "ben": "en"}
    expect(mei.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(mei.locator("#mine-h")).to_have_text("我的灯")
    expect(ben.locator("#mine-h")).to_have_text("My light")
    ben.fill("#note", "rough day")
    ben.click(".light-btn[data-state=red]")
    expect(mei.locator("#partner-word")).to_have_text("红灯")
    expect(mei.locator("#partner-meaning")).to_have_text("我现在真的需要你；请给我关注和支持。")
    expect(mei.locator("#announce")).to_contain_text("Ben 现在亮的是红灯")
    expect(mei.locator("#partner-since")).to_have_text(re.compile(r"^自 \d{2}:\d{2} 起$"))
    expect(mei.locator("#answer-h")).to_have_text("回应 Ben：")
    mei.click("#replies button[data-reply=coming]")
    expect(mei.locator("#answer-status")).to_have_text("已发送：我这就过来。")
    expect(ben.locator("#my-answer")).to_have_text("Mei: Coming to you.")  # his words for her answer
    expect(ben.locator("#my-status")).to_have_text("Shared.")
    shot(mei, "home-zh-hans")
    mei.goto("/history/")
    expect(mei.locator(".timeline")).to_contain_text("Ben：红灯")
    expect(mei.locator(".timeline time").first).to_have_text(
        re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}$")
    )
    # She switches to English in Settings: the page comes back in it.
    mei.goto("/settings/")
    expect(mei.locator("#me-h")).to_have_text("设置")
    mei.select_option("#me-language", "en")
    mei.click("#me-form button")
    expect(mei.locator("#me-h")).to_have_text("Settings")
    assert User.objects.get(username="mei").language == "en"
    mei.goto("/")
    expect(mei.locator("#partner-word")).to_have_text("Red")
    assert mei.errors == [] and ben.errors == []


def test_it_makes_a_calendar_link_and_takes_an_email_address(browser, server):
    ana, _ = pair_through_the_ui(browser, server)
    ana.goto("/rhythm/")
    expect(ana.locator("#cal-state")).to_have_text("No calendar link yet.")
    ana.click("#cal-make")
    expect(ana.locator("#cal-url")).to_have_value(re.compile(r"^http://[^ ]+/cal/[^ /]+\.ics$"))
    url = ana.locator("#cal-url").input_value()
    assert ana.locator("#cal-open").get_attribute("href").startswith("webcal://")
    feed = ana.request.get(url)
    assert feed.status == 200 and feed.text().startswith("BEGIN:VCALENDAR")
    ana.click("#cal-stop")
    expect(ana.locator("#cal-state")).to_contain_text("The link is stopped")
    assert ana.request.get(url).status == 404
    ana.goto("/settings/")
    ana.fill("#me-email", "ana@example.com")
    ana.click("#mail-form button")
    expect(ana.locator("#mail-status")).to_have_text(
        "We sent a link to this address: follow it to confirm it."
    )
    assert User.objects.get(username="ana").email == "ana@example.com"
    assert ana.errors == []


# One live app: the partner is with you on every page, and nothing shown is old or untrue.


def test_it_brings_a_red_to_a_partner_on_any_page_and_takes_the_answer_there(browser, server):
    ana, ben = pair_through_the_ui(browser, server)
    for path in ("/history/", "/practice/", "/settings/", "/rhythm/"):
        ben.goto(path)
        expect(ben.locator("#strip")).to_be_visible()
        ana.fill("#note", f"need you ({path})")
        started = time.monotonic()
        ana.click(".light-btn[data-state=red]")
        expect(ben.locator("#strip")).to_have_attribute("data-state", "red", timeout=1000)
        assert time.monotonic() - started < 1.0, path
        expect(ben.locator("#strip-word")).to_have_text("Red")
        expect(ben.locator("#strip-note")).to_have_text(f"need you ({path})")
        expect(ben.locator("#announce")).to_contain_text("Ana's light is now red")
        expect(ben.locator(".tabs .mark")).to_be_visible()  # the Lights tab carries it
        assert on_first_screen(ben, "#strip-replies"), path
        if path == "/history/":
            expect(ben.locator(".timeline li").first).to_contain_text("need you (/history/)", timeout=3000)
            shot(ben, "partner-strip")
        ana.click(".light-btn[data-state=green]")
        expect(ben.locator("#strip")).to_have_attribute("data-state", "green")
        expect(ben.locator("#strip-replies")).to_be_hidden()
        expect(ben.locator(".tabs .mark")).to_be_hidden()
    ana.click(".light-btn[data-state=yellow]")
    expect(ben.locator("#strip-replies")).to_be_visible()
    ben.click("#strip-replies button[data-reply=call_soon]")  # answered from the strip, on Rhythm
    expect(ben.locator("#strip-status")).to_have_text("Sent: I'll call you soon.")
    expect(ana.locator("#my-answer")).to_have_text("Ben: I'll call you soon.")
    assert ana.errors == [] and ben.errors == []


def test_it_brings_an_ask_and_a_check_in_to_an_open_practice_page(browser, server):
    ana, ben = pair_through_the_ui(browser, server)
    ben.goto("/practice/")
    ana.goto("/practice/")
    ana.fill("#ask-text", "Tea at four?")
    ana.click("#ask-form button.primary")
    expect(ben.locator("#asks")).to_contain_text("Ana asked: “Tea at four?”", timeout=3000)
    expect(ben.locator("#banners")).to_contain_text("Ana asks: “Tea at four?”")
    ben.click("#asks button.ask-answer[data-answer=yes]")  # a button of the list put in place
    expect(ana.locator("#asks")).to_contain_text("Tea at four?")
    expect(ana.locator("#banners")).to_contain_text("Ben: yes to your ask.", timeout=3000)
    for page, words in ((ana, ("the walk", "an early night")), (ben, ("the soup", "a quiet evening"))):
        page.fill("#checkin-appreciation", words[0])
        page.fill("#checkin-need", words[1])
        page.click("#checkin-form button.primary")
    expect(ana.locator("#checkin-partner")).to_contain_text("the soup", timeout=3000)  # revealed, no reload
    expect(ana.locator("#banners")).to_contain_text("You have both written this week's check-in")
    ana.locator("#banners .banner", has_text="check-in").locator("button.close").click()
    expect(ana.locator("#banners")).not_to_contain_text("check-in")
    assert ana.errors == [] and ben.errors == []


def test_it_shows_the_newest_state_after_an_offline_reload(browser, server):
    ana, ben = pair_through_the_ui(browser, server)
    ana.click(".light-btn[data-state=red]")
    expect(ben.locator("#partner-light")).to_have_attribute("data-state", "red")
    ben.goto("/history/")  # the service worker keeps a copy of each page seen
    ben.goto("/")  # this one with a red in its snapshot
    expect(ben.locator("#partner-light")).to_have_attribute("data-state", "red")
    ana.click(".light-btn[data-state=yellow]")
    ana.fill("#note", "better now")
    ana.click(".light-btn[data-state=green]")
    expect(ben.locator("#partner-note")).to_have_text("better now")
    wait_caught_up(ben)
    ben.context.set_offline(True)
    ben.reload()
    expect(ben.locator("#partner-light")).to_have_attribute("data-state", "green")
    expect(ben.locator("#partner-note")).to_have_text("better now")
    expect(ben.locator("#partner-since")).to_contain_text("Last known")
    expect(ben.locator("#answer-form")).to_be_hidden()  # nothing to answer in a light that ended
    ben.goto("/history/")  # and on every other page, the strip says the same
    expect(ben.locator("#strip")).to_have_attribute("data-state", "green")
    expect(ben.locator("#strip-since")).to_contain_text("Last known")
    ben.context.set_offline(False)
    assert ana.errors == []


def test_it_says_an_answer_queued_offline_was_not_sent_once_the_light_changed(browser, server):
    ana, ben = pair_through_the_ui(browser, server)
    ana.click(".light-btn[data-state=red]")
    expect(ben.locator("#answer-form")).to_be_visible()
    ben.context.set_offline(True)
    expect(ben.locator("#net")).to_have_text("Offline")
    ben.click("#replies button[data-reply=coming]")
    expect(ben.locator("#answer-status")).to_contain_text("when you're back online")
    ana.click(".light-btn[data-state=green]")
    expect(ana.locator("#my-status")).to_have_text("Shared.")  # written before Ben is back
    ben.context.set_offline(False)
    expect(ben.locator("#partner-light")).to_have_attribute("data-state", "green", timeout=15000)
    expect(ben.locator("#answer-status")).to_have_text("Not sent: Ana's light changed meanwhile.")
    wait_caught_up(ben)
    assert not Event.objects.filter(kind="signal.answered").exists()


def test_it_rolls_a_refused_change_back_with_its_reason_and_cleans_a_pasted_tab(browser, server):
    ana, ben = pair_through_the_ui(browser, server)
    ana.fill("#note", "a tab\there, a line\nthere")
    ana.click(".light-btn[data-state=yellow]")
    expect(ben.locator("#partner-note")).to_have_text("a tab here, a line there")  # cleaned, not refused
    expect(ana.locator("#my-status")).to_have_text("Shared.")
    # Past the budget of changes the server refuses one: the page goes back to its state.
    with override_writes(server, 1):
        ana.fill("#note", "one too many")
        ana.click(".light-btn[data-state=red]")
        expect(ana.locator("#my-status")).to_contain_text("Not shared:")
        expect(ana.locator(".light-btn[data-state=yellow]")).to_have_attribute("aria-pressed", "true")
        expect(ana.locator(".light-btn[data-state=red]")).to_have_attribute("aria-pressed", "false")
        expect(ana.locator("#note")).to_have_value("one too many")  # given back, not wiped
    expect(ben.locator("#partner-light")).to_have_attribute("data-state", "yellow")
    assert not Event.objects.filter(kind="signal.changed", data__state="red").exists()


class override_writes:
    """The server's budget of changes per person, made small for a while: the budget's
    counter is Redis's, so spend it there."""

    def __init__(self, server, left: int):
        self.server, self.left = server, left

    def __enter__(self):
        import redis

        client = redis.Redis.from_url(os.environ["REDIS_URL"])
        prefix = self.server.env["PORCHLIGHT_REDIS_PREFIX"]
        user = User.objects.get(username="ana").pk
        window = int(time.time() // 60)
        for minute in (window, window + 1):
            client.set(f"{prefix}:writes:{user}:{minute}", 10**9, ex=120)
        self.client, self.keys = client, [f"{prefix}:writes:{user}:{m}" for m in (window, window + 1)]
        return self

    def __exit__(self, *exc):
        self.client.delete(*self.keys)


@pytest.mark.parametrize("size", [(360, 640), (320, 568)])
def test_it_keeps_both_lights_on_the_first_screen_with_every_card(browser, server, size):
    width, height = size
    ana, ben = pair_through_the_ui(browser, server)
    a, b = User.objects.get(username="ana"), User.objects.get(username="ben")
    Couple.objects.update(flag_threshold=2)
    for state in ("red", "green", "red"):
        signal_set(user=b, state=state, note="I need you tonight, it was a hard day")
    for person in (a, b):
        preview_post(user=person, message="Home around nine", expected_at=timezone.now() + timedelta(hours=2))
    for name, start in (("Dinner", "12:00"), ("Walk", "15:00")):
        block_create(
            user=a,
            fields={
                "kind": "connection",
                "name": name,
                "days": list(range(7)),
                "start": start,
                "minutes": 60,
                "remind_before": 10,
            },
        )
    ana.set_viewport_size({"width": width, "height": height})
    ana.reload()
    Reminder.objects.filter(kind="before").update(next_fire_at=timezone.now())  # two reminder banners
    fire_reminders(2)
    expect(ana.locator("#banners .banner")).to_have_count(2, timeout=8000)
    expect(ana.locator("#agreement")).to_be_visible()
    expect(ana.locator("#flag")).to_be_visible()
    expect(ana.locator("#partner-preview")).to_be_visible()
    shot(ana, f"first-screen-{width}")

    def on_screen(selector):
        box = ana.locator(selector).bounding_box()
        return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height

    for selector in ("#partner-light", "#partner-note", "#replies", ".lights", "#my-status"):
        assert on_screen(selector), f"{selector} is off the first screen at {width} x {height}"
    ana.click(".light-btn[data-state=yellow]")
    expect(ana.locator("#my-status")).to_have_text("Shared.")
    assert on_screen("#my-status")
    ana.locator("#banners .banner").first.locator("button.close").click()
    expect(ana.locator("#banners .banner")).to_have_count(1)
    assert ana.errors == []


def test_it_shows_no_reminder_banner_of_a_muted_block_to_the_one_who_muted_it(browser, server):
    ana, ben = pair_through_the_ui(browser, server)
    block, _ = block_create(
        user=User.objects.get(username="ana"),
        fields={
            "kind": "connection",
            "name": "Walk",
            "days": list(range(7)),
            "start": "12:00",
            "minutes": 30,
            "remind_before": 10,
        },
    )
    ana.goto("/rhythm/")
    ana.locator("#blocks li", has_text="Walk").locator("button", has_text="Mute for me").click()
    expect(ana.locator("#blocks li", has_text="Walk").locator("button[aria-pressed=true]")).to_be_visible()
    ana.goto("/history/")  # the mute follows to every page
    ben.goto("/history/")
    Reminder.objects.filter(block=block, kind="before").update(next_fire_at=timezone.now())
    fire_reminders(1)
    expect(ben.locator("#banners")).to_contain_text("Soon: Walk at", timeout=8000)
    wait_caught_up(ana)
    expect(ana.locator("#banners")).not_to_contain_text("Walk")
    assert ana.errors == [] and ben.errors == []


def logged_in(browser, server, user, **options):
    """A phone already logged in as `user` (a session made here), for tests whose subject
    is not signing up."""
    client = DjangoClient()
    with override_settings(SECRET_KEY=server.env["SECRET_KEY"]):  # the server's, which signs the session
        client.force_login(user)
    page = phone(browser, server, **options)
    name = settings.SESSION_COOKIE_NAME
    page.context.add_cookies([{"name": name, "value": client.cookies[name].value, "url": server.base}])
    return page


def paired_phones(browser, server, languages=("en", "en")):
    ana = make_user("ana", display_name="Ana", language=languages[0], timezone="Europe/Berlin")
    ben = make_user("ben", display_name="Ben", language=languages[1], timezone="Europe/Berlin")
    pair(ana, ben)
    return logged_in(browser, server, ana), logged_in(browser, server, ben)


def test_it_plans_a_day_ahead_says_who_is_out_of_reach_and_welcomes_them_back(browser, server):
    ana, ben = paired_phones(browser, server, languages=("en", "zh-hans"))
    ana.goto("/")
    ben.goto("/")
    # A preset, four days ahead at 19:00, out of reach until then.
    ana.click("#presets button >> nth=0")
    ana.select_option("#preview-day", index=4)
    ana.fill("#preview-time", "19:00")
    ana.check("#preview-unreachable")
    ana.click("#preview-form button.primary")
    expect(ana.locator("#my-preview .preview-message")).to_contain_text("Out for the evening")
    when = ana.locator("#my-preview .preview-when").text_content()
    assert "07:00 PM" in when and "today" not in when and "tomorrow" not in when, when
    assert "out of reach until then" in when
    preview = Preview.objects.get()
    local = preview.expected_at.astimezone(ZoneInfo("Europe/Berlin"))
    assert (local.date() - timezone.now().astimezone(ZoneInfo("Europe/Berlin")).date()).days == 4
    assert local.strftime("%H:%M") == "19:00" and preview.preset == "goodnight"
    # Ben reads the preset in his own language, and what "out of reach" means.
    expect(ben.locator("#partner-preview .preview-message")).to_contain_text("晚上出去一下")
    expect(ben.locator("#partner-away")).to_contain_text("联系不上")
    expect(ben.locator("#partner-away")).to_contain_text("红灯会立刻送达")
    shot(ben, "out-of-reach")
    # His yellow waits, and his status says so; in her open app it comes in quietly.
    ben.click(".light-btn[data-state=yellow]")
    expect(ben.locator("#my-status")).to_contain_text("之后看到")
    expect(ana.locator("#announce-quiet")).to_contain_text("Ben's light is now yellow")
    expect(ana.locator("#announce")).to_have_text("")
    ben.click(".light-btn[data-state=red]")
    expect(ben.locator("#my-status")).to_contain_text("红灯会立刻送达")
    expect(ana.locator("#announce")).to_contain_text("Ben's light is now red")  # a red gets through
    # Ana comes back: she sees it acknowledged, he sees her back, after a reload too.
    ana.click("#reunion")
    expect(ana.locator("#my-back")).to_contain_text("Welcome back. Ben can see you're back")
    expect(ben.locator("#partner-back")).to_contain_text("Ana")
    ben.reload()
    expect(ben.locator("#partner-back")).to_contain_text("Ana")
    ana.reload()
    expect(ana.locator("#my-back")).to_be_visible()
    # A plan for tomorrow reads "tomorrow", in each reader's language.
    ana.select_option("#preview-day", index=1)
    ana.fill("#preview-time", "08:30")
    ana.fill("#preview-message", "Dentist")
    ana.click("#preview-form button.primary")
    expect(ana.locator("#my-preview .preview-when")).to_contain_text("back around tomorrow 08:30 AM")
    expect(ben.locator("#partner-preview .preview-when")).to_contain_text("明天 08:30")
    assert ana.errors == [] and ben.errors == []


def test_it_gives_a_person_without_a_partner_the_whole_of_their_own_app(browser, server):
    """Practice, Settings and the language switch before pairing; the couple's pages say
    they wait, with the way to pair."""
    mei = phone(browser, server)
    sign_up(mei, "mei", "Mei")
    expect(mei.locator("nav.tabs a")).to_have_count(5)
    mei.click("nav.tabs >> text=Rhythm")
    expect(mei.locator("#waiting-partner")).to_contain_text("This page is for the two of you")
    mei.click("#waiting-partner >> text=Start with yourself")
    mei.wait_for_url("**/practice/")
    # The assessment: a lean towards managing alone, shown where it was taken.
    for fieldset in mei.locator("fieldset.scale").all():
        name = fieldset.locator("input").first.get_attribute("name")
        value = "1" if name in DEPENDENCE_ITEMS else "5"
        fieldset.locator(f"input[value='{value}']").check()
    mei.click("#assessment-form button.primary")
    expect(mei.locator("#result-words")).to_contain_text("You lean towards managing alone")
    expect(mei.locator("#result-means")).to_contain_text("1.0 of 5")
    expect(mei.locator("#results .share-preview")).to_have_count(0)  # nobody to share it with
    # An anxious moment with "now" alone, listed back; the breathing guide beside it.
    mei.fill("#anxiety-before", "6")
    mei.click("#anxiety-form button")
    expect(mei.locator("#anxiety-status")).to_contain_text("Logged")
    expect(mei.locator("#journal li").first).to_contain_text("Sat with a worry: 6")
    mei.clock.install()
    mei.click("#breathe-start")
    expect(mei.locator("#breath-step")).to_contain_text("Breathe in through your nose (round 1 of 4)")
    expect(mei.locator("#breath-count")).to_have_text("4")
    mei.clock.run_for(4000)
    expect(mei.locator("#breath-step")).to_contain_text("Hold your breath")
    mei.clock.run_for(7000)
    expect(mei.locator("#breath-step")).to_contain_text("Breathe out slowly")
    mei.click("#breathe-stop")
    expect(mei.locator("#breath-step")).to_have_text("Stopped.")
    # The weekly steps, for her lean, marked privately.
    mei.reload()
    mei.check("#step-say_low")
    expect(mei.locator("#steps-status")).to_have_text("Marked done. Well done.")
    mei.evaluate("window.scrollTo(0, 0)")
    shot(mei, "practice-alone")
    # Settings without a partner; the language from the pairing page.
    mei.click("nav.tabs >> text=Settings")
    expect(mei.locator("#not-paired")).to_be_visible()
    expect(mei.locator("#us-form")).to_have_count(0)
    mei.click("nav.tabs >> text=Pair")
    mei.click(".languages button[lang=zh-hans]")
    expect(mei.locator("h1").first).to_have_text("和伴侣配对")
    assert User.objects.get(username="mei").language == "zh-hans"
    assert mei.errors == []


def test_it_takes_a_partner_from_the_pairing_link_through_sign_up_into_the_couple(browser, server):
    ana = phone(browser, server)
    sign_up(ana, "ana", "Ana")
    ana.click("text=Make a code for my partner")
    link = ana.locator("#copy").get_attribute("data-link")
    ana.reload()
    expect(ana.locator("#code")).to_be_visible()  # the open code, shown again
    ben = phone(browser, server)
    ben.goto(link)
    expect(ben.locator("#invited")).to_contain_text("Your partner has invited you")
    ben.fill("#id_username", "ben")
    ben.fill("#id_display_name", "Ben")
    ben.fill("#id_timezone", "Europe/Berlin")
    ben.fill("#id_password1", PASSWORD)
    ben.fill("#id_password2", PASSWORD)
    ben.click("button.primary")
    expect(ben.locator("#join #id_code")).to_have_value(link.rsplit("=", 1)[1])
    ben.click("#join button.primary")
    ben.wait_for_url(f"{server.base}/")
    ana.wait_for_url(f"{server.base}/", timeout=10000)
    expect(ana.locator("#partner-name")).to_have_text("Ben")
    assert ana.errors == [] and ben.errors == []


# What a page shows a reader, wherever it is: text, the words of controls, what CSS adds.
SHOWN = """() => {
  const parts = [document.title, document.body.innerText];
  for (const el of document.querySelectorAll("*")) {
    for (const name of ["placeholder", "aria-label", "title", "alt"]) if (el.getAttribute(name)) parts.push(el.getAttribute(name));
    if (el.tagName === "title" || el.tagName === "TITLE") parts.push(el.textContent);
    for (const pseudo of ["::before", "::after"]) {
      const content = getComputedStyle(el, pseudo).content;
      if (content && content !== "none" && content !== "normal") parts.push(content.replace(/^"|"$/g, ""));
    }
  }
  return parts.join("\\n");
}"""
# Latin words a Chinese page may hold: names, the product, formats and codes, the switch to English.
LATIN_ALLOWED = {"Mei", "Lei", "Porchlight", "English", "JSON", "CSV", "Content-Type", "application", "json"}


def latin_words(page) -> set[str]:
    text = re.sub(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}\b", "", page.evaluate(SHOWN))  # an invite code
    return set(re.findall(r"[A-Za-z][A-Za-z'’-]*", text)) - LATIN_ALLOWED


def test_it_shows_no_english_anywhere_in_the_chinese_app(browser, server):
    mei = make_user("mei", display_name="Mei", language="zh-hans", timezone="Asia/Shanghai")
    lei = make_user("lei", display_name="Lei", language="zh-hans", timezone="Asia/Shanghai")
    pair(mei, lei)
    # A week of everything: lights and answers, a preset preview, the rhythm, practice.
    signal_set(user=lei, state="red", note="想你了")
    signal_set(user=lei, state="red", note="还在")
    signal_answer(user=mei, reply="call_soon")
    signal_set(user=mei, state="yellow", note="有点累")
    signal_answer(user=lei, reply="seen")
    preview_post(
        user=lei,
        preset="goodnight",
        expected_at=timezone.now() + timedelta(days=3),
        unreachable_until=timezone.now() + timedelta(days=3),
    )
    block_create(
        user=mei,
        fields={"name": "晚饭", "kind": "connection", "days": [0, 2], "start": "19:00", "minutes": 60},
    )
    block_create(
        user=mei,
        fields={
            "name": "Weekly check-in",
            "key": "checkin",
            "kind": "connection",
            "days": [6],
            "start": "20:00",
            "minutes": 20,
        },
    )
    assessment = assessment_take(
        user=lei, answers={key: 5 if dim == "dependence" else 1 for key, dim, _ in ITEMS}
    )
    assessment_share(user=lei, assessment_id=assessment.pk, shared=True)
    assessment_take(user=mei, answers={key: 1 if dim == "dependence" else 5 for key, dim, _ in ITEMS})
    journal_write(user=mei, kind="anxiety", intensity_before=6, intensity_after=3, trigger="工作")
    ask_make(user=lei, text="今晚散步吗？")
    checkin_write(user=mei, week=week_of(today_of(mei)), appreciation="早餐", need="早点睡")
    found = {}
    page = logged_in(browser, server, mei, bypass_csp=True)  # for axe, below
    page.goto("/history/")  # Lei's answer to my light goes with my light, on the strip too
    expect(page.locator("#strip-mine")).to_have_text("你的黄灯 · Lei：我看到你了。我在。")
    for path in ("/", "/rhythm/", "/history/", "/practice/", "/settings/", "/no-such-page/"):
        page.goto(path)
        page.wait_for_timeout(700)  # the live parts filled in
        found[path] = latin_words(page)
    # Alone again: the pairing page with how it ended, and the pages that wait.
    couple_unpair(user=lei)
    for path in ("/pair/", "/rhythm/", "/history/", "/practice/"):
        page.goto(path)
        found[f"{path} (unpaired)"] = latin_words(page)
    page.goto("/pair/")
    page.click("button[name=invite]")
    found["/pair/ (a code)"] = latin_words(page)
    assert axe_violations(page) == []  # the ended-pairing banner's link too
    # Before logging in, a visitor whose phone asks for Chinese.
    visitor = phone(browser, server, locale="zh-CN")
    for path in (
        "/",
        "/accounts/login/",
        "/accounts/register/",
        "/accounts/password-reset/",
        "/accounts/login/link/",
    ):
        visitor.goto(path)
        found[f"{path} (visitor)"] = latin_words(visitor)
    assert {path: words for path, words in found.items() if words} == {}
    assert [e for e in page.errors if "404" not in e] == [] and visitor.errors == []


def delivered(page, server, payload: dict) -> list[dict]:
    """Deliver a push the server made to this phone's service worker through the DevTools
    protocol, as its push service would; then what it shows."""
    cdp = page.context.new_cdp_session(page)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 5
    while not registrations and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    registration = next(r for r in registrations if r["scopeURL"].startswith(server.base))
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": server.base,
            "registrationId": registration["registrationId"],
            "data": json.dumps(payload),
        },
    )
    page.wait_for_timeout(300)
    return shown(page)


def shown(page) -> list[dict]:
    return page.evaluate(
        """async () => (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => ({
            title: n.title, body: n.body, tag: n.tag, silent: n.silent, requireInteraction: n.requireInteraction,
            actions: n.actions.map((a) => a.action),
        }))"""
    )


def payload_for(event, person) -> dict:
    with translation.override(person.language):
        return push_payload(event=event, device=PushDevice(user=person, include_text=False))[0]


def test_it_answers_a_red_from_its_notification_and_never_leaves_an_ended_red_standing(browser, server):
    ana, ben = paired_phones(browser, server)
    ben.context.grant_permissions(["notifications"], origin=server.base)
    ana.goto("/")
    ben.goto("/settings/")  # any page: it registers the worker and hands it the CSRF token
    ben.evaluate("navigator.serviceWorker.ready")
    worker = ben.context.service_workers[0]
    worker.evaluate(
        "() => { self.badges = []; self.navigator.setAppBadge = (n) => { self.badges.push(n); return Promise.resolve(); }; self.navigator.clearAppBadge = () => { self.badges.push(0); return Promise.resolve(); }; }"
    )
    ana_user, ben_user = User.objects.get(username="ana"), User.objects.get(username="ben")
    red, _ = signal_set(user=ana_user, state="red", note="the appointment")
    [notification] = delivered(ben, server, payload_for(red, ben_user))
    assert notification["title"] == "Ana needs you" and "appointment" not in notification["body"]
    assert notification["tag"] == f"light-{ana_user.pk}" and notification["requireInteraction"] is True
    # Chromium shows two actions (Notification.maxActions): the first two, in order.
    assert notification["actions"] == ["coming", "call_soon"]
    assert worker.evaluate("self.badges") == [1]
    # A newer light replaces it; green ends it quietly: one notification a partner, never a red left.
    yellow, _ = signal_set(user=ana_user, state="yellow")
    [notification] = delivered(ben, server, payload_for(yellow, ben_user))
    assert notification["title"] == "Ana is on yellow" and notification["silent"] is True
    green, _ = signal_set(user=ana_user, state="green")
    [notification] = delivered(ben, server, payload_for(green, ben_user))
    assert notification["title"] == "Ana is green again" and notification["actions"] == []
    assert worker.evaluate("self.badges") == [1, 0, 0]
    # A red again, answered from its notification as a tap on "Coming" is: Ana sees it live.
    red, _ = signal_set(user=ana_user, state="red")
    delivered(ben, server, payload_for(red, ben_user))
    worker.evaluate(
        """async () => {
            const [n] = await self.registration.getNotifications();
            n.close();
            await self.porchlightAnswer(n, "coming");
        }"""
    )
    expect(ana.locator("#my-answer")).to_have_text("Ben: Coming to you.")
    answer = Event.objects.get(kind="signal.answered")
    assert answer.actor == ben_user and answer.op_id and answer.data["reply"] == "coming"
    assert shown(ben) == []
    # A light that changed before the tap: nothing is sent, and the app opens saying why.
    yellow, _ = signal_set(user=ana_user, state="yellow")
    delivered(ben, server, payload_for(yellow, ben_user))
    signal_set(user=ana_user, state="green")
    worker.evaluate(
        """async () => {
            const [n] = await self.registration.getNotifications();
            n.close();
            await self.porchlightAnswer(n, "seen");
        }"""
    )
    opened = next(p for p in ben.context.pages if "answer=" in p.url or p.url.endswith("/"))
    expect(opened.locator("#my-status")).to_contain_text(
        "Your answer “I see you” from the notification was not sent"
    )
    assert Event.objects.filter(kind="signal.answered").count() == 1
    assert ana.errors == [] and [e for e in ben.errors if "404" not in e] == []


def test_it_opens_the_app_with_the_answer_waiting_when_the_notification_cannot_send_it(browser, server):
    ana, ben = paired_phones(browser, server)
    ben.context.grant_permissions(["notifications"], origin=server.base)
    ben.goto("/settings/")
    ben.evaluate("navigator.serviceWorker.ready")
    ben.goto("/")  # now a page the worker controls (and can move), and keeps for offline
    ana_user, ben_user = User.objects.get(username="ana"), User.objects.get(username="ben")
    red, _ = signal_set(user=ana_user, state="red")
    delivered(ben, server, payload_for(red, ben_user))
    worker = ben.context.service_workers[0]
    # The network fails for the worker's request: the app opens with the answer in its outbox.
    worker.evaluate(
        "() => { self.realFetch = self.fetch; self.fetch = () => Promise.reject(new TypeError('offline')); }"
    )
    worker.evaluate(
        """async () => {
            const [n] = await self.registration.getNotifications();
            n.close();
            await self.porchlightAnswer(n, "call_soon");
        }"""
    )
    expect(ben.locator("#answer-status")).to_contain_text("Saved here")  # the last page seen, offline
    assert ben.url == f"{server.base}/"
    worker.evaluate("() => { self.fetch = self.realFetch; }")
    ana.goto("/")
    expect(ana.locator("#my-answer")).to_have_text("Ben: I'll call you soon.")  # sent by the app, once
    assert Event.objects.filter(kind="signal.answered").count() == 1


def test_it_says_per_device_whether_notifications_reach_it_and_keeps_quiet_hours(browser, server):
    ana, ben = paired_phones(browser, server)
    ben_user = User.objects.get(username="ben")
    keys = {"p256dh": "B" + "A" * 86, "auth": "A" * 22}
    works = PushDevice.objects.create(
        user=ben_user, endpoint="https://push.example/a", label="Pixel", last_sent_at=timezone.now(), **keys
    )
    PushDevice.objects.create(
        user=ben_user, endpoint="https://push.example/b", label="Laptop", last_error="status 500", **keys
    )
    ben.goto("/settings/")
    devices = ben.locator("#devices li")
    expect(devices).to_have_count(2)
    expect(devices.nth(0)).to_contain_text("Pixel: the last notification reached it at")
    expect(devices.nth(1)).to_contain_text("Laptop: the last notification did not get through (status 500).")
    devices.nth(0).locator("button").click()
    expect(ben.locator("#notify-status")).to_contain_text("A test notification is on its way")
    assert PushJob.objects.get(device=works).payload["kind"] == "test"  # queued for the push loop
    # Quiet hours: his own; Ana sees only that red gets through now.
    local = timezone.now().astimezone(ZoneInfo("Europe/Berlin"))
    start, end = ((local + timedelta(hours=h)).strftime("%H:%M") for h in (-2, 2))  # now is inside
    ben.fill("#quiet-from", start)
    ben.fill("#quiet-until", end)
    ben.click("#quiet-form button:not([type])")
    expect(ben.locator("#quiet-status")).to_have_text("Saved. Quiet hours are on, in your time zone.")
    ben_user.refresh_from_db()
    assert (ben_user.quiet_from.strftime("%H:%M"), ben_user.quiet_until.strftime("%H:%M")) == (start, end)
    ana.goto("/")
    expect(ana.locator("#partner-away")).to_have_text(
        "Ben has quiet hours now: only red gets through at once."
    )
    assert start not in ana.content() and end not in ana.content()
    ana.click(".light-btn[data-state=yellow]")
    expect(ana.locator("#my-status")).to_have_text("Shared. Ben has quiet hours now: they will see it later.")
    ben.click("#quiet-clear")
    expect(ben.locator("#quiet-status")).to_have_text("No quiet hours: notifications come at any time.")
    assert ana.errors == [] and ben.errors == []
