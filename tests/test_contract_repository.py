"""The editorial-repository contract: one suite, run on a real SQLite file and a real PostgreSQL schema.

A backend joins by subclassing `RepositoryContract` with a `make` fixture that opens the same (initially
empty) database each time it is called, as separate processes would.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from test_articles import sample_answer
from testdata import pg_url

from medoracle.editorial import EditorialRepository, open_repository
from medoracle.editorial.articles import ArticleDesk, SimilarArticles
from medoracle.editorial.threads import ThreadStore, UnknownThread
from medoracle.editorial.users import Accounts
from medoracle.errors import BadInput, WorkflowError
from medoracle.settings import Settings
from medoracle.types import ArticleStatus, Audience

Opener = Callable[[], EditorialRepository]


class RepositoryContract:
    @pytest.fixture
    def make(self) -> Opener:  # overridden by each backend
        raise NotImplementedError

    @pytest.fixture
    def settings(self, tmp_path: Path) -> Settings:
        return Settings(data_dir=str(tmp_path), approvals_required=2)

    def test_workflow_across_two_repositories(self, make: Opener, settings: Settings) -> None:
        """Published through one connection (server A), reviewed through another (server B)."""
        a, b = make(), make()
        accounts = Accounts(a)
        author = accounts.add("ann", "long enough pw", "editor")
        r1, r2 = accounts.add("rob", "long enough pw", "reviewer"), accounts.add("rae", "long enough pw", "reviewer")
        art = ArticleDesk(a, settings).publish(sample_answer(), author)
        desk_b = ArticleDesk(b, settings)
        assert desk_b.get(art.slug).status is ArticleStatus.submitted
        assert desk_b.approve(art.slug, r1).status is ArticleStatus.under_review
        with pytest.raises(WorkflowError, match="already approved"):
            desk_b.approve(art.slug, r1)
        assert ArticleDesk(a, settings).approve(art.slug, r2).status is ArticleStatus.approved
        assert [e.action for e in desk_b.history(art.slug)] == ["submit", "start_review", "approve", "approve"]
        assert desk_b.audit.verify_chain() == (True, None)
        again = ArticleDesk(a, settings).publish(sample_answer(), author, create_anyway=True)
        assert again.slug == art.slug + "-2"
        assert [x.slug for x in desk_b.list(query="thiazide")] == [again.slug, art.slug]
        assert [x.slug for x in desk_b.queue()] == [again.slug]

    def test_a_similar_open_article_is_pointed_out_before_another_is_made(self, make: Opener,
                                                                         settings: Settings) -> None:
        a, b = make(), make()
        accounts = Accounts(a)
        ann, ed = accounts.add("ann", "long enough pw", "editor"), accounts.add("ed", "long enough pw", "editor")
        first = ArticleDesk(a, settings).publish(sample_answer("What is first-line treatment for stage 1 "
                                                               "hypertension?"), ann, answer_key="k1")
        desk_b = ArticleDesk(b, settings)
        # Worded differently, from another server: the same question, pointed out and nothing written.
        with pytest.raises(SimilarArticles, match=first.slug) as found:
            desk_b.publish(sample_answer("first line treatment of stage 1 hypertension"), ed, answer_key="k2")
        assert [x.slug for x in found.value.articles] == [first.slug]
        assert [x.slug for x in desk_b.list()] == [first.slug]
        assert [x.slug for x in desk_b.similar("Stage 1 hypertension: first line treatment?")] == [first.slug]
        # The same answer key never makes a second article, whatever else is asked.
        assert desk_b.publish(sample_answer("Anything else?"), ed, answer_key="k1", create_anyway=True).id == first.id
        # A different question is not held up; asked anyway, the same one is.
        other = desk_b.publish(sample_answer("second-line treatment of stage 1 hypertension"), ed)
        anyway = desk_b.publish(sample_answer("first line treatment of stage 1 hypertension"), ed, answer_key="k2",
                                create_anyway=True)
        assert anyway.slug != first.slug and other.slug not in (first.slug, anyway.slug)
        assert desk_b.publish(sample_answer("x"), ed, answer_key="k2").id == anyway.id
        # For another audience, or once the open ones are rejected and retracted, a new article may be made.
        patient = sample_answer("first-line treatment of stage 1 hypertension").model_copy(
            update={"audience": Audience.patient})
        assert desk_b.publish(patient, ed).answer.audience.value == "patient"
        for slug in (first.slug, anyway.slug):
            ArticleDesk(a, settings).retract(slug, ann, reason="superseded")
        assert desk_b.similar("first line treatment of stage 1 hypertension") == []
        desk_b.publish(sample_answer("First-line treatment, stage 1 hypertension"), ed)

    def test_two_servers_publishing_one_question_at_once_make_one_article(self, make: Opener,
                                                                          settings: Settings) -> None:
        repos = [make() for _ in range(4)]
        author = Accounts(repos[0]).add("ann", "long enough pw", "editor")
        outcomes: list[str] = []

        def publish(i: int) -> None:
            try:
                ArticleDesk(repos[i], settings).publish(sample_answer(f"How is gout treated? ({'?' * i})"), author)
                outcomes.append("published")
            except SimilarArticles:
                outcomes.append("pointed out")

        workers = [threading.Thread(target=publish, args=(i,)) for i in range(len(repos))]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        assert sorted(outcomes) == ["pointed out"] * 3 + ["published"]
        assert len(ArticleDesk(make(), settings).list()) == 1

    def test_concurrent_reviewers_never_lose_an_update_or_fork_the_chain(self, make: Opener,
                                                                         settings: Settings) -> None:
        repos = [make() for _ in range(4)]
        accounts = Accounts(repos[0])
        author = accounts.add("ann", "long enough pw", "editor")
        reviewers = [accounts.add(f"rev{i}", "long enough pw", "reviewer") for i in range(8)]
        slugs = [ArticleDesk(repos[0], settings).publish(sample_answer(f"Question {i} about gout?"), author).slug
                 for i in range(4)]
        outcomes: list[str] = []

        def review(i: int) -> None:
            desk = ArticleDesk(repos[i % len(repos)], settings)
            for slug in slugs:
                try:
                    desk.approve(slug, reviewers[i])
                    outcomes.append("ok")
                except WorkflowError as exc:
                    outcomes.append(type(exc).__name__)

        workers = [threading.Thread(target=review, args=(i,)) for i in range(len(reviewers))]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        desk = ArticleDesk(make(), settings)
        for slug in slugs:
            article = desk.get(slug)
            assert article.status is ArticleStatus.approved
            approvals = [e for e in desk.history(slug) if e.action == "approve"]
            # exactly two approvals counted per article, however the 8 reviewers interleaved
            assert len(approvals) == 2, [e.actor for e in approvals]
        assert outcomes.count("ok") == 2 * len(slugs)
        assert desk.audit.verify_chain() == (True, None)
        ids = [e.id for e in desk.audit.entries()]
        assert ids == list(range(1, len(ids) + 1))

    def test_accounts_tokens_and_session_versions(self, make: Opener) -> None:
        a, b = Accounts(make()), Accounts(make())
        a.add("ada", "correct horse battery", "reviewer", display_name="Ada")
        with pytest.raises(BadInput, match="already exists"):
            b.add("ada", "another password", "editor")
        assert b.authenticate("ada", "correct horse battery").display_name == "Ada"
        token = a.issue_token("ada")
        assert b.by_token(token).username == "ada"
        repo = b.repository
        assert repo.user("ada").session_version == 0
        assert repo.bump_session_version("ada") == 1 and a.get("ada").session_version == 1
        assert repo.bump_session_version("nobody") == 0
        a.disable("ada")
        assert b.by_token(token) is None and b.authenticate("ada", "correct horse battery") is None

    def test_threads_continue_anywhere_and_are_pruned(self, make: Opener) -> None:
        from medoracle.types import Answer

        a, b = ThreadStore(make()), ThreadStore(make())
        tid = a.create("Gout")
        assert b.append(tid, Answer(question="What is the treatment of gout?", summary="x")) == 1
        assert a.append(tid, Answer(question="and the dose?", summary="y")) == 2
        assert [t.question for t in b.get(tid).turns] == ["What is the treatment of gout?", "and the dose?"]
        assert b.get(tid).topic == "gout"
        assert a.prune(older_than_days=1) == 0
        future = (datetime.now(timezone.utc) + timedelta(days=2)).isoformat(timespec="seconds")
        assert a.repository.prune_threads(future) == 1
        with pytest.raises(UnknownThread):
            b.get(tid)

    def test_settings_first_writer_wins(self, make: Opener) -> None:
        a, b = make(), make()
        assert a.setting("session_key") is None
        assert a.put_setting("session_key", "first", replace=False) == "first"
        assert b.put_setting("session_key", "second", replace=False) == "first"
        assert b.put_setting("kb_fingerprint", "abc") == "abc" and a.setting("kb_fingerprint") == "abc"
        assert a.put_setting("kb_fingerprint", "def") == "def"

    def test_recent_audit_entries_by_action_and_subject(self, make: Opener) -> None:
        repo = make()
        for who in ("user:ada", "user:bob", "user:ada"):
            repo.record_audit(actor=None, action="login_failed", subject=who)
        repo.record_audit(actor="ada", action="login", subject="user:ada")
        recent = repo.audit_recent(action="login_failed", subject="user:ada")
        assert [e.id for e in recent] == [3, 1]
        assert repo.audit_recent(action="login_failed", since="2999-01-01") == []
        assert len(repo.audit_recent(action="login_failed")) == 3


class TestSQLiteRepository(RepositoryContract):
    @pytest.fixture
    def make(self, tmp_path: Path) -> Opener:
        return lambda: open_repository(tmp_path / "editorial.db")

    def test_editorial_writes_are_fully_synchronous(self, make: Opener) -> None:
        repo = make()
        assert repo.db.connect().execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


class TestPostgresRepository(RepositoryContract):
    @pytest.fixture
    def make(self, pg_schema: str) -> Opener:
        return lambda: open_repository(pg_url(pg_schema))

    def test_audit_log_is_append_only(self, make: Opener, pg_schema: str) -> None:
        import psycopg

        make().record_audit(actor="x", action="test", subject="s")
        with psycopg.connect(pg_url(pg_schema), autocommit=True) as conn:
            with pytest.raises(psycopg.Error, match="append-only"):
                conn.execute("UPDATE audit_log SET actor = 'mallory'")
            with pytest.raises(psycopg.Error, match="append-only"):
                conn.execute("DELETE FROM audit_log")

    def test_connections_are_pooled_and_bounded(self, make: Opener) -> None:
        from medoracle.store.db import POOL_SIZE

        repo = make()
        repo.put_setting("probe", "1")
        peak: list[int] = []
        results: list[str | None] = []

        def read() -> None:
            for _ in range(5):
                results.append(repo.setting("probe"))
                peak.append(POOL_SIZE - repo.db._slots._value)  # slots in use right now

        workers = [threading.Thread(target=read) for _ in range(30)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        assert results == ["1"] * 150
        assert max(peak) <= POOL_SIZE and len(repo.db._idle) <= POOL_SIZE
