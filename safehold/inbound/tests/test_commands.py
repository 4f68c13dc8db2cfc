"""`safehold gateways` and `safehold senders` from a terminal: secrets stay out of argv,
output and the audit log; bad input ends in a clear refusal and changes nothing."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from safehold.audit.models import AuditEntry
from safehold.crypto.envelope import blind_index
from safehold.crypto.tests.helpers import raw_column
from safehold.inbound.actions import LINK_CODE_PURPOSE
from safehold.inbound.gateway_actions import add_gateway, disable_gateway
from safehold.inbound.models import AddressKind, Gateway, GatewayKind, LinkCode, Sender
from safehold.inbound.service import add_sender
from safehold.testing import World, make_member

pytestmark = pytest.mark.django_db

TWILIO_TOKEN = "twiliotokenLEAKCHECK0123456789ab"
TWILIO_REPLY = "twilio://AC0123456789abcdef0123456789abcdef:replytokenLEAKCHECK0@+15005550006"
ANDROID_KEY = "android-signing-key-LEAKCHECK"
ANDROID_REPLY = "smsgate://gwuser:gwpassLEAKCHECK@127.0.0.1:8080"
TELEGRAM_SECRET = "telegram_secret-LEAKCHECK"
TELEGRAM_REPLY = "tgram://123456789:AAbotTokenLEAKCHECK"
PUBLIC_URL = "https://safehold.example.org/hooks/sms/twilio"
MEMBER_PHONE = "+79037654321"
CHAT_ID = "5550001112"


class Terminal(io.StringIO):
    """Standard input as an operator's terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _no_credentials_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SAFEHOLD_GATEWAY_SECRET", raising=False)
    monkeypatch.delenv("SAFEHOLD_GATEWAY_REPLY_URL", raising=False)


def run(*args: str, stdin: io.StringIO | None = None) -> tuple[str, str]:
    """Run a command; return what it wrote to stdout and to stderr."""
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err, stdin=stdin or io.StringIO(""))
    return out.getvalue(), err.getvalue()


def add(world: World, kind: str, *extra: str, stdin: str = "") -> tuple[str, str]:
    return run(
        "gateways",
        "add",
        "--organisation",
        world.organisation.name,
        "--kind",
        kind,
        "--label",
        f"{kind} line",
        "--intake-compartment",
        world.compartment.name,
        *extra,
        stdin=io.StringIO(stdin),
    )


def audit_text() -> str:
    return " ".join(str(entry.details) for entry in AuditEntry.objects.all())


# --- gateways add ---------------------------------------------------------------------


