"""Side by side and settling disagreements, in Chromium against `fieldeval grade`."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from tests.web.helpers import CANDIDATES, Graded, Served, call, post, serving

from fieldeval.store import Store
from fieldeval.store.grade_store import GradeStore


def at(page: Page, position: int) -> tuple[str, str]:
    """Wait until input `position` (1-based) is shown; its (left, right) outputs."""
    expect(page.locator("#position")).to_have_text(f"Input {position} of 6")
    return page.locator("#left").text_content() or "", page.locator("#right").text_content() or ""


def test_side_by_side_choices_record_which_candidate_was_on_which_side(
    page: Page, graded: Graded
) -> None:
    with serving(graded, "--pair", ",".join(CANDIDATES), "--grader", "ana") as served:
        assert served.url.endswith("/grade/pairs?grader=ana")
        page.goto(served.url)
        first = at(page, 1)
        expect(page.locator("#item h2")).to_have_text(["Input", "Left", "Right"])
        page.keyboard.press("1")  # faithful: left is better
        page.keyboard.press("t")  # tone: a tie
        second = at(page, 2)
        page.keyboard.press("n")
        page.keyboard.type("the right one keeps to the facts")
        page.keyboard.press("Enter")
        page.keyboard.press("2")
        page.keyboard.press("2")
        third = at(page, 3)
        expect(page.locator("#progress-text")).to_have_text("2 of 6 judged")

        # Sides are drawn per grader and input with the store's secret (both sides occurring
        # is tested over many draws in tests/human/test_session.py); here: the page shows
        # only this run's candidates, and the store logs the sides as shown (below).
        wrote = graded.who_wrote()
        lefts = {wrote[first[0]][0], wrote[second[0]][0], wrote[third[0]][0]}
        for position in range(4, 7):
            page.keyboard.press("j")
            lefts.add(wrote[at(page, position)[0]][0])
        assert lefts <= set(CANDIDATES)

        page.reload()
        at(page, 3)  # the first input without a choice

    store = Store.open(graded.db_url)
    try:
        rows = GradeStore(store).pair_grades(graded.run_id)
    finally:
        store.close()
    recorded = {
        (g.left_candidate, g.right_candidate, g.example_id, g.criterion_id): (g.winner, g.note)
        for g in rows
        if g.grader == "ana"
    }
    assert len(recorded) == 4
    for (left, right), choices in (
        (first, {"faithful": ("left", None), "tone": ("tie", None)}),
        (
            second,
            {"faithful": ("right", "the right one keeps to the facts"), "tone": ("right", None)},
        ),
    ):
        (left_candidate, example), (right_candidate, same_example) = wrote[left], wrote[right]
        assert example == same_example
        for cid, choice in choices.items():
            assert recorded[(left_candidate, right_candidate, example, cid)] == choice


def test_disagreements_are_listed_and_settled_from_the_page(
    page: Page, served: Served, graded: Graded
) -> None:
    _, listed = call("GET", f"{served.base}/api/grading/items?grader=ana")
    key = listed["items"][0]["key"]
    note = "<b>wrong</b> facts"
    for grader, faithful, tone in (("ana", (1, None), (3, None)), ("bo", (0, note), (1, "rude"))):
        for cid, (value, text) in (("faithful", faithful), ("tone", tone)):
            status, _ = post(
                served,
                "/api/grading/grades",
                {"grader": grader, "key": key, "criterion_id": cid, "value": value, "note": text},
            )
            assert status == 200

    page.goto(f"{served.base}/grade/disagreements?grader=cy")
    cases = page.locator("li.case")
    expect(cases).to_have_count(2)
    expect(page.locator("#progress-text")).to_have_text("0 of 2 settled")
    faithful = page.locator('li.case[data-criterion="faithful"]')
    expect(faithful.locator(".grades td")).to_have_text(["ana", "pass", "", "bo", "fail", note])
    assert faithful.locator(".note-cell b").count() == 0

    expect(cases.first).to_have_class("case card active")
    assert cases.first.get_attribute("data-criterion") == "faithful"
    page.keyboard.press("p")
    expect(page.locator("#progress-text")).to_have_text("1 of 2 settled")
    page.keyboard.press("c")
    page.keyboard.type("both readings are fair")
    page.keyboard.press("Enter")
    page.keyboard.press("3")
    expect(page.locator("#progress-text")).to_have_text("2 of 2 settled")
    expect(page.locator('li.case[data-criterion="tone"] .settled-line')).to_contain_text(
        "Settled: 3 · neutral"
    )

    store = Store.open(graded.db_url)
    try:
        settled = GradeStore(store).grades(graded.run_id, grader_kind="adjudicated")
    finally:
        store.close()
    by_criterion = {g.criterion_id: (g.grader, g.value, g.note) for g in settled}
    assert by_criterion == {
        "faithful": ("adjudicated", 1, "settled by cy"),
        "tone": ("adjudicated", 3, "settled by cy: both readings are fair"),
    }
