"""The team's current router, the baseline the models must beat: keywords, first match wins."""

RULES = (
    ("exchange_rate", ("exchange", "rate", "currency", "convert")),
    ("top_up_failed", ("top up", "top-up", "topped up", "topup")),
    ("lost_or_stolen_card", ("lost", "stolen", "stole", "missing", "can't find")),
    ("card_arrival", ("arrive", "arrival", "receive", "when will", "where is", "delivery")),
)


def route(request):
    text = request.variables["text"].lower()
    for intent, words in RULES:
        if any(word in text for word in words):
            return intent
    return "unknown"