def test_an_admin_adds_a_twilio_gateway_with_its_secrets_from_the_environment(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFEHOLD_GATEWAY_SECRET", TWILIO_TOKEN)
    monkeypatch.setenv("SAFEHOLD_GATEWAY_REPLY_URL", TWILIO_REPLY)

    out, _err = add(world, "twilio", "--public-url", PUBLIC_URL)

    gateway = Gateway.objects.get()
    assert (gateway.organisation, gateway.kind, gateway.label) == (
        world.organisation,
        GatewayKind.TWILIO,
        "twilio line",
    )
    assert (gateway.secret, gateway.reply_url, gateway.public_url) == (
        TWILIO_TOKEN,
        TWILIO_REPLY,
        PUBLIC_URL,
    )
    assert gateway.intake_compartment == world.compartment
    assert gateway.is_active
    assert str(gateway.pk) in out
    assert "/hooks/sms/twilio" in out
    assert "LEAKCHECK" not in out
    entry = AuditEntry.objects.get(action="inbound.gateway_added")
    assert entry.object_id == str(gateway.pk)
    assert entry.details == {
        "gateway": str(gateway.pk),
        "kind": "twilio",
        "intake_compartment": str(world.compartment.pk),
        "replies": True,
    }


def test_the_secrets_can_come_on_stdin_one_per_line(world: World) -> None:
    out, _err = add(world, "android", stdin=f"{ANDROID_KEY}\n{ANDROID_REPLY}\n")

    gateway = Gateway.objects.get()
    assert (gateway.kind, gateway.secret, gateway.reply_url) == (
        GatewayKind.ANDROID,
        ANDROID_KEY,
        ANDROID_REPLY,
    )
    assert "/hooks/sms/android" in out
    assert "LEAKCHECK" not in out


def test_stdin_gives_whichever_the_environment_does_not(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFEHOLD_GATEWAY_SECRET", ANDROID_KEY)

    add(world, "android", stdin=f"{ANDROID_REPLY}\n")

    gateway = Gateway.objects.get()
    assert (gateway.secret, gateway.reply_url) == (ANDROID_KEY, ANDROID_REPLY)


def test_a_terminal_is_asked_for_them_without_echo(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = iter([TELEGRAM_SECRET, TELEGRAM_REPLY])
    prompts: list[str] = []

    def fake_getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    out, _err = run(
        "gateways",
        "add",
        "--organisation",
        str(world.organisation.pk),
        "--kind",
        "telegram",
        "--label",
        "Bot",
        "--intake-compartment",
        str(world.compartment.pk),
        stdin=Terminal(""),
    )

    gateway = Gateway.objects.get()
    assert (gateway.secret, gateway.reply_url) == (TELEGRAM_SECRET, TELEGRAM_REPLY)
    assert len(prompts) == 2
    assert "/hooks/telegram" in out
    assert "LEAKCHECK" not in out


def test_a_telegram_secret_is_generated_and_shown_once_when_none_is_given(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFEHOLD_GATEWAY_REPLY_URL", TELEGRAM_REPLY)

    out, _err = add(world, "telegram")

    gateway = Gateway.objects.get()
    assert len(gateway.secret) >= 43
    assert out.count(gateway.secret) == 1
    assert "secret_token" in out
    assert "/hooks/telegram" in out
    assert gateway.secret not in audit_text()


def test_without_a_reply_url_the_gateway_only_listens(world: World) -> None:
    _out, err = add(world, "android", stdin=f"{ANDROID_KEY}\n")

    assert Gateway.objects.get().reply_url == ""
    assert "never answer" in err


def test_no_argument_takes_a_secret(world: World) -> None:
    with pytest.raises(CommandError, match="unrecognized"):
        add(world, "android", "--secret", ANDROID_KEY, stdin=f"\n{ANDROID_REPLY}\n")
    assert not Gateway.objects.exists()


TWILIO_INPUT = f"{TWILIO_TOKEN}\n{TWILIO_REPLY}\n"
HTTP_PUBLIC_URL = "http://safehold.example.org/hooks/sms/twilio"
URL_WITH_CREDENTIALS = "https://user:pw@safehold.example.org/hooks/sms/twilio"


@pytest.mark.parametrize(
    ("kind", "extra", "stdin", "problem"),
    [
        pytest.param("sms", [], f"{ANDROID_KEY}\n", "invalid choice", id="unknown-kind"),
        pytest.param("android", [], "", "No secret given", id="no-secret"),
        pytest.param("android", [], "   \n", "No secret given", id="blank-secret"),
        pytest.param("twilio", [], TWILIO_INPUT, "Twilio needs the public", id="no-public-url"),
        pytest.param(
            "twilio", ["--public-url", HTTP_PUBLIC_URL], TWILIO_INPUT, "https://", id="http"
        ),
        pytest.param(
            "twilio",
            ["--public-url", PUBLIC_URL + "?org=1"],
            TWILIO_INPUT,
            "https://",
            id="public-url-query",
        ),
        pytest.param(
            "twilio",
            ["--public-url", URL_WITH_CREDENTIALS],
            TWILIO_INPUT,
            "https://",
            id="public-url-credentials",
        ),
        pytest.param(
            "android",
            [],
            f"{ANDROID_KEY}\nnonsense://somewhere\n",
            "not recognised",
            id="unknown-service",
        ),
        pytest.param(
            "android", [], f"{ANDROID_KEY}\nsmsgate://gwuser@\n", "malformed", id="malformed"
        ),
        pytest.param(
            "android", [], f"{ANDROID_KEY}\n{TELEGRAM_REPLY}\n", "does not suit", id="tgram-sms"
        ),
        pytest.param(
            "android", [], f"{ANDROID_KEY}\njson://127.0.0.1:9\n", "does not suit", id="json"
        ),
        pytest.param(
            "android",
            [],
            f"{ANDROID_KEY}\n{ANDROID_REPLY}/+79990001122\n",
            "no recipient",
            id="reply-url-recipient",
        ),
        pytest.param(
            "telegram",
            [],
            f"{TELEGRAM_SECRET}\n{TELEGRAM_REPLY}?format=text\n",
            "no recipient",
            id="reply-url-query",
        ),
        pytest.param(
            "telegram",
            [],
            f"not allowed! at all, far too long\n{TELEGRAM_REPLY}\n",
            "Telegram secret",
            id="telegram-secret-characters",
        ),
        pytest.param(
            "telegram",
            [],
            f"tooShort_1\n{TELEGRAM_REPLY}\n",
            "at least 16",
            id="secret-too-short",
        ),
        pytest.param(
            "telegram",
            [],
            f"{'x' * 257}\n{TELEGRAM_REPLY}\n",
            "Telegram secret",
            id="telegram-secret-length",
        ),
        pytest.param(
            "android", ["--label", "x" * 61], f"{ANDROID_KEY}\n", "Keep the label", id="long-label"
        ),
        pytest.param(
            "android", ["--label", "   "], f"{ANDROID_KEY}\n", "Enter a label", id="blank-label"
        ),
        pytest.param(
            "android",
            ["--organisation", "No Such Network"],
            f"{ANDROID_KEY}\n",
            "No organisation",
            id="unknown-organisation",
        ),
        pytest.param(
            "android",
            ["--intake-compartment", "Nowhere"],
            f"{ANDROID_KEY}\n",
            "no compartment",
            id="unknown-compartment",
        ),
    ],
)
def test_bad_input_is_refused_clearly_and_adds_nothing(
    world: World, kind: str, extra: list[str], stdin: str, problem: str
) -> None:
    with pytest.raises(CommandError, match=problem) as refused:
        add(world, kind, *extra, stdin=stdin)

    assert not Gateway.objects.exists()
    assert not AuditEntry.objects.filter(action="inbound.gateway_added").exists()
    assert "LEAKCHECK" not in str(refused.value)


def test_a_compartment_of_another_organisation_is_refused(world: World) -> None:
    other = world.outsider.compartments.get()
    with pytest.raises(CommandError, match="no compartment"):
        add(world, "android", "--intake-compartment", str(other.pk), stdin=f"{ANDROID_KEY}\n")
    with pytest.raises(ValidationError, match="compartment of this organisation"):
        add_gateway(
            world.organisation,
            kind=GatewayKind.ANDROID,
            label="Phone",
            secret=ANDROID_KEY,
            reply_url="",
            intake_compartment=other,
        )
    assert not Gateway.objects.exists()


def test_the_action_refuses_an_unknown_kind(world: World) -> None:
    with pytest.raises(ValidationError, match="gateway kind"):
        add_gateway(
            world.organisation,
            kind="sms",
            label="Phone",
            secret=ANDROID_KEY,
            reply_url="",
            intake_compartment=world.compartment,
        )
    assert not Gateway.objects.exists()


def test_a_test_server_on_this_machine_may_take_plain_http(world: World) -> None:
    add(
        world,
        "twilio",
        "--public-url",
        "http://127.0.0.1:8000/hooks/sms/twilio",
        stdin=f"{TWILIO_TOKEN}\n{TWILIO_REPLY}\n",
    )
    assert Gateway.objects.get().public_url == "http://127.0.0.1:8000/hooks/sms/twilio"


def test_a_secret_another_active_gateway_proves_itself_with_is_refused(world: World) -> None:
    add(world, "telegram", stdin=f"{TELEGRAM_SECRET}\n")
    other_organisation = world.outsider.organisation
    assert other_organisation is not None
    with pytest.raises(CommandError, match="already uses this secret"):
        run(
            "gateways",
            "add",
            "--organisation",
            other_organisation.name,
            "--kind",
            "telegram",
            "--label",
            "Their bot",
            "--intake-compartment",
            world.outsider.compartments.get().name,
            stdin=io.StringIO(f"{TELEGRAM_SECRET}\n"),
        )
    assert Gateway.objects.count() == 1


# --- secrets at rest, in listings and in the audit ------------------------------------


def test_secrets_are_stored_encrypted_and_read_back_whole(world: World) -> None:
    add(world, "twilio", "--public-url", PUBLIC_URL, stdin=f"{TWILIO_TOKEN}\n{TWILIO_REPLY}\n")
    gateway = Gateway.objects.get()

    # The same raw read sees a plain column as it is: the check below can fail.
    assert raw_column(Gateway, "public_url", gateway.pk) == PUBLIC_URL
    for column in ("secret", "reply_url"):
        stored = raw_column(Gateway, column, gateway.pk)
        assert stored
        assert "LEAKCHECK" not in stored
        assert "replytoken" not in stored
    fresh = Gateway.objects.get(pk=gateway.pk)
    assert (fresh.secret, fresh.reply_url) == (TWILIO_TOKEN, TWILIO_REPLY)


def test_the_list_shows_each_gateway_but_never_its_secrets(world: World) -> None:
    add(world, "twilio", "--public-url", PUBLIC_URL, stdin=f"{TWILIO_TOKEN}\n{TWILIO_REPLY}\n")
    add(world, "android", stdin=f"{ANDROID_KEY}\n{ANDROID_REPLY}\n")
    add(world, "telegram", stdin=f"{TELEGRAM_SECRET}\n")

    out, _err = run("gateways", "list")

    lines = out.splitlines()
    assert len(lines) == 3
    for gateway in Gateway.objects.all():
        line = next(x for x in lines if str(gateway.pk) in x)
        assert gateway.kind in line
        assert gateway.label in line
        assert world.organisation.name in line
        assert "active" in line
    assert "replies: twilio" in out
    assert "replies: smsgate" in out
    assert "replies: none" in out
    for leak in ("LEAKCHECK", "AC0123456789", "+15005550006", "gwuser", "127.0.0.1:8080"):
        assert leak not in out
    other = world.outsider.organisation
    assert other is not None
    assert run("gateways", "list", "--organisation", other.name)[0] == ""


def test_the_audit_holds_no_secret_url_or_number(world: World) -> None:
    add(world, "twilio", "--public-url", PUBLIC_URL, stdin=f"{TWILIO_TOKEN}\n{TWILIO_REPLY}\n")
    add(world, "android", stdin=f"{ANDROID_KEY}\n{ANDROID_REPLY}\n")
    run("gateways", "disable", str(Gateway.objects.get(kind="twilio").pk), "--yes")
    run("senders", "add-member-phone", world.coordinator.email, MEMBER_PHONE)
    run("senders", "remove", str(Sender.objects.get().pk), "--yes")
    with pytest.raises(CommandError):
        run("senders", "add-member-phone", world.responder.email, "+79161234567")

    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "inbound.gateway_added",
        "inbound.gateway_disabled",
        "inbound.member_phone_added",
        "inbound.sender_removed",
        "inbound.phone_conflict",
    } <= actions
    details = audit_text()
    for leak in ("LEAKCHECK", "://", "9037654321", "9161234567", "safehold.example.org"):
        assert leak not in details


# --- gateways disable -----------------------------------------------------------------


@pytest.fixture
def gateway(world: World) -> Gateway:
    add(world, "android", stdin=f"{ANDROID_KEY}\n{ANDROID_REPLY}\n")
    return Gateway.objects.get()


def test_a_gateway_is_disabled_once(gateway: Gateway) -> None:
    out, _err = run("gateways", "disable", str(gateway.pk), "--yes")

    gateway.refresh_from_db()
    assert not gateway.is_active
    assert "disabled" in out
    assert "already" in run("gateways", "disable", str(gateway.pk), "--yes")[0]
    assert AuditEntry.objects.filter(action="inbound.gateway_disabled").count() == 1
    assert "disabled" in run("gateways", "list")[0]


def test_disabling_asks_first_and_a_dry_run_changes_nothing(gateway: Gateway) -> None:
    with pytest.raises(CommandError, match="--yes"):
        run("gateways", "disable", str(gateway.pk))
    with pytest.raises(CommandError, match="Not confirmed"):
        run("gateways", "disable", str(gateway.pk), stdin=Terminal("n\n"))
    assert "Would disable" in run("gateways", "disable", str(gateway.pk), "--dry-run")[0]
    gateway.refresh_from_db()
    assert gateway.is_active

    run("gateways", "disable", str(gateway.pk), stdin=Terminal("y\n"))
    gateway.refresh_from_db()
    assert not gateway.is_active


def test_disabling_twice_is_audited_once(gateway: Gateway) -> None:
    assert disable_gateway(gateway, actor=None) is True
    assert disable_gateway(Gateway.objects.get(pk=gateway.pk), actor=None) is False
    assert AuditEntry.objects.filter(action="inbound.gateway_disabled").count() == 1


@pytest.mark.parametrize("gateway_id", ["not-an-id", "00000000-0000-4000-8000-000000000000"])
def test_an_unknown_gateway_is_refused(gateway: Gateway, gateway_id: str) -> None:
    with pytest.raises(CommandError, match="No gateway"):
        run("gateways", "disable", gateway_id, "--yes")
    gateway.refresh_from_db()
    assert gateway.is_active


# --- senders add-member-phone -----------------------------------------------------------


def test_a_members_phone_is_registered_in_e164_and_never_printed(world: World) -> None:
    out, _err = run("senders", "add-member-phone", world.coordinator.email, "8 903 765-43-21")

    sender = Sender.objects.get()
    assert (sender.member, sender.person, sender.kind, sender.address) == (
        world.coordinator,
        None,
        AddressKind.PHONE,
        MEMBER_PHONE,
    )
    assert sender.organisation == world.organisation
    assert str(world.coordinator.pk) in out
    assert "9037654321" not in out
    assert "765" not in out
    stored = raw_column(Sender, "address", sender.pk)
    assert stored and "9037654321" not in stored


@pytest.mark.parametrize(
    ("stream", "typed"),
    [
        pytest.param(io.StringIO, f"{MEMBER_PHONE}\n", id="stdin"),
        pytest.param(Terminal, "", id="prompt"),
    ],
)
def test_the_phone_may_stay_out_of_the_command_line(
    world: World, monkeypatch: pytest.MonkeyPatch, stream: type[io.StringIO], typed: str
) -> None:
    monkeypatch.setattr("getpass.getpass", lambda prompt="": MEMBER_PHONE)

    run("senders", "add-member-phone", world.coordinator.email, stdin=stream(typed))

    assert Sender.objects.get().address == MEMBER_PHONE


def test_a_phone_already_on_a_case_is_refused_and_the_attempt_audited(world: World) -> None:
    # The world's person has +79161234567 on their case.
    with pytest.raises(CommandError, match="already registered"):
        run("senders", "add-member-phone", world.coordinator.email, "+7 916 123-45-67")

    assert not Sender.objects.exists()
    conflict = AuditEntry.objects.get(action="inbound.phone_conflict")
    assert conflict.organisation_id == world.organisation.pk
    assert not AuditEntry.objects.filter(action="inbound.member_phone_added").exists()


def test_a_phone_another_member_speaks_from_is_refused(world: World) -> None:
    run("senders", "add-member-phone", world.coordinator.email, MEMBER_PHONE)
    with pytest.raises(CommandError, match="already registered"):
        run("senders", "add-member-phone", world.responder.email, MEMBER_PHONE)
    assert Sender.objects.get().member == world.coordinator


def test_another_organisation_may_register_the_same_number(world: World) -> None:
    run("senders", "add-member-phone", world.outsider.email, "+79161234567")
    assert Sender.objects.get().organisation == world.outsider.organisation


@pytest.mark.parametrize(
    ("email", "phone", "problem"),
    [
        pytest.param("nobody@example.org", MEMBER_PHONE, "No active member", id="nobody"),
        pytest.param("{coordinator}", "12", "not valid", id="short"),
        pytest.param("{coordinator}", "", "Enter a phone number", id="empty"),
        pytest.param("{coordinator}", "call me", "not a phone number", id="words"),
    ],
)
def test_a_bad_member_or_phone_is_refused(
    world: World, email: str, phone: str, problem: str
) -> None:
    with pytest.raises(CommandError, match=problem):
        run(
            "senders",
            "add-member-phone",
            email.format(coordinator=world.coordinator.email),
            phone,
        )
    assert not Sender.objects.exists()


def test_a_former_member_gets_no_phone(world: World) -> None:
    former = make_member(world.organisation, is_active=False)
    with pytest.raises(CommandError, match="No active member"):
        run("senders", "add-member-phone", former.email, MEMBER_PHONE)
    assert not Sender.objects.exists()


# --- senders link-code --------------------------------------------------------------------


def _link_code(out: str) -> str:
    line = next(x for x in out.splitlines() if x.startswith("Send /start "))
    return line.split()[2]


@pytest.mark.parametrize("whose", ["person", "member"])
def test_a_link_code_is_printed_once_with_what_to_do(world: World, whose: str) -> None:
    argument = str(world.person.pk) if whose == "person" else world.coordinator.email

    out, err = run("senders", "link-code", f"--{whose}", argument)

    code = _link_code(out)
    assert out.count(code) == 2  # the code, then "send /start CODE to the bot"
    assert "to the bot" in out
    link = LinkCode.objects.get(code_index=blind_index(LINK_CODE_PURPOSE, code))
    assert link.organisation == world.organisation
    if whose == "person":
        assert (link.person, link.member) == (world.person, None)
    else:
        assert (link.person, link.member) == (None, world.coordinator)
    assert "no active gateway" in err  # the world has no Telegram bot yet
    assert code not in audit_text()


def test_no_note_once_the_organisation_has_a_bot(world: World) -> None:
    add(world, "telegram", stdin=f"{TELEGRAM_SECRET}\n{TELEGRAM_REPLY}\n")

    out, err = run("senders", "link-code", "--member", world.coordinator.email)

    assert "/start" in out
    assert err == ""


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        pytest.param(["--person", "00000000-0000-4000-8000-000000000000"], "No person", id="id"),
        pytest.param(["--person", "Falcon"], "No person", id="not-an-id"),
        pytest.param(["--member", "nobody@example.org"], "No active member", id="nobody"),
        pytest.param([], "one of the arguments", id="neither"),
        pytest.param(["--person", "x", "--member", "y@example.org"], "not allowed", id="both"),
    ],
)
def test_a_link_code_for_nobody_is_refused(world: World, args: list[str], problem: str) -> None:
    with pytest.raises(CommandError, match=problem):
        run("senders", "link-code", *args)
    assert not LinkCode.objects.exists()


# --- senders list and remove --------------------------------------------------------------


def test_the_sender_list_names_whose_but_never_the_address(world: World) -> None:
    run("senders", "add-member-phone", world.coordinator.email, MEMBER_PHONE)
    add_sender(kind=AddressKind.TELEGRAM, address=CHAT_ID, person=world.person)

    out, _err = run("senders", "list", "--organisation", world.organisation.name)

    lines = out.splitlines()
    assert len(lines) == 2
    member_sender = Sender.objects.get(member=world.coordinator)
    person_sender = Sender.objects.get(person=world.person)
    assert any(
        str(member_sender.pk) in x and "phone" in x and f"member {world.coordinator.pk}" in x
        for x in lines
    )
    assert any(
        str(person_sender.pk) in x and "telegram" in x and "person Falcon" in x for x in lines
    )
    assert "9037654321" not in out
    assert CHAT_ID not in out
    other = world.outsider.organisation
    assert other is not None
    assert run("senders", "list", "--organisation", str(other.pk))[0] == ""
    with pytest.raises(CommandError, match="No organisation"):
        run("senders", "list", "--organisation", "No Such Network")


def test_a_sender_is_removed_after_asking(world: World) -> None:
    sender = add_sender(kind=AddressKind.TELEGRAM, address=CHAT_ID, person=world.person)
    with pytest.raises(CommandError, match="--yes"):
        run("senders", "remove", str(sender.pk))
    assert "Would remove" in run("senders", "remove", str(sender.pk), "--dry-run")[0]
    assert Sender.objects.exists()

    run("senders", "remove", str(sender.pk), "--yes")

    assert not Sender.objects.exists()
    entry = AuditEntry.objects.get(action="inbound.sender_removed")
    assert (entry.object_type, entry.object_id) == ("cases.person", str(world.person.pk))
    assert entry.details == {"sender": str(sender.pk), "kind": "telegram"}
    with pytest.raises(CommandError, match="No sender"):
        run("senders", "remove", str(sender.pk), "--yes")
