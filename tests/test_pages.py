"""The phone app's pages, server side: flows without JavaScript, headers, weight."""

import json
import re
import shutil
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from couples.models import Event
from couples.services import account_delete, couple_unpair
from rhythms.services import block_create
from signals.services import signal_set
from tests.conftest import make_user, pair
from web.pages import app as pages

pytestmark = pytest.mark.django_db

STATIC = Path(__file__).resolve().parent.parent / "web" / "static" / "web"


def browser_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_of(user, path: str) -> str:
    response = browser_for(user).get(path)
    assert response.status_code == 200
    return response.content.decode()


def test_it_signs_up_then_asks_to_pair_then_logs_out_and_in(db):
    browser = Client()
    r = browser.post(
        "/accounts/register/",
        {
            "username": "erin",
            "display_name": "Erin",
            "timezone": "Europe/Berlin",
            "password1": "a long quiet morning",
            "password2": "a long quiet morning",
        },
    )
    assert r.status_code == 302 and r.url == "/pair/"
    assert browser.get("/").url == "/pair/"  # unpaired: the page says what to do next
    assert "Make a code for my partner" in browser.get("/pair/").text
    assert browser.post("/accounts/logout/").status_code == 302
    assert "Keep a light on for each other" in browser.get("/").text  # the welcome page
    assert browser.get("/settings/").url.startswith("/accounts/login/")
    r = browser.post("/accounts/login/", {"username": "erin", "password": "a long quiet morning"})
    assert r.status_code == 302


def test_it_refuses_a_bad_sign_up_with_the_reasons(db):
    r = Client().post(
        "/accounts/register/", {"username": "x", "timezone": "Nowhere", "password1": "1", "password2": "2"}
    )
    assert r.status_code == 200
    assert r.text.count('role="alert"') >= 2


def test_it_pairs_through_the_pages_with_a_code_link_and_qr(alice, bob):
    a, b = browser_for(alice), browser_for(bob)
    page = a.post("/pair/", {"invite": "1"}, follow=True).text
    code = re.search(r'id="code">([A-Z0-9-]+)<', page)[1]
    assert "<svg" in page and f"/pair/?code={code.replace('-', '')}" in page
    assert "Waiting for your partner" in page
    # The share link fills the code in.
    assert code.replace("-", "") in b.get(f"/pair/?code={code.replace('-', '')}").text
    assert b.post("/pair/", {"code": code.lower()}).url == "/"
    assert a.get("/pair/").url == "/"
    assert b.post("/pair/", {"code": code}).status_code == 400


def test_it_serves_the_app_with_its_starting_state(couple, alice, bob):
    signal_set(user=bob, state="yellow", note="<b>long day</b>")
    page = browser_for(alice).get("/").text
    start = json.loads(re.search(r'<script id="boot" type="application/json">(.*?)</script>', page, re.S)[1])
    assert start["me"]["id"] == alice.pk
    assert start["couple"]["seq"] == 2
    assert {p["display_name"] for p in start["couple"]["partners"]} == {"Alice", "Bob"}
    assert "<b>long day</b>" not in page  # json_script escapes it


def test_it_starts_a_person_without_a_partner_on_pairing(alice):
    assert browser_for(alice).get("/").url == "/pair/"


@pytest.mark.parametrize("path", ["/rhythm/", "/history/"])
def test_it_says_a_couples_page_waits_for_a_partner_with_the_way_to_pair(alice, path):
    page = page_of(alice, path)
    assert "This page is for the two of you" in page and 'href="/pair/"' in page
    assert 'aria-current="page"' in page  # in the app, with its tabs


def test_it_gives_a_person_without_a_partner_their_settings(alice):
    page = page_of(alice, "/settings/")
    for part in ('id="me-form"', 'id="mail-form"', 'id="notify"', 'id="delete-ask"', "/api/me/export/"):
        assert part in page
    assert 'id="us-form"' not in page and 'id="unpair-ask"' not in page
    assert "You are not paired now." in page
    assert '"couple": null' in page  # no live connection without a couple


