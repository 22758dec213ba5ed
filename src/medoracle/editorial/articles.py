"""Publishing and the editorial workflow: articles, their versions, reviews and the audit trail.

An answer is published as an `Article` in state *submitted*. Reviewers take it under review and approve it,
request changes (with a comment on a section) or reject it; an editor can retract any article. An article
needs `settings.approvals_required` approvals from distinct reviewers, none of whom wrote any of its text
(the four-eyes rule, `medoracle.editorial.workflow`), before it is *approved*; editing makes a new version,
sends an approved article back to review and starts the approvals again. Edited sentences are checked
against their cited passages (`medoracle.editorial.revision`). One answer key makes one article, and an open
or approved article on the same question is pointed out before another is made
(`medoracle.editorial.similar`).

Every path (web, API, CLI) goes through `ArticleDesk`, so the rules cannot differ between them. Every action
is also written to the hash-chained audit log (`medoracle.editorial.audit`); storage is the
`EditorialRepository`'s.
"""

from __future__ import annotations

import builtins
import difflib
import hashlib
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from medoracle.editorial.audit import AuditLog
from medoracle.editorial.records import GENESIS, AuditEntry, Version, canonical_json, entry_hash
from medoracle.editorial.repository import EditorialRepository, EditorialTx, now
from medoracle.editorial.revision import MAX_SENTENCE, PassageSource, hold_to_article, mark_revision
from medoracle.editorial.similar import THRESHOLD, Signature, candidate_terms, signature
from medoracle.editorial.similar import similar as likeness
from medoracle.editorial.workflow import (
    AUTHOR,
    EDITORS,
    RESETS_APPROVALS,
    REVIEW_ACTIONS,
    REVIEWERS,
    TRANSITIONS,
    Actor,
    Transition,
    allowed,
    anonymous_writer,
    check,
)
from medoracle.errors import BadInput, PermissionDenied, WorkflowError
from medoracle.settings import Settings
from medoracle.types import Answer, Article, ArticleStatus, ReviewEvent

__all__ = ["AUTHOR", "EDITORS", "GENESIS", "OPEN_OR_APPROVED", "REVIEWERS", "TRANSITIONS", "Actor", "ArticleDesk",
           "ArticleNotFound", "AuditEntry", "AuditLog", "NothingChanged", "SimilarArticles", "Transition", "Version",
           "answer_text", "canonical_json", "entry_hash", "slugify"]

S = ArticleStatus
# The articles a new one on the same question would duplicate: still in review, or approved. Rejected and
# retracted ones do not stand in the way of a new answer.
OPEN_OR_APPROVED = (S.submitted, S.under_review, S.changes_requested, S.approved)


class ArticleNotFound(BadInput, LookupError):
    """No article has that slug or id."""


class NothingChanged(BadInput):
    """A new version that reads exactly as the current one."""


class SimilarArticles(WorkflowError):
    """An open or approved article already asks this question; `articles` are they, most alike first.

    Publish anyway with `create_anyway=True`, or add the answer to one of them as a new version (`edit`).
    """

    def __init__(self, articles: list[Article]) -> None:
        self.articles = articles
        first = articles[0]
        others = f" (and {len(articles) - 1} more)" if len(articles) > 1 else ""
        super().__init__(f"an article on this question is already {first.status.value.replace('_', ' ')}: "
                         f"{first.slug!r}, {first.question!r}{others}; add this answer to it as a new version, "
                         "or publish anyway to make a separate article")


def slugify(text: str, max_len: int = 80) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    slug = slug[:max_len].rstrip("-")
    return slug or "article"


def answer_text(answer: Answer) -> str:
    """The answer as readable text, for version diffs (Markdown from medoracle.render when present)."""
    try:
        from medoracle.render import to_markdown
    except ImportError:  # render is optional for the editorial side
        pass
    else:
        return to_markdown(answer)
    lines = [answer.question, "", answer.summary, ""]
    for sec in answer.sections:
        lines += [sec.title] + [f"- {st.text} {st.citations}" for st in sec.statements] + [""]
    lines += [f"{r.n}. {r.title} ({r.source or ''})" for r in answer.references]
    return "\n".join(lines)


