"""Language: the input in another language, a foreign block pasted in, a paraphrase.

Translation and paraphrase need a model: the suite's `edges.translator`, reached through
`context.rewrite(text, instruction)`. `mixed_language` also works without one, pasting a
bundled French, German or Spanish paragraph (mail furniture that changes no fact).
"""

from __future__ import annotations

from collections.abc import Iterator

from fieldeval.edges.generators.base import (
    Draft,
    EdgeGenerator,
    Option,
    Run,
    one_of,
)
from fieldeval.edges.generators.text import language_name, sentence_spans
from fieldeval.errors import ConfigError

_KEEP = (
    " Keep every number, date, amount, name and placeholder (such as XXXX) exactly as"
    " written. Reply with the rewritten text only, nothing before or after it."
)
# Variant i asks for the translation in style i, so a deterministic translator still
# yields distinct variants.
_STYLES = (
    "",
    " Write it the way a native speaker would type it: informal, everyday words.",
    " Use a formal, written register.",
)


def translate_instruction(language: str, style: int = 0) -> str:
    return (
        f"Translate the following text into {language_name(language)}.{_STYLES[style % 3]}{_KEEP}"
    )


def _wrong_language(run: Run) -> Iterator[Draft]:
    """The whole input translated into `edges.other_language` by the translator.

    The reply must still be in `edges.reply_language` with the clean original's substance.
    Each variant asks for one of three registers (plain, informal, formal; order drawn
    from the rng), so at most three distinct variants come back. Needs
    `edges.translator`; a translation identical to the input is dropped. Empty
    seeds give []. Oracle: `language` (the reply language required), `input_language`.
    """
    context = run.context
    if context.other_language == context.reply_language or not run.seed.input.strip():
        return
    styles = list(range(len(_STYLES)))
    run.rng.shuffle(styles)
    for style in styles:
        translated = run.rewrite(
            run.seed.input, translate_instruction(context.other_language, style)
        )
        if translated.strip():
            yield Draft(
                translated,
                {"language": context.reply_language, "input_language": context.other_language},
                f"input in {language_name(context.other_language)}",
            )


# Pasted mail furniture: forward notes, confidentiality footers, auto-replies. None holds
# a fact, a number or a request, so the right answer does not change.
BUNDLED: dict[str, tuple[str, ...]] = {
    "fr": (
        "Message transféré — Bonjour, je vous fais suivre le message ci-dessous comme"
        " convenu. Pouvez-vous y jeter un œil quand vous aurez un moment ? Merci d'avance"
        " et bonne journée.",
        "Ce courriel et ses pièces jointes sont confidentiels et destinés exclusivement à"
        " leur destinataire. Si vous l'avez reçu par erreur, merci de le supprimer et"
        " d'en informer immédiatement l'expéditeur.",
        "Je suis absent du bureau avec un accès limité à mes courriels. Pour toute"
        " demande urgente, merci de contacter le service client, qui vous répondra dans"
        " les meilleurs délais.",
    ),
    "de": (
        "Weitergeleitete Nachricht — Hallo, wie besprochen leite ich dir die Nachricht"
        " unten weiter. Kannst du bitte einen Blick darauf werfen, wenn du Zeit hast?"
        " Vielen Dank und viele Grüße.",
        "Diese E-Mail und ihre Anhänge sind vertraulich und ausschließlich für den"
        " Empfänger bestimmt. Wenn Sie sie irrtümlich erhalten haben, löschen Sie sie"
        " bitte und benachrichtigen Sie den Absender.",
        "Ich bin derzeit nicht im Büro und habe nur eingeschränkten Zugriff auf meine"
        " E-Mails. In dringenden Fällen wenden Sie sich bitte an den Kundendienst.",
    ),
    "es": (
        "Mensaje reenviado — Hola, te reenvío el mensaje de abajo como quedamos. ¿Puedes"
        " echarle un vistazo cuando tengas un momento? Muchas gracias y un saludo.",
        "Este correo y sus archivos adjuntos son confidenciales y están dirigidos"
        " exclusivamente a su destinatario. Si lo ha recibido por error, por favor"
        " bórrelo y avise al remitente.",
        "Estoy fuera de la oficina con acceso limitado al correo. Para cualquier asunto"
        " urgente, por favor póngase en contacto con el servicio de atención al cliente.",
    ),
}