def test_it_gives_a_person_without_a_partner_their_practice(alice):
    page = page_of(alice, "/practice/")
    for part in ('id="assessment-form"', 'id="anxiety-form"', 'id="alone-form"', 'id="self-care-form"'):
        assert part in page
    assert 'id="ask-form"' not in page and 'id="checkin-card"' not in page
    assert "they start once you" in page


def test_it_keeps_the_app_for_a_person_after_an_unpairing(couple, alice, bob):
    couple_unpair(user=bob)
    for path in ("/practice/", "/settings/", "/history/"):
        assert "/pair/" in page_of(alice, path)
    assert "no longer paired" in page_of(alice, "/history/")
    assert "This page is for the two of you" in page_of(alice, "/rhythm/")


def test_it_switches_a_signed_in_persons_language_from_the_pairing_page(alice):
    browser = browser_for(alice)
    assert 'value="zh-hans"' in page_of(alice, "/pair/")
    assert browser.post("/language/", {"language": "zh-hans", "next": "/pair/"}).url == "/pair/"
    alice.refresh_from_db()
    assert alice.language == "zh-hans"
    assert "和伴侣配对" in browser.get("/pair/").text


def code_made(browser) -> str:
    """Make a code on the pairing page, as its button does, and read it off the page."""
    return re.search(r'id="code">([A-Z0-9-]+)<', browser.post("/pair/", {"invite": "1"}, follow=True).text)[1]


def test_it_shows_the_open_code_again_and_replaces_it_on_request(alice):
    browser = browser_for(alice)
    first = code_made(browser)
    assert f'id="code">{first}<' in browser.get("/pair/").text
    second = code_made(browser)
    assert second != first and f'id="code">{second}<' in browser.get("/pair/").text
    for _ in range(10):  # making codes never locks anyone out
        assert browser.post("/pair/", {"invite": "1"}, follow=True).status_code == 200


def test_it_takes_a_partner_without_an_account_through_sign_up_into_the_join(alice):
    code = code_made(browser_for(alice))
    link = f"/pair/?code={code.replace('-', '')}"
    newcomer = Client()
    r = newcomer.get(link)
    assert r.status_code == 302 and r.url.startswith("/accounts/register/?next=")
    form = newcomer.get(r.url).text
    assert 'id="invited"' in form and "Your partner has invited you" in form
    assert f"/accounts/login/?next=/pair/%3Fcode%3D{code.replace('-', '')}" in form  # has an account
    r = newcomer.post(
        r.url,
        {
            "username": "erin",
            "display_name": "Erin",
            "timezone": "Europe/Berlin",
            "password1": "a long quiet morning",
            "password2": "a long quiet morning",
            "next": link,
        },
    )
    assert r.url == link
    page = newcomer.get(link).text
    assert 'id="join"' in page and f'value="{code.replace("-", "")}"' in page
    assert newcomer.post("/pair/", {"code": code}).url == "/"
    assert alice.active_couple() is not None


def test_it_logs_in_a_partner_who_has_an_account_into_the_join(alice, bob):
    code = code_made(browser_for(alice))
    link = f"/pair/?code={code.replace('-', '')}"
    visitor = Client()
    login = visitor.get(f"/accounts/login/?next={link}")
    assert login.status_code == 200
    r = visitor.post(
        "/accounts/login/", {"username": "bob", "password": "correct horse battery", "next": link}
    )
    assert r.url == link
    assert 'id="join"' in visitor.get(link).text


def test_it_refuses_to_send_a_new_account_elsewhere(db):
    r = Client().post(
        "/accounts/register/",
        {
            "username": "erin",
            "display_name": "Erin",
            "timezone": "UTC",
            "password1": "a long quiet morning",
            "password2": "a long quiet morning",
            "next": "https://evil.example/",
        },
    )
    assert r.url == "/pair/"


def test_it_exports_the_rhythm_blocks_a_person_made_after_an_unpairing(couple, alice, bob):
    block_create(
        user=alice,
        fields={"name": "Dinner", "kind": "connection", "days": [0], "start": time(19), "minutes": 60},
    )
    block_create(
        user=bob, fields={"name": "Run", "kind": "autonomy", "days": [1], "start": time(7), "minutes": 30}
    )
    couple_unpair(user=bob)
    rhythm = browser_for(alice).get("/api/me/export/?format=json").json()["rhythm"]
    assert [b["name"] for b in rhythm] == ["Dinner"]


