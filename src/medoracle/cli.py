"""The `medoracle` command. Exit codes: 0 ok, 1 partial failure (some records skipped), 2 bad input,
3 storage fault (damaged, read-only, full or newer-version database)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from rich.console import Console

from medoracle.errors import BadInput, MedoracleError
from medoracle.settings import Settings
from medoracle.store import SearchFilters
from medoracle.store.faults import StorageFault

err = Console(stderr=True, soft_wrap=True)  # never wrap file paths in messages
FORMATS = ["auto", "jsonl", "medline", "ngc", "pdf", "html", "markdown", "medquad", "pubmedqa", "bioasq"]


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except BadInput as exc:
        err.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False)
        return 2
    except StorageFault as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        return 3
    except MedoracleError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        return 1
    except KeyboardInterrupt:
        err.print("interrupted: finished batches are saved; run the same command again to resume")
        return 130


def _settings(args) -> Settings:
    return Settings.load(db=getattr(args, "db", None) or None)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="medoracle", description="Cited, evidence-graded answers to clinical questions.")
    sub = p.add_subparsers(metavar="COMMAND")

    s = sub.add_parser("ingest", help="add documents (JSONL, MEDLINE XML, NGC, PDF, HTML, Markdown) to a database")
    s.add_argument("paths", nargs="*", metavar="PATH")
    s.add_argument("--db", help="database file (default: the user data directory)")
    s.add_argument("--reembed", action="store_true",
                   help="drop every vector and embed all passages again with the current embedder setting")
    s.add_argument("--format", default="auto", choices=FORMATS)
    s.add_argument("--strict", action="store_true", help="abort with nothing written on any bad record")
    s.add_argument("--no-embed", action="store_true", help="skip computing embeddings (lexical search only)")
    s.add_argument("--json", action="store_true", help="print the summary as JSON")
    s.set_defaults(run=_ingest)

    s = sub.add_parser("embed", help="compute missing embeddings (resumable)")
    s.add_argument("--db")
    s.add_argument("--reset", action="store_true", help="drop all embeddings first")
    s.set_defaults(run=_embed)

    for name, helptext in (("search", "find evidence passages"), ("ask", "answer a clinical question")):
        s = sub.add_parser(name, help=helptext)
        s.add_argument("question", nargs="?")
        s.add_argument("--questions", type=Path, help="JSONL file of {qid, question}")
        s.add_argument("--db")
        s.add_argument("--json", action="store_true", help="one JSON line per question")
        s.add_argument("--filter", action="append", default=[], metavar="doc_type=guideline",
                       help="restrict evidence, e.g. doc_type=guideline (repeatable)")
        s.add_argument("--since", type=int, metavar="YEAR", help="only evidence published in or after YEAR")
        if name == "search":
            s.add_argument("--k", type=int, help="results per question (default: the top_k setting, 10)")
            s.add_argument("--explain", action="store_true", help="show why each result ranked")
            s.set_defaults(run=_search)
        else:
            s.add_argument("--audience", choices=["clinician", "student", "patient"])
            s.add_argument("--markdown", action="store_true", help="print Markdown")
            s.add_argument("--thread", metavar="ID", help="continue a thread ('new' starts one)")
            s.add_argument("--verbose", action="store_true", help="print stage timings")
            s.add_argument("--explain", action="store_true",
                           help="show how the question was read and why each statement was chosen, for whom")
            s.add_argument("--brief", action="store_true",
                           help="the bottom line, one screen of the most important statements and their sources")
            s.add_argument("--no-pager", action="store_true", help="never page a long answer on a terminal")
            s.set_defaults(run=_ask)

    s = sub.add_parser("kb", help="list the bundled knowledge base's topics and card counts")
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=_kb)

    s = sub.add_parser("serve", help="run the web app and JSON API")
    s.add_argument("--db")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--workers", type=int, default=1,
                   help="uvicorn worker processes (several share the database; use PostgreSQL for many hosts)")
    s.set_defaults(run=_serve)

    s = sub.add_parser("settings", help="list every setting, its default and meaning")
    s.set_defaults(run=_show_settings)

    try:
        from medoracle.editorial_cli import add_commands
    except ImportError:  # the editorial module is optional in stripped-down installs
        pass
    else:
        add_commands(sub)
    from medoracle.ops_cli import add_commands as add_ops_commands
    add_ops_commands(sub)
    return p


# -- commands ----------------------------------------------------------------------------------------

def _ingest(args) -> int:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from medoracle.embed import get_embedder
    from medoracle.ingest.pipeline import embed_pending, ingest
    from medoracle.store import open_store

    if not args.paths and not args.reembed:
        raise BadInput("name at least one file or folder to ingest (or --reembed to rebuild the vectors)")
    if args.reembed and args.no_embed:
        raise BadInput("--reembed and --no-embed contradict each other")
    settings = _settings(args)
    store = open_store(settings)
    embedder = None if args.no_embed else get_embedder(settings.embedder, threads=settings.threads)
    if args.reembed:
        if embedder is None:
            raise BadInput("--reembed needs an embedder: the embedder setting is 'none'")
        store.reset_embeddings()
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("reading", total=None)
        summary = ingest(args.paths, store, fmt=args.format, strict=args.strict,
                         progress=lambda name, n: bar.update(task, description=f"{name}: {n:,} documents"))
        if embedder is not None:
            summary.embedded = embed_pending(
                store, embedder,
                progress=lambda done, total: bar.update(task, description=f"embedding {done:,}/{total:,}"))
    for e in summary.errors[:50]:
        err.print(f"[yellow]skipped[/] {e}", highlight=False)
    if len(summary.errors) > 50:
        err.print(f"… and {len(summary.errors) - 50} more")
    for c in summary.collisions[:50]:
        err.print(f"[yellow]id collision[/] {c}", highlight=False)
    if summary.replaced:
        err.print(f"{len(summary.replaced):,} stored documents replaced by a new version with the same id "
                  f"(e.g. {', '.join(summary.replaced[:5])})", highlight=False)
    if args.json:
        print(json.dumps(summary.as_dict()))
    else:
        err.print(f"[bold]{summary.files}[/] files, [bold]{summary.documents:,}[/] documents read, "
                  f"[bold]{summary.added:,}[/] added, {summary.unchanged:,} unchanged, "
                  f"[bold]{summary.passages:,}[/] passages, {summary.skipped} skipped, "
                  f"{summary.embedded:,} embedded in {summary.seconds:.1f} s → {store.path}")
    return 1 if summary.errors else 0


def _embed(args) -> int:
    from medoracle.embed import get_embedder
    from medoracle.ingest.pipeline import embed_pending
    from medoracle.store import open_store

    settings = _settings(args)
    store = open_store(settings)
    embedder = get_embedder(settings.embedder, threads=settings.threads)
    if embedder is None:
        raise BadInput("the embedder setting is 'none'; nothing to do")
    if args.reset:
        store.reset_embeddings()
    n = embed_pending(store, embedder, progress=lambda d, t: err.print(f"\rembedded {d:,}/{t:,}", end=""))
    err.print(f"\n{n:,} passages embedded with {embedder.name}")
    return 0


def _filters(args) -> SearchFilters | None:
    kinds: list[str] = []
    for f in args.filter:
        key, _, value = f.partition("=")
        if key.strip() != "doc_type" or not value:
            raise BadInput(f"unknown filter {f!r}; use doc_type=guideline (or systematic_review, trial, …)")
        kinds.extend(v.strip() for v in value.split(",") if v.strip())
    if not kinds and args.since is None:
        return None
    return SearchFilters(doc_types=tuple(kinds), since_year=args.since)


def _questions(args) -> Iterator[tuple[str | None, str]]:
    if args.questions and args.question:
        raise BadInput("give a question or --questions FILE, not both")
    if args.questions:
        if not args.questions.exists():
            raise BadInput(f"{args.questions}: no such file")
        with args.questions.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                    yield str(row.get("qid", row.get("id", n))), str(row["question"])
                except (json.JSONDecodeError, KeyError, AttributeError) as exc:
                    raise BadInput(f"{args.questions}:{n}: not a {{qid, question}} JSON object ({exc})") from exc
    elif args.question:
        yield None, args.question
    else:
        raise BadInput("give a question, e.g. medoracle ask \"What is the management of MSCC?\"")


def _search(args) -> int:
    from rich.table import Table

    from medoracle.retrieve import retrieve
    from medoracle.service import clinic_for

    clinic = clinic_for(_settings(args), on_progress=lambda msg: err.print(f"[dim]{msg}[/]"))
    filters = _filters(args)
    out = Console()
    for qid, question in _questions(args):
        try:
            found = retrieve(question, clinic.store, k=args.k or clinic.settings.top_k, embedder=clinic.embedder,
                             filters=filters)
        except BadInput as exc:
            if not args.questions:
                raise
            err.print(f"[yellow]{qid}:[/] {exc}", highlight=False)
            print(json.dumps({"qid": qid, "results": [], "error": str(exc)}))
            continue
        for note in found.notes:
            err.print(f"[yellow]note:[/] {note}", highlight=False)
        if args.json:
            rows = [{"doc_id": e.doc_id, "passage_id": e.passage.id, "score": round(e.score, 6),
                     "text": e.passage.text, **({"explain": e.explain} if args.explain else {})}
                    for e in found.evidence]
            # measured inside this process, start-up excluded: the cost of the query itself
            print(json.dumps({"qid": qid, "latency_ms": round(found.timings.get("retrieve", 0.0), 2),
                              "results": rows}, ensure_ascii=False))
            continue
        table = Table(title=question, show_lines=True)
        for col in ("#", "document", "passage", *(["why"] if args.explain else [])):
            table.add_column(col)
        for i, e in enumerate(found.evidence, 1):
            where = f"{e.title[:60]}\n[dim]{e.doc_id} · {e.passage.doc_type.value} · {e.passage.published or ''}[/]"
            why = [", ".join(f"{k}={v}" for k, v in e.explain.items())] if args.explain else []
            table.add_row(str(i), where, e.passage.text[:400], *why)
        out.print(table)
        if not found.evidence:
            out.print("No matching evidence.")
    return 0


def _ask(args) -> int:
    from medoracle.render import explain_lines, to_json, to_markdown
    from medoracle.service import clinic_for
    from medoracle.terminal import page_lines, to_terminal

    settings = _settings(args)
    clinic = clinic_for(settings, on_progress=lambda msg: err.print(f"[dim]{msg}[/]"))
    audience = args.audience or settings.audience
    thread_id = args.thread
    if thread_id == "new":
        thread_id = clinic.threads.create()
        err.print(f"thread: {thread_id}  (continue with --thread {thread_id})")
    out = Console()
    filters = _filters(args)
    for qid, question in _questions(args):
        try:
            ans = clinic.answer(question, audience=audience, thread_id=thread_id, filters=filters)
        except BadInput as exc:
            if not args.questions:
                raise
            err.print(f"[yellow]{qid}:[/] {exc}", highlight=False)
            print(json.dumps({"qid": qid, "error": str(exc)}))
            continue
        if args.json:
            print(json.dumps({"qid": qid, "answer": to_json(ans, explain=args.explain)}, ensure_ascii=False))
        elif args.markdown:
            print(to_markdown(ans))
        elif out.is_terminal and not args.no_pager and len(page_lines(ans, out.width, brief=args.brief)) > out.height:
            # less -R keeps the colours and links, -F quits at once if the page fits after all, -X keeps the
            # page on screen after quitting
            os.environ.setdefault("LESS", "-RFX")
            with out.pager(styles=True, links=True):
                to_terminal(ans, out, brief=args.brief)
        else:
            to_terminal(ans, out, brief=args.brief)
        if args.explain and not args.json:
            for line in explain_lines(ans):
                out.print(line, highlight=False, markup=False)
        if args.verbose:
            err.print("timings (ms): " + ", ".join(f"{k} {v:.1f}" for k, v in ans.timings.items()))
    return 0


def _kb(args) -> int:
    from rich.table import Table

    from medoracle.kb import topics

    found = topics()
    if args.json:
        print(json.dumps([{"topic": t.slug, "title": t.title, "cards": t.card_count} for t in found]))
        return 0
    table = Table(title="Bundled knowledge base (pending clinician review)")
    table.add_column("topic")
    table.add_column("title")
    table.add_column("cards", justify="right")
    for t in found:
        table.add_row(t.slug, t.title, str(t.card_count))
    table.add_row("", "[bold]total[/]", f"[bold]{sum(t.card_count for t in found)}[/]")
    Console().print(table)
    return 0


def _serve(args) -> int:
    import uvicorn

    from medoracle.service import clinic_for
    from medoracle.web.app import create_app

    settings = _settings(args)
    if args.workers > 1:
        from medoracle.ops_cli import serve_workers
        err.print(f"medoracle on http://{args.host}:{args.port}  ({args.workers} workers, database "
                  f"{settings.database if not settings.database.startswith('postgres') else 'PostgreSQL'})")
        serve_workers(settings, args.host, args.port, args.workers)
        return 0
    from medoracle.ops_cli import prepare_serving
    prepare_serving(settings, on_progress=lambda msg: err.print(msg))
    clinic = clinic_for(settings, on_progress=lambda msg: err.print(msg))
    app = create_app(settings=settings, store=clinic.store, clinic=clinic, host=args.host, port=args.port)
    err.print(f"medoracle on http://{args.host}:{args.port}  (database {clinic.store.path})")
    # proxy_headers off: uvicorn would believe X-Forwarded-For from any loopback peer; the app reads it from
    # `trusted_proxies` only (medoracle.web.proxies)
    # (no access log: at log level warning it prints nothing, and each request still paid for the call)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", proxy_headers=False, access_log=False)
    return 0


def _show_settings(args) -> int:
    from rich.table import Table

    table = Table(title="Settings (env MEDORACLE_<NAME>, or [medoracle] in medoracle.toml)")
    for col in ("name", "default", "meaning"):
        table.add_column(col)
    for name, default, help_ in Settings.describe():
        table.add_row(name, default, help_)
    Console().print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
