"""Edited statements are checked like composed ones, marked as the editor's own words when unsupported, and
reviewers see a word diff; the browser edit form (with responses to requested changes) on a real site."""

from __future__ import annotations

import sqlite3
from html.parser import HTMLParser
from pathlib import Path

from fastapi.testclient import TestClient
from test_articles import make_desk, sample_answer
from test_editorial_web import csrf, login, publish, site  # noqa: F401 - the shared module fixture

from medoracle.editorial.revision import changes, mark_revision, word_diff
from medoracle.editorial.users import User

ED = User("ed", "editor")


class _Form(HTMLParser):
    """The fields a browser would submit from one form: inputs (checkboxes unticked) and textareas."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action, self.inside, self.fields = action, False, {}
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("action") == self.action
        elif self.inside and tag == "input" and a.get("type") != "checkbox" and "name" in a:
            self.fields[a["name"]] = a.get("value", "")
        elif self.inside and tag == "textarea":
            self._textarea = a["name"]
            self.fields[self._textarea] = ""

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self.inside = False


def form_fields(html: str, action: str) -> dict[str, str]:
    parser = _Form(action)
    parser.feed(html)
    return parser.fields


def test_word_diff_keeps_unchanged_words_and_marks_the_rest() -> None:
    ops = word_diff("Start a thiazide diuretic today.", "Start a loop diuretic today.")
    assert ops == [("same", "Start a "), ("del", "thiazide "), ("add", "loop "), ("same", "diuretic today.")]
    assert "".join(t for op, t in ops if op != "del") == "Start a loop diuretic today."


def test_an_invented_bottom_line_is_the_editors_own_words_and_a_quoted_one_is_not() -> None:
    before = sample_answer()
    invented = before.model_copy(update={"summary": "Give 10 g of intravenous calcium immediately to every patient."})
    marked = mark_revision(before, invented, "ed")
    assert marked.summary_written_by == "ed" and marked.summary_unsupported
    assert "10" in marked.summary_unsupported or "words" in marked.summary_unsupported
    # A sentence the cited passage carries, word for word, is supported even though an editor wrote it.
    quoted = before.model_copy(update={"summary": "Initial first-line agents include thiazide diuretics, CCBs, "
                                                  "and ACE inhibitors or ARBs."})
    marked = mark_revision(before, quoted, "ed")
    assert marked.summary_written_by == "ed" and marked.summary_unsupported is None
    # Unchanged statements keep their (empty) marks; marks sent in by a client are not trusted.
    forged = invented.model_copy(deep=True)
    forged.summary_unsupported = None
    forged.sections[0].statements[0].unsupported = None
    forged.sections[0].statements[0].written_by = "someone"
    marked = mark_revision(before, forged, "ed")
    assert marked.summary_unsupported and marked.sections[0].statements[0].written_by is None


def test_re_citing_a_statement_checks_it_against_the_new_source() -> None:
    before = sample_answer()
    recited = before.model_copy(deep=True)
    recited.sections[1].statements[0].citations = [1]  # the monitoring sentence now cites ACC/AHA, which lacks it
    marked = mark_revision(before, recited, "ed")
    st = marked.sections[1].statements[0]
    assert st.written_by == "ed" and st.unsupported
    diff = changes(before, marked)
    assert [(c.where, c.kind, c.old_citations, c.new_citations) for c in diff] == [("Monitoring", "recited", [2], [1])]


def test_changes_list_added_removed_and_changed_sentences() -> None:
    before = sample_answer()
    after = before.model_copy(deep=True)
    after.sections[0].statements[0].text = "Start a thiazide-type diuretic or a calcium-channel blocker."
    del after.sections[0].statements[1]
    after.sections[1].statements.append(after.sections[1].statements[0].model_copy(update={"text": "Recheck yearly."}))
    kinds = [(c.where, c.kind) for c in changes(before, after)]
    assert kinds == [("First-line treatment", "changed"), ("First-line treatment", "removed"),
                     ("Monitoring", "added")]


def test_the_desk_marks_edits_and_records_them_in_the_audit_log(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "e.db")
    desk = make_desk(conn)
    art = desk.publish(sample_answer(), User("rita", "reviewer"))
    invented = art.answer.model_copy(update={"summary": "Give 10 g of intravenous calcium immediately."})
    art = desk.edit(art.slug, invented, ED)
    assert art.answer.summary_unsupported and art.version == 2
    edit = [e for e in desk.audit.entries() if e.action == "edit"][-1]
    assert edit.details["unsupported"] == 1


def test_an_editor_edits_in_the_browser_and_answers_the_requested_change(site: dict) -> None:  # noqa: F811
    ed = login(site, "ed")
    slug = publish(site, ed)
    rita = login(site, "rita")
    section = site["desk"].get(slug).answer.sections[0]
    rita.post(f"/articles/{slug}/review", data={"action": "request_changes", "section": section.key,
                                                "comment": "Say which drug classes.",
                                                "csrf_token": csrf(rita, f"/articles/{slug}/review")})
    review = ed.get(f"/articles/{slug}/review").text
    assert f'href="/articles/{slug}/edit"' in review
    form = ed.get(f"/articles/{slug}/edit").text
    assert "Say which drug classes." in form and 'name="respond-0"' in form
    fields = form_fields(form, f"/articles/{slug}/edit")
    fields["s0-0-text"] = fields["s0-0-text"] + " Amlodipine suits most adults."
    fields["s0-new-text"] = "Give 10 g of intravenous calcium to every patient."
    fields["s0-new-cites"] = "1"
    fields["respond-0"] = "Named the classes and added one."
    fields["note"] = "answered Rita"
    r = ed.post(f"/articles/{slug}/edit", data=fields)
    assert r.status_code == 303, r.text
    art = site["desk"].get(slug)
    assert art.version == 2 and art.status.value == "submitted"
    new = art.answer.sections[0].statements[-1]
    assert new.written_by == "ed" and new.unsupported
    page = rita.get(f"/articles/{slug}/review").text
    assert "What changed since version 1" in page and "<ins>" in page and "Amlodipine" in page
    assert "Editor's own words" in page and "Named the classes and added one." in page
    assert 'value="approve"' in page  # Rita did not write it, so she may approve
    assert 'value="approve"' not in ed.get(f"/articles/{slug}/review").text
    public = TestClient(site["app"]).get(f"/articles/{slug}")
    assert public.status_code == 404  # still a draft
    rita.post(f"/articles/{slug}/review",
              data={"action": "approve", "csrf_token": csrf(rita, f"/articles/{slug}/review")})
    html = TestClient(site["app"]).get(f"/articles/{slug}").text
    assert "Editor's own words" in html  # the mark stays on the public page
    r = ed.post(f"/articles/{slug}/edit", data={**fields, "version": "1"})
    assert r.status_code == 409 and "saved meanwhile" in r.text  # a stale form never overwrites a newer version


def test_a_sentence_extended_at_its_end_keeps_its_last_word() -> None:
    ops = word_diff("Lower salt for every adult.", "Lower salt for every adult. Recheck within a month.")
    assert ops == [("same", "Lower salt for every adult. "), ("add", "Recheck within a month.")]
