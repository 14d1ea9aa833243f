# ruff: noqa: RUF001  (attributions in six languages: their punctuation is the point)
"""Replies as mail clients write them: the text, the signature, the attribution, the quote.

Written for these tests from the shapes Gmail, Apple Mail, Thunderbird and Outlook
produce in English, German, French, Spanish, Russian and Portuguese. Each fixture is
(name, the text as stored, what ``show`` should display).
"""

from __future__ import annotations

REPLIES = {
    "en": "Thanks, the export works again.\nOne more question: can I schedule it weekly?",
    "de": "Danke, der Export geht wieder.\nNoch eine Frage: kann ich ihn wöchentlich planen?",
    "fr": "Merci, l'export fonctionne à nouveau.\nUne question : puis-je le planifier ?",
    "es": "Gracias, la exportación funciona otra vez.\n¿Puedo programarla cada semana?",
    "ru": "Спасибо, экспорт снова работает.\nЕщё вопрос: можно ли запускать его еженедельно?",
    "pt": "Obrigado, a exportação voltou a funcionar.\nPosso agendá-la toda semana?",
}
MOBILE = {
    "en": "Sent from my iPhone",
    "de": "Von meinem iPhone gesendet",
    "fr": "Envoyé de mon iPhone",
    "es": "Enviado desde mi iPhone",
    "ru": "Отправлено с iPhone",
    "pt": "Enviado do meu iPhone",
}
QUOTED = "> Please try the export again now.\n>\n> Hana\n> Acme Support"
UNQUOTED = "Please try the export again now.\n\nHana\nAcme Support"
ME = "Hana Support <hey@acme.dev>"

# (client, language, attribution, quote style)
SHAPES: list[tuple[str, str, str, str]] = [
    ("gmail", "en", f"On Mon, Nov 3, 2025 at 10:15 AM {ME} wrote:", ">"),
    (
        "gmail-wrapped",
        "en",
        "On Mon, Nov 3, 2025 at 10:15 AM Hana Support <\nhey@acme.dev> wrote:",
        ">",
    ),
    ("apple", "en", f"On 3 Nov 2025, at 10:15, {ME} wrote:", ">"),
    ("thunderbird", "en", "On 03/11/2025 10:15, Hana Support wrote:", ">"),
    ("gmail", "de", f"Am Mo., 3. Nov. 2025 um 10:15 Uhr schrieb {ME}:", ">"),
    ("thunderbird", "de", "Am 03.11.25 um 10:15 schrieb Hana Support:", ">"),
    ("apple-wrapped", "de", "Am 03.11.2025 um 10:15 schrieb Hana Support\n<hey@acme.dev>:", ">"),
    ("gmail", "fr", f"Le lun. 3 nov. 2025 à 10:15, {ME} a écrit :", ">"),
    ("thunderbird", "fr", "Le 03/11/2025 à 10:15, Hana Support a écrit :", ">"),
    ("apple", "fr", f"Le 3 nov. 2025 à 10:15, {ME} a écrit :", ">"),
    ("gmail", "es", "El lun, 3 nov 2025 a las 10:15, Hana Support (<hey@acme.dev>) escribió:", ">"),
    ("thunderbird", "es", "El 3/11/25 a las 10:15, Hana Support escribió:", ">"),
    ("apple", "es", f"El 3 nov 2025, a las 10:15, {ME} escribió:", ">"),
    ("gmail", "ru", f"пн, 3 нояб. 2025 г. в 10:15, {ME}:", ">"),
    ("thunderbird", "ru", "03.11.2025 10:15, Hana Support пишет:", ">"),
    ("apple", "ru", f"3 нояб. 2025 г., в 10:15, {ME} написал(а):", ">"),
    ("gmail", "pt", f"Em seg., 3 de nov. de 2025 às 10:15, {ME} escreveu:", ">"),
    ("apple-wrapped", "pt", f"Em 3 de nov. de 2025, à(s) 10:15,\n{ME} escreveu:", ">"),
    (
        "outlook",
        "en",
        f"________________________________\nFrom: {ME}\nSent: Monday, November 3, 2025 10:15 AM"
        "\nTo: Carla <carla@customer.example>\nSubject: RE: Export",
        "",
    ),
    (
        "outlook",
        "de",
        f"Von: {ME}\nGesendet: Montag, 3. November 2025 10:15\nAn: Carla <carla@customer.example>"
        "\nBetreff: AW: Export",
        "",
    ),
    (
        "outlook",
        "fr",
        f"De : {ME}\nEnvoyé : lundi 3 novembre 2025 10:15\nÀ : Carla <carla@customer.example>"
        "\nObjet : RE: Export",
        "",
    ),
    (
        "outlook",
        "es",
        f"De: {ME}\nEnviado el: lunes, 3 de noviembre de 2025 10:15\n"
        "Para: Carla <carla@customer.example>\nAsunto: RE: Export",
        "",
    ),
    (
        "outlook",
        "ru",
        f"От: {ME}\nОтправлено: 3 ноября 2025 г. 10:15\nКому: Carla <carla@customer.example>"
        "\nТема: RE: Export",
        "",
    ),
    (
        "outlook",
        "pt",
        f"De: {ME}\nEnviado: segunda-feira, 3 de novembro de 2025 10:15\n"
        "Para: Carla <carla@customer.example>\nAssunto: RE: Export",
        "",
    ),
    (
        "outlook-classic",
        "en",
        f"-----Original Message-----\nFrom: {ME}\nSent: 03 November 2025 10:15",
        "",
    ),
    (
        "outlook-classic",
        "de",
        f"-----Ursprüngliche Nachricht-----\nVon: {ME}\nGesendet: 03.11.2025",
        "",
    ),
]