def _mixed_language(run: Run) -> Iterator[Draft]:
    """A block in `edges.other_language` pasted into the real text.

    With a translator (mode `translate`, or `auto` when one is set) a run of about a third
    of the seed's sentences, never all, is translated in place; without one (mode
    `bundled`, or `auto` without a translator) a bundled French, German or Spanish paragraph
    of mail furniture (a forward note, a confidentiality footer, an auto-reply) is pasted at
    a sentence break. The reply must be in `edges.reply_language` with the clean original's
    substance. Oracle: `language`, `pasted` (the foreign block), `pasted_language`, `mode`.
    """
    context, rng, text = run.context, run.rng, run.seed.input
    other = context.other_language
    spans = sentence_spans(text)
    if not spans or other == context.reply_language:
        return
    mode = run.options["mode"]
    if mode == "auto":
        mode = "translate" if context.rewrite is not None and len(spans) >= 2 else "bundled"
    if mode == "translate" and context.rewrite is None:
        raise ConfigError(
            "edge generator 'mixed_language' with mode 'translate' needs a model to translate,"
            " and the suite names none",
            hint="set `edges.translator` to a candidate id, or use mode `bundled` or `auto`",
        )
    if mode == "bundled" and other not in BUNDLED:
        raise ConfigError(
            f"edge generator 'mixed_language' has no bundled {language_name(other)} text",
            hint=f"set `edges.translator` to a candidate id, or `edges.other_language` to one"
            f" of: {', '.join(BUNDLED)}",
        )
    oracle = {"language": context.reply_language, "pasted_language": other, "mode": mode}
    for attempt in range(run.count * 3):
        if mode == "translate":
            if len(spans) < 2:
                return
            size = max(1, min(len(spans) - 1, round(len(spans) / 3)))
            first = rng.randrange(len(spans) - size + 1)
            start, end = spans[first].start, spans[first + size - 1].end
            block = run.rewrite(text[start:end], translate_instruction(other, attempt))
            if not block.strip() or block.strip() == text[start:end].strip():
                continue
            note = f"{size} of {len(spans)} sentences in {language_name(other)}"
        else:
            block = rng.choice(BUNDLED[other])
            at = rng.choice([0, *(s.end for s in spans)])
            start = end = at
            note = f"a {language_name(other)} paragraph pasted in"
            block = ("" if at == 0 else "\n\n") + block + ("\n\n" if at < len(text) else "")
            if at < len(text):
                end = at + len(text[at:]) - len(text[at:].lstrip())
        yield Draft(text[:start] + block + text[end:], {**oracle, "pasted": block.strip()}, note)


_PARAPHRASE_STYLES = (
    "Rewrite the following text in different words, as the same person might have written it.",
    "Rewrite the following text more tersely, as a hurried person would type it.",
    "Rewrite the following text more verbosely, with the same content in a different order"
    " where that reads naturally.",
)


def _paraphrase(run: Run) -> Iterator[Draft]:
    """The input reworded by the translator, every fact and request kept.

    Each variant asks for one style: a plain rewording, a terse one, a verbose one (order
    drawn from the rng; at most three variants). A paraphrase
    identical to the input is dropped. Needs `edges.translator`. Oracle: `style`.
    """
    if not run.seed.input.strip():
        return
    styles = list(zip(("plain", "terse", "verbose"), _PARAPHRASE_STYLES, strict=True))
    run.rng.shuffle(styles)
    for style, instruction in styles:
        reworded = run.rewrite(run.seed.input, instruction + _KEEP)
        if reworded.strip():
            yield Draft(reworded, {"style": style}, f"{style} paraphrase")


WRONG_LANGUAGE = EdgeGenerator("wrong_language", "same_answer", _wrong_language, needs_model=True)
MIXED_LANGUAGE = EdgeGenerator(
    "mixed_language",
    "same_answer",
    _mixed_language,
    options=[
        Option(
            "mode",
            "auto",
            "auto (translate with `edges.translator` when set, else bundled), translate,"
            " or bundled",
            one_of(("auto", "translate", "bundled")),
        )
    ],
)
PARAPHRASE = EdgeGenerator("paraphrase", "same_answer", _paraphrase, needs_model=True)
