from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enrichment import quotes
from enrichment.quotes import Reply, split_reply


def test_on_wrote_top_posted() -> None:
    text = (
        "Sounds good, see you then.\n\n"
        "On Tue, 3 Mar 2026 at 09:12, Ana Ruiz <ana@example.com> wrote:\n"
        "> Can we meet on Friday?\n"
        "> Ana"
    )
    assert split_reply(text) == Reply(
        new_text="Sounds good, see you then.",
        quoted=(
            "On Tue, 3 Mar 2026 at 09:12, Ana Ruiz <ana@example.com> wrote:\n"
            "> Can we meet on Friday?\n"
            "> Ana"
        ),
    )


def test_attribution_wrapped_over_two_lines() -> None:
    text = (
        "Yes, that works.\n\n"
        "On Tue, Mar 3, 2026 at 9:12 AM Ana Ruiz <ana@example.com>\n"
        "wrote:\n"
        "> Can we meet on Friday?"
    )
    reply = split_reply(text)
    assert reply.new_text == "Yes, that works."
    assert reply.quoted.startswith("On Tue, Mar 3, 2026")


def test_outlook_header_block_takes_the_rule_above_it() -> None:
    text = (
        "Approved.\n\n"
        "________________________________\n"
        "From: Ana Ruiz <ana@example.com>\n"
        "Sent: Tuesday, March 3, 2026 9:12 AM\n"
        "To: Tom Baker <tom@example.org>\n"
        "Subject: Budget\n\n"
        "Please approve the budget."
    )
    reply = split_reply(text)
    assert reply.new_text == "Approved."
    assert reply.quoted.startswith("________________________________\nFrom: Ana Ruiz")
    assert reply.quoted.endswith("Please approve the budget.")


@pytest.mark.parametrize(
    ("new", "block"),
    [
        (
            "Passt, danke.",
            "Von: Jörg Müller <j@example.de>\nGesendet: Dienstag\nAn: Anna\nBetreff: Angebot",
        ),
        ("C'est noté.", "De : Claire <c@example.fr>\nEnvoyé : mardi\nÀ : Paul\nObjet : Devis"),
        ("Gracias.", "De: Ana <a@example.es>\nEnviado: martes\nPara: Tom\nAsunto: Factura"),
        ("Bedankt.", "Van: Jan <j@example.nl>\nVerzonden: dinsdag\nAan: Piet\nOnderwerp: Offerte"),
        ("Grazie.", "Da: Marco <m@example.it>\nInviato: martedì\nA: Luca\nOggetto: Ordine"),
        ("Obrigado.", "De: João <j@example.pt>\nEnviada em: terça\nPara: Ana\nAssunto: Proposta"),
        (
            "收到，谢谢。",
            "发件人: 王晓明 <w@example.cn>\n发送时间: 2026年3月3日\n收件人: 李华\n主题: 报价",
        ),
        (
            "承知しました。",
            "差出人: 佐藤 健 <s@example.jp>\n送信日時: 2026年3月3日\n宛先: 田中\n件名: 見積り",
        ),
        (
            "Kiitos.",
            "Lähettäjä: Aino <a@example.fi>\nLähetetty: ti\nVastaanottaja: Eero\nAihe: Tarjous",
        ),
    ],
)
def test_localised_header_blocks(new: str, block: str) -> None:
    reply = split_reply(f"{new}\n\n{block}\n\nOld message body.")
    assert reply == Reply(new_text=new, quoted=f"{block}\n\nOld message body.")


@pytest.mark.parametrize(
    "separator",
    [
        "-----Original Message-----",
        "-----Ursprüngliche Nachricht-----",
        "-----Message d'origine-----",
        "-----Mensaje original-----",
        "-----Oorspronkelijk bericht-----",
        "-----Messaggio originale-----",
        "-----Mensagem original-----",
        "---------- Forwarded message ---------",
        "------------------ 原始邮件 ------------------",
        "Begin forwarded message:",
        "-------- Message transféré --------",
        "----- Message transmis -----",
        "---------- Mensagem encaminhada ----------",
        "Début du message transféré :",
        "Inizio messaggio inoltrato:",
        "Begin doorgestuurd bericht:",
        "Início da mensagem encaminhada:",
    ],
)
def test_separator_lines(separator: str) -> None:
    reply = split_reply(f"See below.\n\n{separator}\nFrom: Ana\n\nOld text.")
    assert reply == Reply(new_text="See below.", quoted=f"{separator}\nFrom: Ana\n\nOld text.")


