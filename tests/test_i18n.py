"""Two languages, the Django way: every word marked, the catalogues complete, and each
reader served in their own language (couples/language.py)."""

import ast
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone, translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from couples.mail import mail_send_next
from couples.models import Event, PushDevice, User
from rhythms.services import block_create
from signals import push
from signals.models import PushJob
from signals.services import signal_set
from tests.communicators import frame, open_socket

ROOT = Path(__file__).resolve().parent.parent
APPS = ["config", "couples", "signals", "rhythms", "practice", "web"]
CATALOGUES = ROOT / "config" / "locale" / "zh_Hans" / "LC_MESSAGES"


def token_client(user: User, **headers) -> APIClient:
    """A client as a phone app is one: its token, read by the view (not forced)."""
    client = APIClient(headers=headers)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


# The catalogues


def test_it_ships_a_translation_for_every_marked_word(tmp_path):
    """makemessages over a copy of the code finds nothing the shipped catalogues lack:
    no new entry, none untranslated, none fuzzy, none left over from removed words."""
    for name in APPS:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("*.mo", "__pycache__"))
    shutil.copy(ROOT / "manage.py", tmp_path)
    for domain in ("django", "djangojs"):
        subprocess.run(
            [
                sys.executable,
                "manage.py",
                "makemessages",
                "--locale",
                "zh_Hans",
                "--domain",
                domain,
                "--no-location",
            ],
            cwd=tmp_path,
            check=True,
            capture_output=True,
        )
        shipped = polib.pofile(str(CATALOGUES / f"{domain}.po"))
        made = polib.pofile(str(tmp_path / "config" / "locale" / "zh_Hans" / "LC_MESSAGES" / f"{domain}.po"))
        assert [e.msgid for e in made.untranslated_entries()] == [], f"{domain}: untranslated"
        assert [e.msgid for e in made.fuzzy_entries()] == [], f"{domain}: fuzzy (a word changed)"
        assert [e.msgid for e in made.obsolete_entries()] == [], f"{domain}: no longer used"
        assert {e.msgid for e in made} == {e.msgid for e in shipped}, f"{domain}: run make catalogues"


def test_it_keeps_every_placeholder_in_the_translation():
    for domain in ("django", "djangojs"):
        for entry in polib.pofile(str(CATALOGUES / f"{domain}.po")):
            translated = entry.msgstr or entry.msgstr_plural[0]
            for placeholder in re.findall(r"%\(\w+\)\w|\{\w+\}", entry.msgid):
                assert placeholder in translated, (entry.msgid, placeholder)


TAGS_WITH_WORDS = re.compile(r"<(script|style|svg)\b.*?</\1>", re.S)
TEMPLATE_CODE = re.compile(r"{%\s*blocktranslate.*?{%\s*endblocktranslate\s*%}|{%.*?%}|{{.*?}}|{#.*?#}", re.S)
SHOWN_ATTRIBUTES = re.compile(
    r'\b(?:placeholder|aria-label|title|alt)="([^"]*)"|name="description" content="([^"]*)"'
)


def _words(text: str) -> list[str]:
    """English words a person would read, outside any translate tag; the name stays."""
    words = re.findall(r"[A-Za-z][A-Za-z']+", TEMPLATE_CODE.sub(" ", text))
    return [word for word in words if word != "Porchlight"]


def test_it_has_no_unmarked_words_in_the_templates():
    found = {}
    for template in ROOT.glob("*/templates/**/*.html"):
        source = TEMPLATE_CODE.sub(" ", template.read_text())
        attributes = [a or b for a, b in SHOWN_ATTRIBUTES.findall(source)]
        text = re.sub(r"<[^>]*>", " ", TAGS_WITH_WORDS.sub(" ", source))
        words = _words(text) + [word for value in attributes for word in _words(value)]
        if words:
            found[template.relative_to(ROOT).as_posix()] = words
    assert found == {}


JS_STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"|`((?:[^`\\]|\\.)*)`')
JS_COMMENT = re.compile(r"(^|\s)//.*$", re.M)
NOT_WORDS = {"Notification", "Porchlight", "(display-mode: standalone)"}  # an API, the name, a media query


def test_it_has_no_unmarked_words_in_the_pages_scripts():
    """A string with words in it goes through gettext; addresses, selectors, event
    kinds and the like have none."""
    found = []
    for script in (s for app in APPS for s in (ROOT / app / "static" / app).glob("*.js")):
        if script.name == "sw.js":  # the service worker shows only what a push brought
            continue
        source = JS_COMMENT.sub(r"\1", script.read_text())
        for match in JS_STRING.finditer(source):
            text = re.sub(r"\$\{[^}]*\}", " ", match.group(1) or match.group(2) or "")
            words = re.search(r"[A-Za-z]{2,}[,:!?…]* +[A-Za-z]{2,}", text) or re.fullmatch(
                r"[A-Z][a-z]+[.…]?", text
            )
            marked = re.search(r"(gettext|ngettext)\(\s*$", source[: match.start()])
            selector = text.startswith((".", "#")) or "[" in text
            if words and not marked and not selector and text not in NOT_WORDS:
                found.append(f"{script.name}: {match.group(0)}")
    assert found == []