@pytest.mark.parametrize("path", ["/rhythm/", "/history/", "/settings/", "/pair/"])
def test_it_asks_strangers_to_log_in(db, path):
    assert Client().get(path).url.startswith("/accounts/login/")


@pytest.mark.parametrize("path", ["/", "/rhythm/", "/history/", "/settings/"])
def test_it_serves_every_page_with_a_strict_csp_and_no_inline_script(couple, alice, path):
    r = browser_for(alice).get(path)
    assert r.status_code == 200
    csp = r["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "object-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    for script in re.findall(r"<script([^>]*)>(.*?)</script>", r.text, re.S):
        attributes, body = script
        assert 'src="' in attributes or 'type="application/json"' in attributes, script
    assert " style=" not in r.text, "no inline styles"
    assert not re.search(r"\son[a-z]+=", r.text), "no inline event handlers"


def test_it_keeps_the_whole_home_page_under_100_kb(couple, alice):
    html = browser_for(alice).get("/").content
    assets = [STATIC / name for name in ("app.css", "common.js", "live.js", "home.js")]
    total = len(html) + sum(len(p.read_bytes()) for p in assets)
    assert total < 100 * 1024, total


def test_it_shows_the_history_in_words_and_escapes_what_people_wrote(couple, alice, bob):
    signal_set(user=bob, state="red", note="<script>alert(1)</script>")
    page = browser_for(alice).get("/history/").text
    assert "Bob: red" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_it_unpairs_from_the_settings_page(couple, alice, bob):
    assert browser_for(alice).post("/unpair/").url == "/pair/"
    assert browser_for(bob).get("/").url == "/pair/"


def test_it_serves_an_installable_manifest(db):
    manifest = Client().get("/manifest.webmanifest")
    assert manifest["Content-Type"] == "application/manifest+json"
    body = manifest.json()
    assert body["display"] == "standalone" and body["start_url"] == "/"
    sizes = {icon["sizes"] for icon in body["icons"] if icon["type"] == "image/png"}
    assert {"192x192", "512x512"} <= sizes
    for icon in body["icons"]:
        assert Client().get(icon["src"]).status_code == 200


def test_it_serves_the_service_worker_from_the_root(db):
    r = Client().get("/sw.js")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/javascript")
    assert r["Service-Worker-Allowed"] == "/"
    body = r.content.decode()
    assert "showNotification" in body and "caches" in body


def cache_name(script: str) -> str:
    return re.search(r'const VERSION = "(porchlight-[0-9a-f]{12})";', script).group(1)


def test_it_names_the_workers_cache_for_the_files_it_holds(db, tmp_path, settings):
    """The worker serves static files from its cache first: a changed file must give the
    cache a new name, or phones would keep the old one."""
    before = cache_name(Client().get("/sw.js").content.decode())
    assert cache_name(Client().get("/sw.js").content.decode()) == before  # the same files, the same name
    shutil.copytree(settings.BASE_DIR / "web" / "static", tmp_path / "web" / "static")
    shutil.copytree(settings.BASE_DIR / "config" / "locale", tmp_path / "config" / "locale")
    practice_js = tmp_path / "web" / "static" / "web" / "practice.js"
    practice_js.write_text(practice_js.read_text() + "\n// changed\n")
    settings.BASE_DIR = tmp_path
    pages.service_worker_script.cache_clear()
    try:
        after = cache_name(Client().get("/sw.js").content.decode())
    finally:
        pages.service_worker_script.cache_clear()
    assert after != before


def test_it_has_an_offline_page_for_the_shell(db):
    assert "offline" in Client().get("/offline/").text.lower()


def test_it_serves_the_home_screen_tags_for_ios(couple, alice):
    page = browser_for(alice).get("/").text
    assert 'rel="apple-touch-icon"' in page and 'name="apple-mobile-web-app-capable"' in page
    assert 'rel="manifest"' in page


def test_it_keeps_another_couples_history_out(couple, alice, charlie):
    pair(charlie, make_user("dana"))
    signal_set(user=alice, state="red", note="ours")
    assert "ours" not in browser_for(charlie).get("/history/").text


def test_it_draws_the_history_charts_with_table_alternatives(couple, alice, bob):
    signal_set(user=alice, state="red")
    signal_set(user=bob, state="green")
    page = browser_for(alice).get("/history/").text
    assert page.count('role="img"') == 2
    assert 'class="s-red"' in page and 'class="s-green"' in page
    assert "<table" in page and "Show as a table" in page
    for word in ("score", "rank", "streak", "worse", "better"):
        assert word not in page.lower()


def test_it_shows_an_ex_partner_only_their_own_archive(couple, alice, bob):
    signal_set(user=alice, state="yellow", note="mine")
    signal_set(user=bob, state="red", note="bobs-words")
    browser_for(bob).post("/unpair/")
    assert "Our past history" in browser_for(alice).get("/pair/").text
    page = browser_for(alice).get("/history/").text
    assert "no longer paired" in page and "mine" in page and "bobs-words" not in page
    assert "The last twelve weeks" not in page
    assert 'class="s-red"' not in page, "nothing of his lights either"
    assert ">Bob<" not in page


def test_it_tells_the_pairing_page_how_the_pairing_ended(couple, alice, bob):
    couple_unpair(user=bob)
    day = timezone.localtime(timezone.now(), ZoneInfo(alice.timezone)).strftime("%B %-d")
    page = page_of(alice, "/pair/")
    assert f"Bob ended the pairing on {day}." in page and "/api/me/export/?format=json" in page
    assert "You ended the pairing on" in page_of(bob, "/pair/")


def test_it_tells_the_partner_when_an_account_was_closed(couple, alice, bob):
    account_delete(user=bob, password="correct horse battery")
    assert "Your partner closed their account on" in page_of(alice, "/pair/")


def test_it_still_says_when_the_pairing_ended_after_its_event_was_purged(couple, alice, bob):
    couple_unpair(user=bob)
    Event.objects.filter(kind="partner.left").delete()
    assert "Your pairing ended on" in page_of(alice, "/pair/")


def test_it_says_nothing_of_an_ending_to_someone_never_paired(alice):
    assert 'id="ended"' not in page_of(alice, "/pair/")


def test_it_answers_a_missing_page_in_the_apps_style_and_the_readers_language(alice):
    alice.language = "zh-hans"
    alice.save()
    r = browser_for(alice).get("/no-such-page/")
    assert r.status_code == 404 and 'id="error"' in r.text and "这里什么都没有" in r.text
    assert "app.css" in r.text  # styled like the app
    api = browser_for(alice).get("/api/no-such/")
    assert api.status_code == 404 and api.json()["code"] == "not_found"


def test_it_answers_a_refused_form_and_a_server_error_in_the_apps_style(db, rf):
    from web.pages import errors

    request = rf.post("/accounts/login/")
    assert "Please reload the page" in errors.csrf_failure(request).content.decode()
    assert errors.csrf_failure(rf.post("/api/signal/")).status_code == 403
    page = errors.server_error(rf.get("/settings/"))
    assert page.status_code == 500 and "Something went wrong" in page.content.decode()
    assert errors.server_error(rf.get("/api/couple/"))["Content-Type"] == "application/json"
    assert errors.permission_denied(rf.get("/x/")).status_code == 403
    assert errors.bad_request(rf.get("/x/")).status_code == 400


def test_it_lets_the_waiting_pairing_page_ask_without_a_404_each_time(alice, bob, caplog):
    """The waiting page asks every 2 s whether the partner has joined: a 200 each time
    (paired or not), never a logged "Not Found"."""
    assert "/api/me/" in (STATIC / "pair.js").read_text()
    client = browser_for(alice)
    with caplog.at_level("WARNING", logger="django.request"):
        assert client.get("/api/me/").json()["paired"] is False
        pair(alice, bob)
        assert client.get("/api/me/").json()["paired"] is True
    assert caplog.records == []