@pytest.mark.parametrize(
    ("new", "attribution"),
    [
        ("Danke!", "Am 03.03.2026 um 09:12 schrieb Jörg Müller:"),
        ("Merci.", "Le mar. 3 mars 2026 à 09:12, Claire Martin <c@example.fr> a écrit :"),
        ("Gracias.", "El mar, 3 mar 2026 a las 9:12, Ana Ruiz (<a@example.es>) escribió:"),
        ("Bedankt.", "Op di 3 mrt 2026 om 09:12 schreef Jan de Vries <j@example.nl>:"),
        ("Grazie.", "Il giorno mar 3 mar 2026 alle ore 09:12 Marco <m@example.it> ha scritto:"),
        ("Obrigado.", "Em ter., 3 de mar. de 2026 às 09:12, João <j@example.pt> escreveu:"),
        ("好的。", "在 2026年3月3日 09:12，王晓明 <w@example.cn> 写道："),
        ("承知しました。", "2026年3月3日(火) 9:12 佐藤 健 <s@example.jp>:"),
        ("承知しました。", "佐藤 健 のメッセージ:"),
        ("Danke!", "Jörg Müller <j@example.de> hat am 3. März 2026 um 09:12 geschrieben:"),
        ("Bedankt.", "Op 3 mrt. 2026 om 09:12 heeft Jan <j@example.nl> het volgende geschreven:"),
    ],
)
def test_localised_attributions(new: str, attribution: str) -> None:
    reply = split_reply(f"{new}\n\n{attribution}\n> Quoted line.")
    assert reply == Reply(new_text=new, quoted=f"{attribution}\n> Quoted line.")


def test_unprefixed_history_after_attribution_is_quoted() -> None:
    text = "Done.\n\nOn Mon, 2 Mar 2026, Ana <a@example.com> wrote:\nHi,\nplease do it.\n\nAna"
    assert split_reply(text).new_text == "Done."


def test_bottom_posted_reply_keeps_text_below_the_quote() -> None:
    text = (
        "On Tue, 3 Mar 2026 at 09:12, Ana Ruiz <ana@example.com> wrote:\n"
        "> Can we meet on Friday?\n"
        "> Ana\n\n"
        "Friday works for me.\n\n"
        "Tom"
    )
    assert split_reply(text).new_text == "Friday works for me.\n\nTom"


def test_interleaved_reply_drops_only_the_quoted_lines() -> None:
    text = "Hi Ana,\n\n> Can we meet on Friday?\nYes, at 10.\n\n> Shall I book a room?\nPlease do."
    reply = split_reply(text)
    assert reply.new_text == "Hi Ana,\n\nYes, at 10.\n\nPlease do."
    assert reply.quoted == "> Can we meet on Friday?\n> Shall I book a room?"


def test_rewrapped_quote_fragment_stays_quoted() -> None:
    text = (
        "> This is a long quoted line that the mail client wrapped at seventy-two\n"
        "characters\n"
        "> and the quote goes on.\n\n"
        "My answer."
    )
    assert split_reply(text).new_text == "My answer."


