"""The grading screen in Chromium, driven by the keyboard alone, against `fieldeval grade`."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from tests.web.helpers import PAYLOAD, TEXTS, Graded, Served, call

from fieldeval.store import Store
from fieldeval.store.grade_store import GradeStore


def at(page: Page, position: int) -> str:
    """Wait until output `position` (1-based) is shown; its text."""
    expect(page.locator("#position")).to_have_text(f"Output {position} of 12")
    return page.locator("#output").text_content() or ""


def criterion(page: Page, cid: str) -> str:
    return f'li.criterion[data-criterion="{cid}"]'


def test_five_outputs_graded_by_keyboard_survive_a_reload(
    page: Page, served: Served, graded: Graded
) -> None:
    page.goto(served.url)
    expect(page.locator("#name-screen")).to_be_visible()
    page.keyboard.type("ana")
    page.keyboard.press("Enter")

    shown = [at(page, 1)]
    expect(page.locator("#progress-text")).to_have_text("0 of 12 graded")
    page.keyboard.press("p")
    expect(page.locator(criterion(page, "tone"))).to_have_class("criterion active")
    page.keyboard.press("3")

    # A fail asks for a note and refuses to save without one.
    shown.append(at(page, 2))
    page.keyboard.press("f")
    expect(page.locator("textarea.note-box")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".note-error")).to_have_text("faithful: a fail needs a note")
    page.keyboard.type("invents a deadline")
    page.keyboard.press("Enter")
    expect(page.locator(f"{criterion(page, 'faithful')} .note-view")).to_have_text(
        "invents a deadline"
    )
    page.keyboard.press("2")

    skipped = at(page, 3)
    page.keyboard.press("s")

    shown.append(at(page, 4))
    page.keyboard.press("n")
    page.keyboard.press("1")  # below the scale's pass mark: a fail, so a note
    page.keyboard.type("mocks the customer")
    page.keyboard.press("Enter")

    shown.append(at(page, 5))
    page.keyboard.press("ArrowDown")
    page.keyboard.press("3")
    expect(page.locator(criterion(page, "faithful"))).to_have_class("criterion active")
    page.keyboard.press("p")

    # The skipped output is still there to come back to.
    at(page, 6)
    for _ in range(3):
        page.keyboard.press("ArrowLeft")
    assert at(page, 3) == skipped
    expect(page.locator("#item-state")).to_have_text("skipped")
    page.keyboard.press("p")
    page.keyboard.press("3")
    shown.insert(2, skipped)
    at(page, 6)
    expect(page.locator("#progress-text")).to_have_text("5 of 12 graded")
    expect(page.locator("#save-state")).to_have_text("all answers saved")

    page.reload()
    assert at(page, 6) not in shown  # the first output not yet graded
    expect(page.locator("#progress-text")).to_have_text("5 of 12 graded")
    page.keyboard.press("k")
    assert at(page, 5) == shown[4]
    expect(page.locator(f"{criterion(page, 'tone')} .choice.chosen")).to_contain_text("neutral")
    expect(page.locator(f"{criterion(page, 'faithful')} .choice.chosen")).to_contain_text("Pass")
    for _ in range(3):
        page.keyboard.press("k")
    assert at(page, 2) == shown[1]
    expect(page.locator(f"{criterion(page, 'faithful')} .note-view")).to_have_text(
        "invents a deadline"
    )

    # The store agrees, output by output, with what was shown.
    store = Store.open(graded.db_url)
    try:
        grades = GradeStore(store).grades(graded.run_id, grader="ana")
    finally:
        store.close()
    wrote = graded.who_wrote()
    saved = {((g.candidate_id, g.example_id), g.criterion_id): (g.value, g.note) for g in grades}
    expected = [
        {"faithful": (1, None), "tone": (3, None)},
        {"faithful": (0, "invents a deadline"), "tone": (2, None)},
        {"faithful": (1, None), "tone": (3, None)},
        {"faithful": (None, None), "tone": (1, "mocks the customer")},
        {"faithful": (1, None), "tone": (3, None)},
    ]
    assert len(grades) == 10
    for text, answers in zip(shown, expected, strict=True):
        for cid, value in answers.items():
            assert saved[(wrote[text], cid)] == value, (text, cid)


def test_model_output_and_dataset_html_are_shown_as_text(
    page: Page, served: Served, graded: Graded
) -> None:
    status, listed = call("GET", f"{served.base}/api/grading/items?grader=eve")
    assert status == 200
    keys = {}
    for entry in listed["items"]:
        _, item = call("GET", f"{served.base}/api/grading/items/{entry['key']}?grader=eve")
        keys[(item["input"], item["output"])] = entry["key"]
    payload_key = next(key for (_, output), key in keys.items() if output == PAYLOAD)
    html_input_key = next(key for (text, _), key in keys.items() if text == TEXTS["e3"])

    page.goto(f"{served.base}/grade?grader=eve&item={payload_key}")
    output = page.locator("#output")
    expect(output).to_have_text(PAYLOAD)
    assert output.text_content() == PAYLOAD
    for tag in ("script", "img", "a"):
        assert page.locator(f"#output {tag}").count() == 0
    assert page.evaluate("typeof window.__pwned") == "undefined"

    page.goto(f"{served.base}/grade?grader=eve&item={html_input_key}")
    expect(page.locator("#input")).to_have_text(TEXTS["e3"])
    assert page.locator("#input b").count() == 0
    assert page.evaluate("typeof window.__pwned") == "undefined"


def test_the_page_asks_again_for_a_name_it_cannot_take(page: Page, served: Served) -> None:
    page.goto(f"{served.base}/grade?grader=adjudicated")
    expect(page.locator("#name-error")).to_have_text("the grader name 'adjudicated' is reserved")
    page.locator("#name-input").fill("bo")
    page.keyboard.press("Enter")
    expect(page.locator("#grader-name")).to_have_text("bo")
    expect(page.locator("#position")).to_have_text("Output 1 of 12")
