"""PubMed/MEDLINE XML (PubmedArticleSet), streamed with lxml.iterparse so large files fit in memory."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from lxml import etree

from medoracle.errors import ReadError
from medoracle.types import DocType, TextBlock

from ._common import DOI_URL, Record, join_blocks, make_document, pubmed_url, squash

# Publication types, strongest evidence kind first: the first one present decides the doc_type.
_PUBLICATION_TYPES: tuple[tuple[re.Pattern[str], DocType], ...] = (
    (re.compile(r"^(practice )?guideline$", re.I), DocType.guideline),
    (re.compile(r"^(meta-analysis|systematic review|network meta-analysis)$", re.I), DocType.systematic_review),
    (re.compile(r"^(randomized controlled trial|clinical trial.*|controlled clinical trial|pragmatic clinical "
                r"trial|equivalence trial|multicenter study)$", re.I), DocType.trial),
    (re.compile(r"^(review|scoping review)$", re.I), DocType.review),
)
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


def publication_doc_type(types: list[str]) -> DocType:
    """Map a PublicationTypeList to our evidence kind (guideline > systematic review > trial > review)."""
    for pattern, kind in _PUBLICATION_TYPES:
        if any(pattern.match(t.strip()) for t in types):
            return kind
    return DocType.other


def _text(elem: etree._Element | None) -> str:
    # itertext keeps the words inside <i>, <sup>, <sub> markup of titles and abstracts
    return squash("".join(elem.itertext())) if elem is not None else ""


def _label(raw: str) -> str:
    raw = raw.strip().rstrip(":")
    return raw.capitalize() if raw.isupper() else raw


def _year(article: etree._Element) -> str | None:
    for xpath in ("Journal/JournalIssue/PubDate/Year", "Journal/JournalIssue/PubDate/MedlineDate",
                  "ArticleDate/Year"):
        m = _YEAR.search(article.findtext(xpath) or "")
        if m:
            return m.group(1)
    return None


def _doi(citation_parent: etree._Element, article: etree._Element) -> str | None:
    for elem in citation_parent.iterfind("PubmedData/ArticleIdList/ArticleId"):
        if elem.get("IdType") == "doi" and (elem.text or "").strip():
            return elem.text.strip()
    for elem in article.iterfind("ELocationID"):
        if elem.get("EIdType") == "doi" and (elem.text or "").strip():
            return elem.text.strip()
    return None


def article_document(path: Path, index: int, record: etree._Element) -> Record:
    """One PubmedArticle element as a Document, or a ReadError naming its record index and PMID."""
    citation = record.find("MedlineCitation")
    pmid = (citation.findtext("PMID") or "").strip() if citation is not None else ""
    where = f"record {index}" + (f" (PMID {pmid})" if pmid else "")
    article = citation.find("Article") if citation is not None else None
    if article is None:
        return ReadError(path, where, "no MedlineCitation/Article element")
    if not pmid:
        return ReadError(path, where, "no PMID")
    title = _text(article.find("ArticleTitle")) or _text(article.find("VernacularTitle"))
    if not title:
        return ReadError(path, where, "article has no title")
    blocks: list[TextBlock] = []
    for part in article.iterfind("Abstract/AbstractText"):
        text = _text(part)
        if text:
            label = part.get("Label") or part.get("NlmCategory") or ""
            blocks.append(TextBlock(path=["Abstract", _label(label)] if label else ["Abstract"], text=text))
    pub_types = [_text(t) for t in article.iterfind("PublicationTypeList/PublicationType")]
    mesh = [_text(d) for d in citation.iterfind("MeshHeadingList/MeshHeading/DescriptorName")]
    keywords = [_text(k) for k in citation.iterfind("KeywordList/Keyword")]
    doi = _doi(record, article)
    metadata: dict[str, Any] = {"pmid": pmid, "publication_types": pub_types}
    if doi:
        metadata["doi"] = doi
    if mesh:
        metadata["mesh"] = mesh
    if keywords:
        metadata["keywords"] = [k for k in keywords if k]
    authors = [" ".join(filter(None, [a.findtext("LastName"), a.findtext("Initials")])) or _text(
        a.find("CollectiveName")) for a in article.iterfind("AuthorList/Author")]
    if authors:
        metadata["authors"] = [a for a in authors if a]
    for elem in record.iterfind("PubmedData/ArticleIdList/ArticleId"):
        if elem.get("IdType") == "pmc" and elem.text:
            metadata["pmcid"] = elem.text.strip()
    journal = _text(article.find("Journal/Title")) or (citation.findtext("MedlineJournalInfo/MedlineTA") or "")
    return make_document(
        path, where, id=f"pmid:{pmid}", text=join_blocks(blocks) or title, title=title,
        url=pubmed_url(pmid) or (DOI_URL.format(doi) if doi else None), source=journal.strip() or None,
        doc_type=publication_doc_type(pub_types), published=_year(article), metadata=metadata, blocks=blocks)


def _open(path: Path) -> IO[bytes]:
    with open(path, "rb") as probe:
        gz = probe.read(2) == b"\x1f\x8b"
    if gz:
        return gzip.open(path, "rb")  # type: ignore[return-value]  # a GzipFile reads bytes like any IO[bytes]
    return open(path, "rb")


def read_medline(path: Path) -> Iterator[Record]:
    """Every PubmedArticle of a PubmedArticleSet file (plain or gzipped)."""
    index, failed = 0, False
    try:
        stream = _open(path)
    except OSError as e:
        yield ReadError(path, None, f"cannot read file: {e.strerror or e}")
        return
    with stream:
        try:
            # no entity resolution, no network: the file is untrusted input
            for _, elem in etree.iterparse(stream, events=("end",), tag="PubmedArticle",
                                           resolve_entities=False, no_network=True, huge_tree=True):
                index += 1
                yield article_document(path, index, elem)
                # free what has been read, or a 1 GB baseline file would be held whole
                elem.clear()
                parent = elem.getparent()
                while parent is not None and elem.getprevious() is not None:
                    del parent[0]
        except etree.XMLSyntaxError as e:
            failed = True
            if index == 0 and "Document is empty" in str(e):
                yield ReadError(path, None, "empty file")
            else:
                yield ReadError(path, f"record {index + 1}", f"XML syntax error, rest of file skipped: {e}")
        except (OSError, EOFError) as e:
            failed = True
            yield ReadError(path, f"record {index + 1}", f"cannot read file: {e}")
    if index == 0 and not failed:
        # a well-formed file without any article is not what the caller meant to ingest
        yield ReadError(path, None, "no PubmedArticle records found")