def test_history_below_a_top_posted_reply_is_not_scanned(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The cost of a reply must not grow with the thread it sits on.
    history = "\n".join(f"Line {n} of an old thread: see item {n}/{n + 1}." for n in range(5000))
    text = f"Works for us.\n\n-----Original Message-----\nFrom: Lior Adar\n{history}"
    looked_at: list[str] = []
    is_marked = quotes.is_marked

    def counting(line: str) -> bool:
        looked_at.append(line)
        return is_marked(line)

    monkeypatch.setattr(quotes, "is_marked", counting)
    assert split_reply(text).new_text == "Works for us."
    assert len(looked_at) < 10


def test_text_without_quotes_is_all_new() -> None:
    assert split_reply("Just a note.\nNothing quoted.") == Reply(
        "Just a note.\nNothing quoted.", ""
    )


def test_crlf_line_endings() -> None:
    text = "Fine by me.\r\n\r\nOn Tue, 3 Mar 2026, Ana <ana@example.com> wrote:\r\n> Lunch?\r\n"
    assert split_reply(text) == Reply(
        "Fine by me.", "On Tue, 3 Mar 2026, Ana <ana@example.com> wrote:\n> Lunch?"
    )


def test_prose_mentioning_wrote_is_not_an_attribution() -> None:
    text = "Here is what she wrote:\nthe plan is fine."
    assert split_reply(text).new_text == text


def test_top_posted_reply_ends_at_the_first_quote() -> None:
    """Whatever follows the quote of a top-posted reply is history, not new writing:
    here a line the client re-wrapped without "> " and a provider's footer."""
    text = (
        "Will do.\n\n"
        "On Tue, 3 Mar 2026, Ana Ruiz <ana@example.com> wrote:\n"
        "> Please send the signed contract and the delivery schedule before\n"
        "the end of the week so that we can book the trucks.\n"
        "> Thanks, Ana\n\n"
        "____\n"
        "Get your free mailbox at mail.example.net"
    )
    reply = split_reply(text)
    assert reply.new_text == "Will do."
    assert reply.quoted.endswith("Get your free mailbox at mail.example.net")


def test_salutation_alone_does_not_make_a_reply_top_posted() -> None:
    text = (
        "Hi Ana,\n\n"
        "On Tue, 3 Mar 2026, Ana Ruiz <ana@example.com> wrote:\n"
        "> Can we meet on Friday?\n\n"
        "Yes, at 10."
    )
    assert split_reply(text).new_text == "Hi Ana,\n\n\nYes, at 10."


def test_inline_citation_above_the_attribution_keeps_the_text_around_it() -> None:
    text = (
        "Thanks for the notes.\n\n"
        "> The budget is fixed.\n\n"
        "Understood, we will plan around it.\n\n"
        "On Tue, 3 Mar 2026, Ana Ruiz <ana@example.com> wrote:\n"
        "> The budget is fixed.\n"
        "> Ana"
    )
    assert split_reply(text).new_text == (
        "Thanks for the notes.\n\n\nUnderstood, we will plan around it."
    )


@pytest.mark.parametrize(
    "opening",
    [
        "> On Tue, 3 Mar 2026, Ana Ruiz <ana@example.com> wrote:",
        ">From: Ana Ruiz <ana@example.com>\n>To: Tom Baker <tom@example.org>\n>Subject: Budget",
        "> -----Original Message-----\n> From: Ana Ruiz",
    ],
)
def test_quote_block_opening_with_its_own_header_starts_the_history(opening: str) -> None:
    text = f"Thanks!\n\n{opening}\n> Please approve.\n\nJoin FreeMail today, it is free."
    reply = split_reply(text)
    assert reply.new_text == "Thanks!"
    assert reply.quoted.endswith("Join FreeMail today, it is free.")


def test_attribution_wrapped_inside_the_address() -> None:
    text = (
        "Yes.\n\n"
        "On Tue, Mar 3, 2026 at 9:12 AM, Ana Ruiz <ana.ruiz@long-subdomain.example.com\n"
        "> wrote:\n\n"
        "> Can we meet?"
    )
    reply = split_reply(text)
    assert reply.new_text == "Yes."
    assert reply.quoted.startswith("On Tue, Mar 3, 2026")


def test_attribution_without_colon_above_quoted_lines() -> None:
    text = "Sounds right.\n\nAna Ruiz wrote\n> Can we meet?\n> Friday?"
    assert split_reply(text) == Reply("Sounds right.", "Ana Ruiz wrote\n> Can we meet?\n> Friday?")


def test_sentence_ending_in_wrote_is_not_an_attribution() -> None:
    text = "Thanks.\n\nI like what you wrote\n> the plan is fine\nso let's go."
    assert split_reply(text).new_text == "Thanks.\n\nI like what you wrote\nso let's go."


def test_notes_header_with_sent_by_line() -> None:
    text = (
        "Fine.\n\n"
        "\tAna Ruiz\n"
        "\tSent by: Tom Baker\n"
        "\t03/03/2026 09:12 AM\n"
        "\t\t\n"
        "\t\t To: Tom Baker/HQ/Example@Example\n"
        "\t\t cc:\n"
        "\t\t Subject: Budget\n\n"
        "Old text."
    )
    reply = split_reply(text)
    assert reply.new_text == "Fine."
    assert reply.quoted.startswith("Ana Ruiz\n\tSent by: Tom Baker")


def test_undecoded_quoted_printable_does_not_hide_a_header() -> None:
    text = (
        "Ditto.=20\n\n"
        "=09From: Ana Ruiz                     03/03/2026 09:12 AM=\n\n"
        "To:=09Tom Baker/HQ/Example@Example\n"
        "cc:=09=20\n"
        "Subject:=09Budget\n\n"
        "Old text."
    )
    reply = split_reply(text)
    assert reply.new_text == "Ditto.=20"
    assert reply.quoted.startswith("=09From: Ana Ruiz")


@pytest.mark.parametrize(
    "attribution",
    [
        "On Tue, 3 Mar 2026, Ana Ruiz wrote  :",
        "Le 3 mars 2026 à 09:12, Ana Ruiz a   écrit :",
        "Il giorno 3 mar 2026, Ana Ruiz ha\u00a0scritto:",
        "On 03/03/2026 09:12, Ana Ruiz (<ana@example.com>) :",
    ],
)
def test_attribution_end_tolerates_spacing(attribution: str) -> None:
    reply = split_reply(f"Fine by me.\n\n{attribution}\n> Can we meet?")
    assert reply.new_text == "Fine by me."


def test_a_long_sentence_ending_in_a_colon_is_no_attribution() -> None:
    line = "We reviewed the numbers you sent and, as written before, we need " * 3 + "these:"
    text = f"Hi Ana,\n\n{line}\n- margin\n- volume\n\nTom"
    assert split_reply(text).new_text == text


_LINES = st.one_of(
    st.text(max_size=80),
    st.sampled_from(
        [
            "> quoted",
            ">",
            "",
            "On Mon, 1 Jan 2024, A <a@b.c> wrote:",
            "On Mon, 1 Jan 2024 at 10:00, A <a@b.c>",
            "wrote:",
            "From: A <a@b.c>",
            "Sent: Monday",
            "To: B",
            "Subject: x",
            "-----Original Message-----",
            "________________________________",
            ">>> A <a@b.c> 1/1/01 10:00 am >>>",
            "Name@ECT",
            "01/02/2001 10:00 AM",
            "\tSent by: A",
            "=09From: A     01/02/2001 10:00 AM=",
            "A B wrote",
            "> On Mon, 1 Jan 2024, A <a@b.c> wrote:",
            "On Mon, 1 Jan 2024, A <a@b.c",
            "> wrote:",
            "Hi,",
            "\r",
        ]
    ),
)


@settings(max_examples=300)
@given(st.lists(_LINES, max_size=30).map("\n".join))
def test_never_raises_and_never_grows(text: str) -> None:
    reply = split_reply(text)
    assert len(reply.new_text) + len(reply.quoted) <= len(text)


@given(st.text())
def test_arbitrary_text(text: str) -> None:
    reply = split_reply(text)
    assert len(reply.new_text) + len(reply.quoted) <= len(text)


def _content(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


def _is_subsequence(part: list[str], whole: list[str]) -> bool:
    rest = iter(whole)
    return all(line in rest for line in part)


@settings(max_examples=300)
@given(st.lists(_LINES, max_size=30).map("\n".join))
def test_parts_partition_the_input_lines_in_order(text: str) -> None:
    lines = _content(text.replace("\r\n", "\n").replace("\r", "\n"))
    reply = split_reply(text)
    new, old = _content(reply.new_text), _content(reply.quoted)
    assert _is_subsequence(new, lines)
    assert _is_subsequence(old, lines)
    assert sorted(new + old) == sorted(lines)