SENTENCE = re.compile(r"^[A-Z][^\n]*\s[^\n]*[.?!…]$")
NOT_FOR_PEOPLE = {"help", "help_text", "description", "verbose_name", "documentation"}


def _module_strings(tree: ast.AST):
    """String constants that are sentences, outside docstrings, gettext calls, log lines,
    developer-facing errors and descriptions of the API or the metrics."""
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skipped.add(id(first.value))
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in ("_", "gettext", "gettext_lazy", "ngettext", "pgettext") or name in (
                "debug",
                "info",
                "warning",
                "error",
                "exception",
                "critical",
                "write",
                "Counter",
                "Gauge",
                "Histogram",
                "extend_schema",
                "ValueError",
                "RuntimeError",
                "ImproperlyConfigured",
                "CommandError",
                "Error",
                "Warning",
                "OpenApiParameter",
                "OpenApiResponse",
                "inline_serializer",
            ):
                skipped.update(id(n) for n in ast.walk(node))
            skipped.update(id(n) for k in node.keywords if k.arg in NOT_FOR_PEOPLE for n in ast.walk(k.value))
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(getattr(t, "id", None) in NOT_FOR_PEOPLE for t in targets):
                skipped.update(id(n) for n in ast.walk(node.value))
        if isinstance(node, ast.JoinedStr):  # judged whole, below
            skipped.update(id(part) for part in node.values)
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and str(key.value).lower() in NOT_FOR_PEOPLE:
                    skipped.update(id(n) for n in ast.walk(value))
        if isinstance(node, ast.Assert) and node.msg is not None:
            skipped.update(id(n) for n in ast.walk(node.msg))
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and SENTENCE.match(node.value.strip())
        ):
            yield node.lineno, node.value
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
            if re.match(r"[A-Z][a-z]+ [a-z]+", text):
                yield node.lineno, text


def test_it_has_no_unmarked_sentences_in_the_code():
    found = []
    for name in APPS:
        for module in (ROOT / name).rglob("*.py"):
            if "migrations" in module.parts:
                continue
            for line, text in _module_strings(ast.parse(module.read_text())):
                found.append(f"{module.relative_to(ROOT)}:{line}: {text}")
    assert found == []


# Each reader in their own language


@pytest.mark.django_db
def test_it_starts_an_account_in_the_language_the_browser_asks_for(anon):
    r = anon.post(
        "/api/auth/register/",
        {"username": "mei", "password": "correct horse battery", "display_name": "Mei"},
        headers={"accept-language": "zh-CN,zh;q=0.9,en;q=0.5"},
    )
    assert r.status_code == 201
    assert r.json()["language"] == "zh-hans"
    r = anon.post(
        "/api/auth/register/",
        {"username": "sam", "password": "correct horse battery", "display_name": "Sam"},
        headers={"accept-language": "fr-FR"},
    )
    assert r.json()["language"] == "en"  # a language we do not speak: the default


@pytest.mark.django_db
def test_it_changes_the_language_with_patch_me(alice):
    client = token_client(alice)
    r = client.patch("/api/me/", {"language": "zh-hans"})
    assert r.status_code == 200 and r.json()["language"] == "zh-hans"
    r = client.patch("/api/me/", {"language": "fr"})
    assert r.status_code == 400
    assert r.json()["errors"]["language"] == ["这不是可选的一项。"]  # asked by a zh-hans reader, in our words
    assert User.objects.get(pk=alice.pk).language == "zh-hans"


@pytest.mark.django_db
def test_it_answers_the_api_in_the_persons_language_whatever_the_browser_says(couple, alice):
    alice.language = "zh-hans"
    alice.save()
    r = token_client(alice, **{"accept-language": "en"}).post("/api/signal/", {"state": "purple"})
    assert r.status_code == 400
    assert r.json()["detail"] == "请检查标出的内容。"
    assert r.json()["errors"]["state"] == ["这不是可选的一项。"]  # our words, not DRF's
    assert r["Content-Language"] == "zh-hans"


@pytest.mark.django_db
def test_it_answers_in_the_browsers_language_before_login(anon):
    r = anon.post(
        "/api/auth/token/", {"username": "nobody", "password": "x"}, headers={"accept-language": "zh-Hans"}
    )
    assert r.status_code == 401
    assert "用户名和密码不匹配" in str(r.json())
    r = anon.post("/api/auth/token/", {"username": "nobody", "password": "x"})
    assert "That username and password do not match." in str(r.json())


@pytest.mark.django_db
def test_it_shows_each_partner_the_pages_in_their_own_language(couple, alice, bob):
    alice.language = "zh-hans"
    alice.save()
    signal_set(user=bob, state="red", note="")
    ana, ben = Client(), Client()
    ana.force_login(alice)
    ben.force_login(bob)
    chinese = ana.get("/").content.decode()
    assert '<html lang="zh-hans">' in chinese
    assert "我的灯" in chinese and "My light" not in chinese
    assert '<script src="/jsi18n/zh-hans.js">' in chinese
    english = ben.get("/").content.decode()
    assert '<html lang="en">' in english and "My light" in english
    history = ana.get("/history/").content.decode()
    assert "Bob：红灯" in history or "Bob: 红灯" in history  # the light in her words, the name as written
    block_create(
        user=bob,
        fields={"name": "Dinner", "kind": "connection", "days": [0], "start": "19:00", "minutes": 60},
    )
    assert "Bob 添加了“Dinner”" in ana.get("/history/").content.decode()


