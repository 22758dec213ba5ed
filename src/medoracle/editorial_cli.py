"""`medoracle users …`, `medoracle articles …`, `medoracle audit verify`: the editorial side from a terminal.

Registered by `add_commands(subparsers)`; each command sets `run=` (the convention of `medoracle.cli`) and
takes `--db`. Article actions name who acts (`--as USER`) and go through the same `ArticleDesk` rules as the
web and the API.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Any

from medoracle.editorial.articles import ArticleDesk
from medoracle.editorial.users import ROLES, Accounts
from medoracle.errors import BadInput
from medoracle.settings import Settings


def _desk(args: argparse.Namespace) -> tuple[ArticleDesk, Accounts]:
    from medoracle.editorial import open_repository

    settings = Settings.load(db=getattr(args, "db", None) or None)
    repository = open_repository(settings)
    return ArticleDesk(repository, settings), Accounts(repository)


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise BadInput("no terminal to ask for a password: pipe it in with --password-stdin")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise BadInput("the two passwords differ")
    return first


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


# -- users ----------------------------------------------------------------------------------------
def _users_add(args: argparse.Namespace) -> int:
    desk, accounts = _desk(args)
    user = accounts.add(args.username, _password(args), args.role, display_name=args.display_name or "",
                        credentials=args.credentials or "", disclosures=args.disclosures or "")
    desk.audit.record(actor="cli", action="user_add", subject=f"user:{user.username}", details={"role": user.role})
    print(f"added {user.username} ({user.role})")
    return 0


def _users_list(args: argparse.Namespace) -> int:
    _, accounts = _desk(args)
    users = accounts.list()
    if args.json:
        _print_json([{"username": u.username, "role": u.role, "display_name": u.display_name,
                      "credentials": u.credentials, "disclosures": u.disclosures, "disabled": u.disabled}
                     for u in users])
        return 0
    if not users:
        print("no users yet: medoracle users add NAME --role reviewer")
    for u in users:
        flag = "  [disabled]" if u.disabled else ""
        print(f"{u.username:<20} {u.role:<9} {u.name}{flag}")
    return 0


def _users_disable(args: argparse.Namespace) -> int:
    desk, accounts = _desk(args)
    user = accounts.enable(args.username) if args.enable else accounts.disable(args.username)
    desk.audit.record(actor="cli", action="user_enable" if args.enable else "user_disable",
                      subject=f"user:{user.username}")
    print(f"{user.username} is now {'enabled' if not user.disabled else 'disabled'}")
    return 0


def _users_update(args: argparse.Namespace) -> int:
    desk, accounts = _desk(args)
    user = accounts.update_profile(args.username, display_name=args.display_name, credentials=args.credentials,
                                   disclosures=args.disclosures, role=args.role)
    desk.audit.record(actor="cli", action="user_update", subject=f"user:{user.username}",
                      details={k: v for k, v in (("role", args.role), ("disclosures", args.disclosures)) if v})
    print(f"updated {user.username}")
    return 0


def _users_logout(args: argparse.Namespace) -> int:
    desk, accounts = _desk(args)
    user = accounts.require(args.username)
    accounts.end_sessions(user.username)
    desk.audit.record(actor="cli", action="logout_everywhere", subject=f"user:{user.username}")
    print(f"every session of {args.username} has ended")
    return 0


def _users_token(args: argparse.Namespace) -> int:
    desk, accounts = _desk(args)
    token = accounts.issue_token(args.username)
    desk.audit.record(actor="cli", action="token_issue", subject=f"user:{args.username}")
    print(token)
    return 0


# -- articles -------------------------------------------------------------------------------------
def _articles_list(args: argparse.Namespace) -> int:
    desk, _ = _desk(args)
    articles = desk.list(status=args.status, query=args.query, limit=args.limit)
    if args.json:
        _print_json([{"slug": a.slug, "status": a.status.value, "version": a.version, "question": a.question,
                      "updated_at": a.updated_at} for a in articles])
        return 0
    for a in articles:
        print(f"{a.status.value:<18} v{a.version:<3} {a.slug}")
    return 0


def _articles_show(args: argparse.Namespace) -> int:
    from medoracle.render import to_json, to_markdown

    desk, _ = _desk(args)
    article = desk.get(args.slug)
    if args.json:
        _print_json({"slug": article.slug, "status": article.status.value, "version": article.version,
                     "author": article.author, "updated_at": article.updated_at,
                     "approvals": desk.approvals(article.slug), "answer": to_json(article.answer)})
        return 0
    print(f"[{article.status.value}, version {article.version}, updated {article.updated_at}]\n")
    print(to_markdown(article.answer))
    return 0


def _articles_act(args: argparse.Namespace) -> int:
    desk, accounts = _desk(args)
    actor = accounts.require(args.actor)
    article = desk.act(args.slug, args.action, actor, comment=args.comment, section=args.section)
    print(f"{article.slug}: {article.status.value} (version {article.version}, "
          f"approvals {len(desk.approvals(article.slug))}/{desk.approvals_required})")
    return 0


def _articles_history(args: argparse.Namespace) -> int:
    desk, _ = _desk(args)
    for e in desk.history(args.slug):
        extra = "".join([f" [{e.section}]" if e.section else "", f" — {e.comment}" if e.comment else ""])
        print(f"{e.at}  v{e.version}  {e.actor:<14} {e.action}{extra}")
    return 0


def _articles_diff(args: argparse.Namespace) -> int:
    desk, _ = _desk(args)
    article = desk.get(args.slug)
    new = args.new or article.version
    old = args.old or max(1, new - 1)
    lines = desk.diff(args.slug, old, new)
    print("\n".join(lines) if lines else f"no differences between version {old} and version {new}")
    return 0


# -- audit ----------------------------------------------------------------------------------------
def _audit_verify(args: argparse.Namespace) -> int:
    desk, _ = _desk(args)
    ok, bad = desk.audit.verify_chain()
    count = len(desk.audit.entries(limit=10**9))
    if ok:
        print(f"audit log intact: {count} entries, head {desk.audit.head()}")
        return 0
    print(f"audit log BROKEN at entry {bad}: it was altered, or an entry before it was removed", file=sys.stderr)
    return 1


def _audit_log(args: argparse.Namespace) -> int:
    desk, _ = _desk(args)
    for e in desk.audit.entries(subject=args.subject, limit=args.limit):
        print(f"{e.id:>6}  {e.at}  {e.actor or '-':<12} {e.action:<16} {e.subject}  "
              f"{json.dumps(e.details, ensure_ascii=False)}")
    return 0


def _help(parser: argparse.ArgumentParser) -> Any:
    def show(_: argparse.Namespace) -> int:
        parser.print_help()
        return 2
    return show


def add_commands(subparsers: Any) -> None:
    """Add `users`, `articles` and `audit` to the `medoracle` command's subparsers."""
    def db(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--db", help="database file (default: the user data directory)")
        return p

    users = subparsers.add_parser("users", help="editorial accounts: add, list, disable, tokens")
    us = users.add_subparsers(metavar="ACTION")
    users.set_defaults(run=_help(users))
    s = db(us.add_parser("add", help="create an account (password asked, or --password-stdin)"))
    s.add_argument("username")
    s.add_argument("--role", required=True, choices=ROLES)
    s.add_argument("--display-name")
    s.add_argument("--credentials", help='shown with the name, e.g. "MD, Radiation Oncology"')
    s.add_argument("--disclosures", help="conflict-of-interest statement shown on approved articles")
    s.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    s.set_defaults(run=_users_add)
    s = db(us.add_parser("list", help="list accounts"))
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=_users_list)
    s = db(us.add_parser("disable", help="disable an account (logins, tokens and actions stop)"))
    s.add_argument("username")
    s.set_defaults(run=_users_disable, enable=False)
    s = db(us.add_parser("enable", help="enable a disabled account"))
    s.add_argument("username")
    s.set_defaults(run=_users_disable, enable=True)
    s = db(us.add_parser("update", help="change name, credentials, disclosures or role"))
    s.add_argument("username")
    s.add_argument("--display-name")
    s.add_argument("--credentials")
    s.add_argument("--disclosures")
    s.add_argument("--role", choices=ROLES)
    s.set_defaults(run=_users_update)
    s = db(us.add_parser("logout", help="end every web session of an account (e.g. a lost laptop)"))
    s.add_argument("username")
    s.set_defaults(run=_users_logout)
    s = db(us.add_parser("token", help="issue a new API token (replaces the old one; shown once)"))
    s.add_argument("username")
    s.set_defaults(run=_users_token)

    articles = subparsers.add_parser("articles", help="published articles and their review")
    ars = articles.add_subparsers(metavar="ACTION")
    articles.set_defaults(run=_help(articles))
    s = db(ars.add_parser("list", help="list articles, newest first"))
    s.add_argument("--status", choices=["submitted", "under_review", "changes_requested", "approved", "rejected",
                                        "retracted"])
    s.add_argument("--query", help="words that must all appear")
    s.add_argument("--limit", type=int, default=50)
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=_articles_list)
    s = db(ars.add_parser("show", help="print an article (Markdown, or --json)"))
    s.add_argument("slug")
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=_articles_show)
    for action, helptext in [("approve", "approve the current version"),
                             ("request-changes", "ask for changes (--comment, optionally --section)"),
                             ("reject", "reject (--comment)"),
                             ("start-review", "take a submitted article under review"),
                             ("resubmit", "send a changes-requested article back to review"),
                             ("retract", "retract (editors; --comment gives the reason)")]:
        s = db(ars.add_parser(action, help=helptext))
        s.add_argument("slug")
        s.add_argument("--as", dest="actor", required=True, help="username of who acts")
        s.add_argument("--comment")
        s.add_argument("--section", help="section key the comment is about")
        s.set_defaults(run=_articles_act, action=action.replace("-", "_"))
    s = db(ars.add_parser("history", help="review events of an article"))
    s.add_argument("slug")
    s.set_defaults(run=_articles_history)
    s = db(ars.add_parser("diff", help="unified diff between two versions (default: the last two)"))
    s.add_argument("slug")
    s.add_argument("old", type=int, nargs="?")
    s.add_argument("new", type=int, nargs="?")
    s.set_defaults(run=_articles_diff)

    audit = subparsers.add_parser("audit", help="the hash-chained audit log")
    aus = audit.add_subparsers(metavar="ACTION")
    audit.set_defaults(run=_help(audit))
    s = db(aus.add_parser("verify", help="check every entry's hash and link; exit 1 at the first bad one"))
    s.set_defaults(run=_audit_verify)
    s = db(aus.add_parser("log", help="print audit entries"))
    s.add_argument("--subject", help="e.g. article:SLUG or user:NAME")
    s.add_argument("--limit", type=int, default=200)
    s.set_defaults(run=_audit_log)