def _fixtures() -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    for client, lang, attribution, style in SHAPES:
        reply = REPLIES[lang]
        quote = QUOTED if style == ">" else UNQUOTED
        name = f"{client}-{lang}"
        out.append((f"{name}-blank-line", f"{reply}\n\n{attribution}\n{quote}", reply))
        out.append((f"{name}-no-blank-line", f"{reply}\n{attribution}\n{quote}", reply))
        out.append(
            (f"{name}-mobile", f"{reply}\n\n{MOBILE[lang]}\n\n{attribution}\n{quote}", reply)
        )
    return out


HANDWRITTEN: list[tuple[str, str, str]] = [
    # The reply's own text may end in "wrote:" with no quote after it: kept.
    (
        "own-sentence-wrote",
        "My colleague wrote:\nthe export is broken for us too.",
        "My colleague wrote:\nthe export is broken for us too.",
    ),
    # Answers between quoted lines are the reply: kept, the quotes go.
    (
        "inline-answers",
        "On Mon, Nov 3, 2025 at 10:15 AM Hana <hey@acme.dev> wrote:\n> Which browser?\nFirefox 140.\n> Which plan?\nTeam.",
        "Firefox 140.\nTeam.",
    ),
    (
        "signature-dashes",
        "It works, thanks.\n\n-- \nCarla Customer\nCustomer Ltd, Leeds",
        "It works, thanks.",
    ),
    ("signature-dashes-and-mobile", "It works.\n\nSent from my Galaxy\n-- \nCarla", "It works."),
    ("outlook-mobile", "Fine by me.\n\nGet Outlook for Android", "Fine by me."),
    ("yahoo-mobile", "OK.\n\nSent from Yahoo Mail on Android", "OK."),
    ("mobile-only-line-is-kept-when-alone", "Sent from my iPhone", "Sent from my iPhone"),
    (
        "forward-is-kept",
        "See below.\n\n---------- Forwarded message ---------\nFrom: Bank <no-reply@bank.example>\n\nYour card was declined.",
        "See below.\n\n---------- Forwarded message ---------\nFrom: Bank <no-reply@bank.example>\n\nYour card was declined.",
    ),
    (
        "sent-from-in-the-middle-is-text",
        "The mail sent from my office printer never arrives.\nCan you check?",
        "The mail sent from my office printer never arrives.\nCan you check?",
    ),
]

FIXTURES = _fixtures() + HANDWRITTEN