@pytest.mark.django_db
def test_it_lets_a_visitor_pick_a_language_before_logging_in():
    visitor = Client()
    assert "Log in" in visitor.get("/accounts/login/").content.decode()
    r = visitor.post("/language/", {"language": "zh-hans", "next": "/accounts/login/"})
    assert r.status_code == 302
    assert "忘记密码了？" in visitor.get("/accounts/login/").content.decode()


@pytest.mark.django_db
def test_it_serves_the_scripts_words_per_language():
    chinese = Client().get("/jsi18n/zh-hans.js")
    assert chinese.status_code == 200
    sharing = json.dumps("正在分享")[1:-1]  # the catalogue is JSON, escaped to ASCII
    assert sharing in chinese.content.decode()
    assert sharing not in Client().get("/jsi18n/en.js").content.decode()
    assert Client().get("/jsi18n/fr.js").status_code == 404


@pytest.mark.django_db
def test_it_pushes_to_each_partner_in_their_own_language(couple, alice, bob, settings):
    settings.PORCHLIGHT = {**settings.PORCHLIGHT, "PUSH_ALLOW_LOCAL": True}
    bob.language = "zh-hans"
    bob.save()
    for user in (alice, bob):
        PushDevice.objects.create(
            user=user,
            endpoint=f"https://push.example/{user.pk}",
            p256dh="k" * 87,
            auth="a" * 22,
            label="phone",
        )
    signal_set(user=alice, state="red", note="")
    signal_set(user=bob, state="red", note="")
    push.push_dispatch_next(timezone.now())
    titles = {
        job.device.user.username: job.payload["title"]
        for job in PushJob.objects.select_related("device__user")
    }
    assert titles == {"bob": "Alice 需要你", "alice": "Bob needs you"}


@pytest.mark.django_db
def test_it_mails_a_reset_in_the_language_of_the_person_it_goes_to(alice, settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    User.objects.filter(pk=alice.pk).update(
        email="alice@example.com", email_verified_at=timezone.now(), language="zh-hans"
    )
    r = APIClient().post(
        "/api/auth/password-reset/", {"email": "alice@example.com"}, headers={"accept-language": "en"}
    )
    assert r.status_code == 202
    assert r.json()["detail"].startswith("If that address")  # the asker's language
    assert mail_send_next(timezone.now())
    [sent] = mail.outbox
    assert sent.subject == "重设你的 Porchlight 密码"
    assert "要为你的 Porchlight 账户设置新密码" in sent.body


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_it_sends_socket_errors_in_the_persons_language(couple, alice):
    alice.language = "zh-hans"
    await alice.asave()
    sock = await open_socket(alice)
    await frame(sock)  # the snapshot
    await sock.send_to(text_data='{"type": "dance"}')
    assert (await frame(sock))["detail"] == "未知的消息帧类型。"
    await sock.send_json_to({"type": "signal.set", "state": "purple"})
    assert (await frame(sock))["detail"] == {"state": ["灯只有绿灯、黄灯和红灯。"]}
    await sock.disconnect()


def test_it_counts_a_reminders_minutes_in_the_readers_language():
    block = {"kind": "connection", "name": "Dinner", "id": 1}
    device = PushDevice(include_text=False)

    def body(minutes):
        event = Event(kind="reminder.fired", data={"block": block, "minutes_before": minutes})
        return push.push_payload(event=event, device=device)[0]["body"]

    assert (body(1), body(15), body(0)) == (
        "It starts in 1 minute.",
        "It starts in 15 minutes.",
        "It starts now.",
    )
    with translation.override("zh-hans"):
        assert (body(15), body(0)) == ("15 分钟后开始。", "现在开始。")


@pytest.mark.django_db
def test_it_says_the_frameworks_refusals_in_its_own_words_in_chinese(couple, alice):
    alice.language = "zh-hans"
    alice.save()
    client = token_client(alice)
    too_long = client.post("/api/signal/", {"state": "red", "note": "x" * 281}, format="json").json()
    assert too_long["errors"]["note"] == ["请控制在 280 个字以内。"]
    null = client.post("/api/signal/", {"state": None}, format="json").json()
    assert null["errors"]["state"] == ["请填写这一项。"]
    assert APIClient().get("/api/couple/").json()["detail"] == "Please log in first."
    chinese = APIClient(headers={"Accept-Language": "zh-hans"}).get("/api/couple/").json()["detail"]
    assert chinese == "请先登录。"
    for body in (too_long, null):
        for phrase in ("该字段", "请确保", "身份认证信息"):  # DRF's own phrasing, never
            assert phrase not in str(body)