def _search_text(answer: Answer) -> str:
    parts = [answer.question, answer.summary] + [s.title for s in answer.sections]
    parts += [st.text for st in answer.statements()]
    return " ".join(parts).lower()


def _as_composed(answer: Answer) -> Answer:
    """Marks are the desk's to set: a published answer is as composed, whatever a client sent."""
    return answer.model_copy(update={
        "summary_written_by": None, "summary_unsupported": None,
        "sections": [sec.model_copy(update={"statements": [
            st.model_copy(update={"written_by": None, "unsupported": None}) for st in sec.statements]})
            for sec in answer.sections]})


class ArticleDesk:
    """The editorial desk: every publish, review and edit goes through here.

    `passages` (the evidence store) is where edited sentences' cited passages are read from; without it they
    are checked against the quotes stored with each reference.
    """

    def __init__(self, repository: EditorialRepository, settings: Settings | None = None,
                 passages: PassageSource | None = None) -> None:
        self.repository = repository
        self.settings = settings or Settings.load()
        self.audit = AuditLog(repository)
        self.passages = passages

    @property
    def approvals_required(self) -> int:
        return int(self.settings.approvals_required)

    # -- reading ----------------------------------------------------------------------------------
    def get(self, key: str | int) -> Article:
        """An article by slug or id; raises ArticleNotFound."""
        article = self.repository.article(key)
        if article is None:
            raise ArticleNotFound(f"no article {key!r}")
        return article

    def find(self, key: str | int) -> Article | None:
        return self.repository.article(key)

    def list(self, *, status: ArticleStatus | str | Iterable[ArticleStatus | str] | None = None,
             query: str | None = None, limit: int = 50, offset: int = 0) -> builtins.list[Article]:
        """Newest first; `query` matches every word anywhere in the question, summary or statements."""
        states: builtins.list[str] = []
        if status:
            wanted = [status] if isinstance(status, (str, ArticleStatus)) else builtins.list(status)
            states = [S(s).value for s in wanted]
        words = re.findall(r"\w+", (query or "").lower())[:12]
        # Databases count in 64-bit integers: a larger offset is past every article anyway.
        return self.repository.articles(statuses=states, words=words, limit=max(1, min(limit, 500)),
                                        offset=max(0, min(int(offset), 2**62)))

    def queue(self) -> builtins.list[Article]:
        """What reviewers have to look at, oldest first."""
        return self.repository.articles(statuses=("submitted", "under_review", "changes_requested"),
                                        limit=10_000, oldest_first=True)

    def history(self, key: str | int) -> builtins.list[ReviewEvent]:
        art = self.get(key)
        assert art.id is not None
        return self.repository.review_events(art.id)

    def versions(self, key: str | int) -> builtins.list[Version]:
        art = self.get(key)
        assert art.id is not None
        return self.repository.versions(art.id)

    def diff(self, key: str | int, old: int, new: int) -> builtins.list[str]:
        """A unified diff (lines) between two versions' rendered text."""
        by_number = {v.version: v for v in self.versions(key)}
        for n in (old, new):
            if n not in by_number:
                raise BadInput(f"article {key!r} has no version {n}")
        return builtins.list(difflib.unified_diff(by_number[old].text.splitlines(),
                                                  by_number[new].text.splitlines(),
                                                  f"version {old}", f"version {new}", lineterm=""))

    def approvals(self, key: str | int) -> builtins.list[str]:
        """Usernames who approved the current version in the current review round, in order."""
        art = self.get(key)
        assert art.id is not None
        with self.repository.transaction() as tx:
            return tx.approvals(art.id, art.version, RESETS_APPROVALS)

    def writers(self, key: str | int) -> builtins.list[str]:
        """Everyone who saved a version of the article's text (usernames, or `anon:` session hashes)."""
        art = self.get(key)
        assert art.id is not None
        with self.repository.transaction() as tx:
            return tx.writers(art.id)

    def approved_versions(self, key: str | int) -> builtins.list[int]:
        """Versions that reached *approved*, oldest first (from the audit trail, which records every move)."""
        art = self.get(key)
        entries = self.repository.audit_recent(action="approve", subject=f"article:{art.slug}", limit=10_000)
        return sorted({int(e.details.get("version", 0)) for e in entries if e.details.get("to") == S.approved.value})

    def allowed_actions(self, article: Article, actor: Actor | None) -> builtins.list[str]:
        """The actions this actor may take on this article now (for buttons; the desk re-checks)."""
        return allowed(article, actor, self.writers(article.slug) if article.id is not None else [])

    def by_answer_key(self, answer_key: str | None) -> Article | None:
        """The article already published from this answer, if any."""
        return self.repository.article_by_answer_key(answer_key) if answer_key else None

    # -- acting -----------------------------------------------------------------------------------
    def similar(self, question: str, audience: str = "clinician", limit: int = 5) -> builtins.list[Article]:
        """Open or approved articles for this audience that ask the same question, most alike first."""
        with self.repository.transaction() as tx:
            return self._similar(tx, signature(question), audience, limit)

    @staticmethod
    def _similar(tx: EditorialTx, sig: Signature, audience: str, limit: int = 5) -> builtins.list[Article]:
        terms, need = candidate_terms(sig)
        rows = tx.articles_with_terms(terms, need, audience=audience, statuses=[s.value for s in OPEN_OR_APPROVED])
        scored = sorted(((likeness(sig, signature(question)), -article_id) for article_id, _, question, _ in rows),
                        reverse=True)
        found = [tx.article(-neg_id) for score, neg_id in scored if score >= THRESHOLD][:limit]
        return [a for a in found if a is not None]

    def publish(self, answer: Answer, actor: Actor | None = None, *, question: str | None = None,
                submitter: str | None = None, answer_key: str | None = None, create_anyway: bool = False) -> Article:
        """Submit an answer as a new article; the same `answer_key` twice gives back the first article.

        When an open or approved article for the same audience asks the same question (`similar`), raises
        SimilarArticles naming it, unless `create_anyway`. Without an account (`actor` None) only when
        `settings.anonymous_submissions` allows it, and then `submitter` names the browser session, so that no
        reviewer acting from it can review the article.
        """
        if actor is not None and actor.disabled:
            raise PermissionDenied(f"account {actor.username!r} is disabled")
        if actor is None:
            if not self.settings.anonymous_submissions:
                raise PermissionDenied("log in to publish: every article needs an accountable author")
            if not submitter:
                raise PermissionDenied("an anonymous submission must come from a browser session")
        question = (question or answer.question or "").strip()
        if not question:
            raise BadInput("an article needs a question")
        if answer.abstained:
            raise BadInput("an abstention cannot be published: there is no sourced answer to review")
        author = actor.username if actor else None
        writer = author or anonymous_writer(submitter or "")
        answer = _as_composed(answer)
        sig = signature(question)  # outside the lock: the first reading loads the vocabularies
        at = now()
        with self.repository.transaction() as tx:
            existing = tx.article_id_by_answer_key(answer_key) if answer_key else None
            if existing is not None:
                found = tx.article(existing)
                assert found is not None
                return found
            if not create_anyway:
                alike = self._similar(tx, sig, answer.audience.value)
                if alike:
                    raise SimilarArticles(alike)
            base, slug, n = slugify(question), slugify(question), 1
            while tx.slug_taken(slug):
                n += 1
                slug = f"{base}-{n}"
            payload = answer.model_dump_json()
            article_id = tx.insert_article(slug=slug, question=question, status=S.submitted.value, author=author,
                                           answer_json=payload, search_text=_search_text(answer), at=at,
                                           answer_key=answer_key or None, question_terms=sig.stored,
                                           audience=answer.audience.value)
            tx.add_version(article_id, 1, payload, answer_text(answer), writer, "first version", at)
            tx.add_event(article_id, 1, author, "submit", None, None, at)
            tx.append_audit(actor=author, action="submit", subject=f"article:{slug}",
                            details={"version": 1, "status": S.submitted.value,
                                     "sha256": hashlib.sha256(payload.encode()).hexdigest(),
                                     **({} if author else {"writer": writer})})
        return self.get(slug)

    def start_review(self, key: str | int, actor: Actor) -> Article:
        return self._move(key, "start_review", actor)

    def approve(self, key: str | int, actor: Actor, comment: str | None = None) -> Article:
        return self.review(key, "approve", actor, comment=comment)

    def request_changes(self, key: str | int, actor: Actor, comment: str, section: str | None = None) -> Article:
        return self.review(key, "request_changes", actor, comment=comment, section=section)

    def reject(self, key: str | int, actor: Actor, comment: str) -> Article:
        return self.review(key, "reject", actor, comment=comment)

    def review(self, key: str | int, action: str, actor: Actor, *, comment: str | None = None,
               section: str | None = None) -> Article:
        """approve / request_changes / reject; a submitted article is first taken under review."""
        if action not in REVIEW_ACTIONS:
            raise BadInput(f"review action must be one of {', '.join(REVIEW_ACTIONS)}, not {action!r}")
        return self._move(key, action, actor, comment=comment, section=section, auto_start=True)

    def resubmit(self, key: str | int, actor: Actor, comment: str | None = None) -> Article:
        return self._move(key, "resubmit", actor, comment=comment)

    def retract(self, key: str | int, actor: Actor, reason: str) -> Article:
        return self._move(key, "retract", actor, comment=reason)

    def edit(self, key: str | int, answer: Answer, actor: Actor, note: str | None = None, *,
             composed: bool = False) -> Article:
        """Save a new version; an approved article goes back under review, approvals start again.

        New and changed sentences are checked against their cited passages and marked with who wrote them.
        An answer from a client (the API, the edit form) brings only its sentences and which of the article's
        references they cite (`hold_to_article`); `composed` is for an answer this server composed from the
        evidence (re-answering), whose new references are the evidence's own.
        """
        if answer.abstained:
            raise BadInput("an abstention cannot replace an article's answer")
        if not answer.summary.strip() and not answer.statements():
            raise BadInput("an article needs a bottom line or at least one statement")
        if any(len(t) > MAX_SENTENCE for t in [answer.summary, *(st.text for st in answer.statements())]):
            raise BadInput(f"a statement or bottom line may be at most {MAX_SENTENCE:,} characters")
        cited = set(answer.summary_citations).union(*(st.citations for st in answer.statements()))
        unknown = sorted(cited - {r.n for r in answer.references})
        if unknown:
            raise BadInput(f"citation(s) {', '.join(map(str, unknown))} name no reference of the article")
        return self._move(key, "edit", actor, comment=note, new_answer=answer, composed=composed)

    def act(self, key: str | int, action: str, actor: Actor | None, *, comment: str | None = None,
            section: str | None = None) -> Article:
        """Dispatch by action name (web forms, API, CLI)."""
        if actor is None:
            raise PermissionDenied("log in to act on articles")
        if action in REVIEW_ACTIONS:
            return self.review(key, action, actor, comment=comment, section=section)
        if action in ("start_review", "resubmit", "retract"):
            return self._move(key, action, actor, comment=comment)
        raise BadInput(f"unknown action {action!r}")

    def respond(self, key: str | int, actor: Actor, comment: str, *, section: str | None = None) -> None:
        """An editor's or author's answer to a reviewer's comment (on `section`), kept in the review history."""
        comment = (comment or "").strip()
        if not comment:
            raise BadInput("a response needs some text")
        with self.repository.transaction() as tx:
            article = self._locked(tx, key)
            check(article, "edit", actor, ())  # whoever may revise the article may answer its reviewers
            assert article.id is not None
            tx.add_event(article.id, article.version, actor.username, "respond", comment,
                         (section or "").strip() or None, now())
            tx.append_audit(actor=actor.username, action="respond", subject=f"article:{article.slug}",
                            details={"version": article.version, "comment": comment,
                                     **({"section": section} if section else {})})

    # -- internals --------------------------------------------------------------------------------
    @staticmethod
    def _locked(tx: EditorialTx, key: str | int) -> Article:
        # the row is locked (SELECT … FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on SQLite) before its state is
        # checked, so two reviewers acting at once are served one after the other
        found = tx.article(key, for_update=True)
        if found is None:
            raise ArticleNotFound(f"no article {key!r}")
        return found

    def _move(self, key: str | int, action: str, actor: Actor | None, *, comment: str | None = None,
              section: str | None = None, new_answer: Answer | None = None, auto_start: bool = False,
              composed: bool = False) -> Article:
        comment = (comment or "").strip() or None
        section = (section or "").strip() or None
        if action in ("request_changes", "reject", "retract") and not comment:
            raise BadInput(f"{action.replace('_', ' ')} needs a comment saying why")
        expected_version: int | None = None
        if actor is not None and action == "edit" and new_answer is not None:
            # Checked outside the write lock: reading passages and verifying take a while.
            current = self.get(key)
            held = new_answer if composed else hold_to_article(current.answer, new_answer)
            new_answer = mark_revision(current.answer, held, actor.username, self.passages)
            expected_version = current.version
        with self.repository.transaction() as tx:
            article = self._locked(tx, key)
            assert article.id is not None
            if expected_version is not None and article.version != expected_version:
                raise WorkflowError(f"version {article.version} was saved meanwhile: reload and edit again")
            steps = check(article, action, actor, tx.writers(article.id), auto_start=auto_start)
            assert actor is not None
            if section is not None:
                keys = {s.key for s in article.answer.sections} | {"summary", "references"}
                if section not in keys:
                    raise BadInput(f"article has no section {section!r}; choose one of {', '.join(sorted(keys))}")
            at, version, status = now(), article.version, article.status
            details: dict[str, Any] = {}
            for step in steps:
                target = step.target
                if step.action == "edit":
                    assert new_answer is not None
                    # A version that reads exactly as the current one would send the article back to review (a
                    # request for changes looking handled) with nothing for reviewers to check.
                    if answer_text(new_answer) == answer_text(article.answer):
                        raise NothingChanged("nothing changed: the new version reads exactly as the current one "
                                             "(same sentences, citations, grades and references)")
                    version += 1
                    payload = new_answer.model_dump_json()
                    tx.add_version(article.id, version, payload, answer_text(new_answer), actor.username, comment, at)
                    tx.update_article(article.id, answer_json=payload, search_text=_search_text(new_answer),
                                      version=version, audience=new_answer.audience.value)
                    details["sha256"] = hashlib.sha256(payload.encode()).hexdigest()
                    details["unsupported"] = (sum(1 for st in new_answer.statements() if st.unsupported)
                                              + (1 if new_answer.summary_unsupported else 0))
                if step.action == "approve":
                    done = tx.approvals(article.id, version, RESETS_APPROVALS)
                    if actor.username in done:
                        raise WorkflowError(f"{actor.username} has already approved version {version}")
                    done.append(actor.username)
                    details["approvals"] = f"{len(done)}/{self.approvals_required}"
                    if len(done) < self.approvals_required:
                        target = status  # still under review: more reviewers must approve
                tx.add_event(article.id, version, actor.username, step.action,
                             comment if step is steps[-1] else None, section if step is steps[-1] else None, at)
                tx.update_article(article.id, status=target.value, updated_at=at)
                tx.append_audit(actor=actor.username, action=step.action, subject=f"article:{article.slug}",
                                details={**details, "version": version, "from": status.value, "to": target.value,
                                         **({"comment": comment} if comment and step is steps[-1] else {}),
                                         **({"section": section} if section and step is steps[-1] else {})})
                status = target
        return self.get(article.id)
