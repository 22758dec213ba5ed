"""Readers: every format from a small real file written here, bad records reported and skipped."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from medoracle.errors import ReadError
from medoracle.ingest.readers import EXTENSIONS, FORMATS, detect_format, read_path, register
from medoracle.types import DocType, Document

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CORPORA = DATA / "corpora"


def split(path: Path, fmt: str = "auto") -> tuple[list[Document], list[ReadError]]:
    docs: list[Document] = []
    errors: list[ReadError] = []
    for record in read_path(path, fmt):
        (errors if isinstance(record, ReadError) else docs).append(record)
    return docs, errors


def write_jsonl(path: Path, rows: list[object], gz: bool = False) -> Path:
    text = "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n"
    if gz:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- documents JSONL

def test_documents_jsonl_reads_fields_and_reports_bad_lines(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "docs.jsonl", [
        {"id": "d1", "text": "Aspirin is used after myocardial infarction.", "title": "Aspirin", "url": "https://x.org/a",
         "source": "Sample Society", "doc_type": "Practice Guideline", "published": 2019, "grade": "Grade 1A",
         "topic": "cardiology"},
        '{"id": "d2", "text": "unterminated',
        {"text": "no id here"},
        {"id": "d3", "text": "   "},
        {"id": "d1", "text": "a second d1"},
        "",
        {"id": 4, "text": "Numeric ids become strings."},
    ])
    docs, errors = split(path)
    assert [d.id for d in docs] == ["d1", "4"]
    first = docs[0]
    assert first.doc_type is DocType.guideline
    assert (first.title, first.url, first.source, first.published, first.grade) == (
        "Aspirin", "https://x.org/a", "Sample Society", "2019", "Grade 1A")
    assert first.metadata == {"topic": "cardiology"}
    assert [e.where for e in errors] == [2, 3, 4, 5]
    assert "malformed JSON" in errors[0].reason
    assert "'id'" in errors[1].reason and "'text'" in errors[2].reason
    assert "duplicate id 'd1'" in errors[3].reason and "line 1" in errors[3].reason
    assert str(errors[0]).startswith(f"{path}:2: ")


def test_documents_jsonl_gz_is_read(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "docs.jsonl.gz", [{"id": "g1", "text": "Gzipped text."}], gz=True)
    assert detect_format(path) == "jsonl"
    docs, errors = split(path)
    assert [d.id for d in docs] == ["g1"] and not errors


def test_broken_gzip_is_one_error(tmp_path: Path) -> None:
    path = tmp_path / "docs.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"id": "x", "text": "y"}\n' * 50)[:40])
    docs, errors = split(path)
    assert not docs and len(errors) == 1 and "gzip" in errors[0].reason


# ---------------------------------------------------------------- detection and registry

def test_detect_format_by_extension_and_content(tmp_path: Path) -> None:
    samples = {
        "ngc": {"id": "ngc-1", "Guideline Title": "T", "Major Recommendations": "R"},
        "medquad": {"qa_id": "1-1", "question": "Q?", "answer": "A."},
        "pubmedqa": {"pmid": "1", "question": "Q?", "text": "T."},
        "bioasq": {"id": "snip0", "pmid": "1", "section": "abstract", "text": "T."},
        "jsonl": {"id": "x", "text": "T."},
    }
    for fmt, row in samples.items():
        assert detect_format(write_jsonl(tmp_path / f"{fmt}.jsonl", [row])) == fmt
    (tmp_path / "set.xml").write_text('<?xml version="1.0"?>\n<!DOCTYPE PubmedArticleSet>\n<PubmedArticleSet/>')
    (tmp_path / "set.xml.gz").write_bytes(gzip.compress(b"<PubmedArticleSet></PubmedArticleSet>"))
    assert detect_format(tmp_path / "set.xml") == "medline"
    assert detect_format(tmp_path / "set.xml.gz") == "medline"
    for name, fmt in (("a.pdf", "pdf"), ("a.HTM", "html"), ("a.html", "html"), ("a.md", "markdown"),
                      ("a.markdown", "markdown")):
        assert detect_format(tmp_path / name) == fmt
    (tmp_path / "other.xml").write_text("<catalog><item/></catalog>")
    with pytest.raises(ReadError, match="catalog"):
        detect_format(tmp_path / "other.xml")
    with pytest.raises(ReadError, match="unknown file type"):
        detect_format(tmp_path / "slides.pptx")


def test_unknown_file_and_format_are_errors_not_exceptions(tmp_path: Path) -> None:
    (tmp_path / "slides.pptx").write_bytes(b"PK\x03\x04")
    assert len(split(tmp_path / "slides.pptx")[1]) == 1
    (tmp_path / "a.md").write_text("text")
    _, errors = split(tmp_path / "a.md", fmt="docx")
    assert "unknown format 'docx'" in errors[0].reason
    _, errors = split(tmp_path / "missing.jsonl")
    assert errors[0].reason == "no such file"


def test_registry_accepts_a_plugin_format(tmp_path: Path) -> None:
    def read_tsv(path: Path):
        for line in path.read_text().splitlines():
            doc_id, text = line.split("\t")
            yield Document(id=doc_id, text=text)

    register("tsv", read_tsv, extensions=[".tsv"])
    try:
        (tmp_path / "notes.tsv").write_text("n1\tFirst note.\nn2\tSecond note.\n")
        assert detect_format(tmp_path / "notes.tsv") == "tsv"
        assert [d.id for d in split(tmp_path / "notes.tsv")[0]] == ["n1", "n2"]
    finally:
        FORMATS.pop("tsv")
        EXTENSIONS.pop(".tsv")


def test_a_folder_is_read_file_by_file(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "a.jsonl", [{"id": "a", "text": "A."}])
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.md").write_text("# B\n\nBee text.\n")
    (tmp_path / "sub" / "ignored.bin").write_bytes(b"\x00\x01")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "c.md").write_text("hidden")
    docs, errors = split(tmp_path)
    assert [d.id for d in docs] == ["a", "file:b"] and not errors


# ---------------------------------------------------------------- MedQuAD, PubMedQA, BioASQ

def test_medquad_keeps_every_answer_and_disambiguates_reused_ids(tmp_path: Path) -> None:
    base = {"doc_id": "0001_1", "source": "CancerGov", "collection": "1_CancerGov_QA",
            "url": "https://www.cancer.gov/sample", "qtype": "information"}
    path = write_jsonl(tmp_path / "medquad.jsonl", [
        {**base, "qa_id": "0001_1-1", "focus": "Condition A", "question": "What is A ?", "answer": "A is a thing."},
        {**base, "qa_id": "0001_1-1", "focus": "Condition B", "question": "What is B ?", "answer": "B is a thing."},
        {**base, "qa_id": "0001_1-2", "focus": "Condition A", "question": "How is A treated ?", "answer": ""},
    ])
    docs, errors = split(path)
    assert [d.id for d in docs] == ["0001_1-1", "0001_1-1~2"]
    assert docs[1].metadata["qa_id"] == "0001_1-1" and docs[1].metadata["focus"] == "Condition B"
    assert docs[0].title == "What is A ?" and docs[0].text == "A is a thing."
    assert docs[0].doc_type is DocType.consumer and docs[0].source == "CancerGov"
    assert errors[0].where == 3


def test_pubmedqa_uses_bare_pmid_and_labelled_sections(tmp_path: Path) -> None:
    contexts = ["Background sentence of the sample.", "Results sentence of the sample."]
    path = write_jsonl(tmp_path / "pqa.jsonl", [
        {"pmid": "123", "question": "Does the sample work?", "year": "2011", "mesh": ["Humans"],
         "text": " ".join(contexts) + " Conclusion sentence of the sample.", "contexts": contexts,
         "labels": ["BACKGROUND", "RESULTS"], "long_answer": "Conclusion sentence of the sample.",
         "final_decision": "yes"},
        {"pmid": "124", "question": "No year?", "year": None, "mesh": [], "text": "Plain text."},
    ])
    docs, errors = split(path)
    assert not errors
    first = docs[0]
    assert first.id == "123" and first.metadata["pmid"] == "123" and first.metadata["mesh"] == ["Humans"]
    assert first.url == "https://pubmed.ncbi.nlm.nih.gov/123/" and first.published == "2011"
    assert [b.path for b in first.blocks] == [["Abstract", "Background"], ["Abstract", "Results"],
                                              ["Abstract", "Conclusions"]]
    assert first.blocks[-1].text == "Conclusion sentence of the sample."
    assert "long_answer" not in first.metadata and "final_decision" not in first.metadata
    assert docs[1].published is None and docs[1].blocks == []


def test_bioasq_groups_unsorted_snippets_by_pmid(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "snips.jsonl", [
        {"id": "s0", "pmid": "9", "section": "abstract", "text": "Alpha finding."},
        {"id": "s1", "pmid": "8", "section": "abstract", "text": "Other article."},
        {"id": "s2", "pmid": "9", "section": "title", "text": "Sample article title"},
        {"id": "s3", "pmid": "9", "section": "abstract", "text": "Alpha finding."},
        {"id": "s4", "pmid": "9", "section": "abstract", "text": "Alpha finding. Beta finding."},
        {"id": "s5", "pmid": "9", "section": "abstract", "text": "Gamma finding."},
    ])
    docs, errors = split(path)
    assert not errors
    by_id = {d.id: d for d in docs}
    assert set(by_id) == {"8", "9"}
    nine = by_id["9"]
    assert nine.title == "Sample article title"
    assert nine.text == "Alpha finding. Beta finding. Gamma finding."
    assert nine.metadata["snippet_ids"] == ["s0", "s2", "s3", "s4", "s5"]
    assert nine.url == "https://pubmed.ncbi.nlm.nih.gov/9/"


# ---------------------------------------------------------------- NGC

NGC_RECORD = {
    "id": "ngc-0001",
    "Guideline Title": "Sample guideline on the management of a condition.",
    "Bibliographic Source(s)": "Sample Society. Sample guideline. 2010 Jan. 12 p.",
    "Major Recommendations": (
        "The levels of evidence (I-III) and grades of recommendation (A-C) are defined at the end of the "
        "\"Major Recommendations\" field.\n Diagnosis \n Imaging should be performed in every adult with "
        "the suspected condition (Level B) . \n Treatment \n First-line Therapy \n Drug X is recommended as "
        "first-line therapy for adults \n with the condition [A] . \n Surgery \n Surgery should be considered "
        "only after drug therapy has failed (Grade C) . \n Definitions : \n Levels of Evidence \n Level A : "
        "Evidence from several randomized controlled trials. \n Level B : Evidence from one trial.\n"),
    "Clinical Algorithm(s)": "An algorithm is provided for the diagnosis of the condition.",
    "Disease/Condition(s)": "Sample condition",
    "Target Population": "Adults with the sample condition",
    "Potential Harms": "Adverse effects of drug X",
    "Contraindications": "None provided",
    "Rating Scheme for the Strength of the Evidence": "Level A : Several trials\n Level B : One trial",
    "Rating Scheme for the Strength of the Recommendations": "Grade A : Good evidence",
    "Date Released": "2010 Jan (revised 2014 Mar 5)",
    "Guideline Developer(s)": "Sample Society - Medical Specialty Society\nOther Group - Professional Association",
    "Guideline Availability": "Available from the Sample Society Web site ( https://example.org/guideline ).",
    "NGC Disclaimer": "The National Guideline Clearinghouse\u00e2\u0084\u00a2 (NGC) does not develop guidelines.",
}


def test_ngc_record_becomes_a_guideline_with_recommendation_blocks(tmp_path: Path) -> None:
    broken = {k: v for k, v in NGC_RECORD.items() if k != "Guideline Title"} | {"id": "ngc-0002"}
    path = write_jsonl(tmp_path / "ngc.jsonl", [NGC_RECORD, broken])
    assert detect_format(path) == "ngc"
    docs, errors = split(path)
    assert [e.where for e in errors] == [2] and "Guideline Title" in errors[0].reason
    doc = docs[0]
    assert doc.id == "ngc-0001" and doc.doc_type is DocType.guideline
    assert doc.title == "Sample guideline on the management of a condition."
    assert doc.source == "Sample Society; Other Group"
    assert doc.published == "2014-03-05"
    assert doc.url == "https://example.org/guideline"
    paths = [b.path for b in doc.blocks]
    assert paths[:5] == [["Major Recommendations"], ["Major Recommendations", "Diagnosis"],
                         ["Major Recommendations", "Treatment", "First-line Therapy"],
                         ["Major Recommendations", "Treatment", "Surgery"],
                         ["Major Recommendations", "Definitions", "Levels of Evidence"]]
    assert ["Disease/Condition(s)"] in paths and ["Target Population"] in paths and ["Potential Harms"] in paths
    assert ["Contraindications"] not in paths
    assert not any("Clinical Algorithm(s)" in p for p in paths)
    texts = {" › ".join(b.path): b.text for b in doc.blocks}
    # the printed grades stay in the text, wrapped lines are joined back
    assert "(Level B)" in texts["Major Recommendations › Diagnosis"]
    assert "for adults with the condition [A]" in texts["Major Recommendations › Treatment › First-line Therapy"]
    assert "(Grade C)" in texts["Major Recommendations › Treatment › Surgery"]
    assert "Level A : Evidence from several" in texts["Major Recommendations › Definitions › Levels of Evidence"]
    assert doc.metadata["Rating Scheme for the Strength of the Evidence"].startswith("Level A")
    assert doc.metadata["Rating Scheme for the Strength of the Recommendations"] == "Grade A : Good evidence"
    assert doc.metadata["Bibliographic Source(s)"].startswith("Sample Society.")
    assert doc.text == "\n\n".join(b.text for b in doc.blocks)


def test_ngc_repairs_mis_decoded_characters(tmp_path: Path) -> None:
    record = dict(NGC_RECORD, **{"Target Population": "Adults in case\u00e2\u0080\u0093control studies"})
    docs, _ = split(write_jsonl(tmp_path / "ngc.jsonl", [record]))
    assert "case\u2013control" in {b.text for b in docs[0].blocks if b.path == ["Target Population"]}.pop()


# ---------------------------------------------------------------- MEDLINE XML

MEDLINE = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2024//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_240101.dtd">
<PubmedArticleSet>
 <PubmedArticle>
  <MedlineCitation Status="MEDLINE" Owner="NLM">
   <PMID Version="1">101</PMID>
   <Article PubModel="Print">
    <Journal><JournalIssue><PubDate><Year>2021</Year><Month>Mar</Month></PubDate></JournalIssue>
     <Title>Sample Journal of Medicine</Title></Journal>
    <ArticleTitle>A randomized trial of <i>drug X</i> in the sample condition.</ArticleTitle>
    <ELocationID EIdType="doi" ValidYN="Y">10.0000/sample.101</ELocationID>
    <Abstract>
     <AbstractText Label="BACKGROUND" NlmCategory="BACKGROUND">Background of the trial.</AbstractText>
     <AbstractText Label="RESULTS" NlmCategory="RESULTS">Drug X reduced events.</AbstractText>
     <AbstractText Label="CONCLUSIONS" NlmCategory="CONCLUSIONS">Drug X works.</AbstractText>
    </Abstract>
    <AuthorList><Author><LastName>Doe</LastName><Initials>J</Initials></Author></AuthorList>
    <PublicationTypeList>
     <PublicationType UI="D016428">Journal Article</PublicationType>
     <PublicationType UI="D016449">Randomized Controlled Trial</PublicationType>
    </PublicationTypeList>
   </Article>
   <MeshHeadingList>
    <MeshHeading><DescriptorName UI="D006801" MajorTopicYN="N">Humans</DescriptorName></MeshHeading>
    <MeshHeading><DescriptorName UI="D000368" MajorTopicYN="N">Aged</DescriptorName></MeshHeading>
   </MeshHeadingList>
  </MedlineCitation>
  <PubmedData><ArticleIdList>
   <ArticleId IdType="pubmed">101</ArticleId><ArticleId IdType="doi">10.0000/sample.101</ArticleId>
  </ArticleIdList></PubmedData>
 </PubmedArticle>
 <PubmedArticle>
  <MedlineCitation><PMID>102</PMID>
   <Article><Journal><JournalIssue><PubDate><MedlineDate>1998 Dec-1999 Jan</MedlineDate></PubDate></JournalIssue>
     <Title>Sample Reviews</Title></Journal>
    <ArticleTitle></ArticleTitle>
    <Abstract><AbstractText>An abstract without a title.</AbstractText></Abstract>
   </Article></MedlineCitation>
 </PubmedArticle>
 <PubmedArticle>
  <MedlineCitation><PMID>103</PMID>
   <Article><Journal><JournalIssue><PubDate><MedlineDate>1998 Dec-1999 Jan</MedlineDate></PubDate></JournalIssue>
     <Title>Sample Reviews</Title></Journal>
    <ArticleTitle>Management of the sample condition: a practice guideline.</ArticleTitle>
    <PublicationTypeList><PublicationType>Review</PublicationType>
     <PublicationType>Practice Guideline</PublicationType></PublicationTypeList>
   </Article></MedlineCitation>
 </PubmedArticle>
</PubmedArticleSet>
"""


def test_medline_xml_articles_and_the_record_without_title(tmp_path: Path) -> None:
    path = tmp_path / "pubmed.xml"
    path.write_text(MEDLINE, encoding="utf-8")
    assert detect_format(path) == "medline"
    docs, errors = split(path)
    assert [d.id for d in docs] == ["pmid:101", "pmid:103"]
    assert len(errors) == 1 and errors[0].where == "record 2 (PMID 102)" and "title" in errors[0].reason
    trial, guideline = docs
    assert trial.title == "A randomized trial of drug X in the sample condition."
    assert trial.source == "Sample Journal of Medicine" and trial.published == "2021"
    assert trial.doc_type is DocType.trial
    assert trial.url == "https://pubmed.ncbi.nlm.nih.gov/101/"
    assert [b.path for b in trial.blocks] == [["Abstract", "Background"], ["Abstract", "Results"],
                                              ["Abstract", "Conclusions"]]
    assert trial.metadata["doi"] == "10.0000/sample.101" and trial.metadata["mesh"] == ["Humans", "Aged"]
    assert trial.metadata["authors"] == ["Doe J"]
    # guideline outranks review; no abstract: the title is the text
    assert guideline.doc_type is DocType.guideline and guideline.published == "1998"
    assert guideline.text == guideline.title


def test_medline_gz_and_a_truncated_file(tmp_path: Path) -> None:
    gz = tmp_path / "pubmed.xml.gz"
    gz.write_bytes(gzip.compress(MEDLINE.encode()))
    assert [d.id for d in split(gz)[0]] == ["pmid:101", "pmid:103"]
    cut = tmp_path / "cut.xml"
    cut.write_text(MEDLINE[: MEDLINE.index("<PMID>103")], encoding="utf-8")
    docs, errors = split(cut)
    assert [d.id for d in docs] == ["pmid:101"]
    assert "XML syntax error" in errors[-1].reason


# ---------------------------------------------------------------- PDF

def make_pdf(pages: list[list[str]], info: dict[str, str] | None = None) -> bytes:
    """A minimal valid PDF, written by hand: one Helvetica text line per string."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               f"<< /Type /Pages /Kids [{' '.join(f'{4 + 2 * i} 0 R' for i in range(len(pages)))}] "
               f"/Count {len(pages)} >>".encode(),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    for i, lines in enumerate(pages):
        shown = [f"({line.replace('(', '[').replace(')', ']')}) Tj T*" for line in lines]
        stream = "\n".join(["BT /F1 12 Tf 72 720 Td 14 TL", *shown, "ET"]).encode("latin-1")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R "
                       f">> >> /Contents {5 + 2 * i} 0 R >>".encode())
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    if info:
        objects.append(("<< " + " ".join(f"/{k} ({v})" for k, v in info.items()) + " >>").encode("latin-1"))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    trailer = f"<< /Size {len(objects) + 1} /Root 1 0 R" + (f" /Info {len(objects)} 0 R" if info else "") + " >>"
    out += b"trailer\n" + trailer.encode() + b"\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def test_pdf_pages_become_blocks_and_blank_pages_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "leaflet.pdf"
    path.write_bytes(make_pdf([["Sample leaflet on the condition", "Take drug X with food."], [],
                               ["Call your doctor if symptoms worsen."]], {"Title": "Sample leaflet", "Author": "Doe"}))
    docs, errors = split(path)
    assert not errors and len(docs) == 1
    doc = docs[0]
    assert doc.id == "file:leaflet" and doc.title == "Sample leaflet" and doc.metadata["author"] == "Doe"
    assert [b.page for b in doc.blocks] == [1, 3]
    assert "Take drug X with food." in doc.blocks[0].text
    assert doc.metadata["pages"] == 3


def test_pdf_title_falls_back_to_first_line(tmp_path: Path) -> None:
    path = tmp_path / "untitled.pdf"
    path.write_bytes(make_pdf([["First line is the title", "Body text."]]))
    assert split(path)[0][0].title == "First line is the title"


def test_encrypted_and_broken_pdfs_are_named_errors(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    plain = tmp_path / "plain.pdf"
    plain.write_bytes(make_pdf([["Secret text."]]))
    writer = PdfWriter(clone_from=str(plain))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    locked = tmp_path / "locked.pdf"
    with open(locked, "wb") as f:
        writer.write(f)
    docs, errors = split(locked)
    assert not docs and len(errors) == 1
    assert "encrypted" in errors[0].reason and errors[0].path == str(locked)

    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\nthis is not really a pdf\n")
    docs, errors = split(broken)
    assert not docs and len(errors) == 1 and "broken.pdf" in str(errors[0])


# ---------------------------------------------------------------- HTML

HTML = """<!doctype html>
<html><head><title>Sample condition | Sample Health</title>
<meta name="description" content="What the sample condition is.">
<meta name="author" content="Sample Health editors">
<meta property="article:published_time" content="2022-05-04T10:00:00Z">
<meta property="og:site_name" content="Sample Health">
<link rel="canonical" href="https://health.example.org/sample">
<style>body { color: red }</style><script>var tracking = 1;</script></head>
<body>
<header><a href="/">Home</a> Site banner text</header>
<nav><ul><li>Menu item one</li><li>Menu item two</li></ul></nav>
<main>
 <h1>Sample condition</h1>
 <p>The sample condition is <b>common</b> in adults.</p>
 <h2>Symptoms</h2>
 <ul><li>Fever</li><li>Cough</li></ul>
 <h3>In children</h3><p>Children may have a rash.</p>
 <h2>Treatment</h2><div>Rest and fluids help. <!-- hidden comment --></div>
 <aside>Related links box</aside>
 <form><input name="q"> Search the site</form>
</main>
<footer>Copyright footer text</footer>
</body></html>"""


def test_html_main_content_without_page_furniture(tmp_path: Path) -> None:
    path = tmp_path / "sample.html"
    path.write_text(HTML, encoding="utf-8")
    docs, errors = split(path)
    assert not errors
    doc = docs[0]
    for furniture in ("Menu item", "Site banner", "Copyright footer", "tracking", "Related links", "Search the site",
                      "color: red", "hidden comment"):
        assert furniture not in doc.text
    assert doc.title == "Sample condition | Sample Health"
    assert [b.path for b in doc.blocks] == [["Sample condition"], ["Sample condition", "Symptoms"],
                                            ["Sample condition", "Symptoms", "In children"],
                                            ["Sample condition", "Treatment"]]
    assert doc.blocks[0].text == "The sample condition is common in adults."
    assert doc.blocks[1].text == "Fever\nCough"
    assert doc.published == "2022-05-04" and doc.url == "https://health.example.org/sample"
    assert doc.source == "Sample Health"
    assert doc.metadata["description"] == "What the sample condition is."
    assert doc.metadata["author"] == "Sample Health editors"


def test_html_without_main_uses_body_and_time_element(tmp_path: Path) -> None:
    path = tmp_path / "plain.htm"
    path.write_text("<html><body><nav>Menu</nav><h1>Plain page</h1><time datetime='2020-01-02'>2 Jan</time>"
                    "<p>Body text here.</p></body></html>", encoding="utf-8")
    doc = split(path)[0][0]
    assert doc.title == "Plain page" and doc.published == "2020-01-02" and "Menu" not in doc.text


# ---------------------------------------------------------------- Markdown and knowledge-base cards

def test_markdown_front_matter_and_heading_path(tmp_path: Path) -> None:
    path = tmp_path / "note.md"
    path.write_text("---\nid: note-1\ntitle: A clinical note\nurl: https://example.org/note\nsource: Sample Clinic\n"
                    "doc_type: review\npublished: 2023-02-01\nauthor: Doe\n---\n"
                    "Intro line.\n\n# Part one\n\nSome **bold** text with a [link](https://example.org).\n\n"
                    "## Detail\n\n- item one\n- item two\n\n```\n# not a heading\n```\n", encoding="utf-8")
    docs, errors = split(path)
    assert not errors
    doc = docs[0]
    assert (doc.id, doc.title, doc.url, doc.source, doc.doc_type, doc.published) == (
        "note-1", "A clinical note", "https://example.org/note", "Sample Clinic", DocType.review, "2023-02-01")
    assert doc.metadata["author"] == "Doe"
    assert [b.path for b in doc.blocks] == [[], ["Part one"], ["Part one", "Detail"]]
    assert doc.blocks[1].text == "Some bold text with a link."
    assert "# not a heading" in doc.blocks[2].text


def test_markdown_without_front_matter_and_bad_front_matter(tmp_path: Path) -> None:
    plain = tmp_path / "plain-note.md"
    plain.write_text("# Heading title\n\nText.\n", encoding="utf-8")
    doc = split(plain)[0][0]
    assert doc.id == "file:plain-note" and doc.title == "Heading title"
    bad = tmp_path / "bad.md"
    bad.write_text("---\ntitle: [unclosed\n---\nText.\n", encoding="utf-8")
    docs, errors = split(bad)
    assert not docs and errors[0].where == "front matter"


def _write_kb(root: Path) -> Path:
    topic = root / "sample-condition"
    topic.mkdir()
    source = ("source:\n  organisation: Sample Society\n  title: \"Sample condition guideline\"\n  year: 2021\n"
              "  doi: \"10.0000/sample\"\n")
    (topic / "_topic.md").write_text(
        "---\ntopic: sample-condition\ntitle: Sample condition in adults\naliases: [SC, sample disease]\n"
        f"reviewed: false\n{source}doc_type: guideline\n---\nContext about the sample condition.\n", encoding="utf-8")
    (topic / "sc-first-line.md").write_text(
        "---\nid: sc-first-line\ntopic: sample-condition\ntitle: Drug X first\nfacet: first_line\n"
        "population: Adults with the sample condition\ngrade: \"Grade 1A\"\ngrade_scheme: GRADE\n"
        f"doc_type: guideline\n{source}reviewed: false\n---\n"
        "In adults with the sample condition, drug X is the first treatment.\n", encoding="utf-8")
    return topic


def test_knowledge_base_card_and_topic_page(tmp_path: Path) -> None:
    topic = _write_kb(tmp_path)
    docs, errors = split(topic)
    assert not errors
    by_id = {d.id: d for d in docs}
    card = by_id["kb:sc-first-line"]
    assert card.title == "Sample condition guideline" and card.source == "Sample Society"
    assert card.published == "2021" and card.url == "https://doi.org/10.0000/sample"
    assert card.grade == "Grade 1A" and card.doc_type is DocType.guideline
    assert card.blocks[0].path == ["Sample condition in adults", "Drug X first"]
    for key, value in {"topic": "sample-condition", "facet": "first_line", "grade_scheme": "GRADE",
                       "card_title": "Drug X first", "doi": "10.0000/sample", "reviewed": False,
                       "population": "Adults with the sample condition"}.items():
        assert card.metadata[key] == value
    page = by_id["kb:topic:sample-condition"]
    assert page.metadata["aliases"] == ["SC", "sample disease"]
    assert page.text.endswith("Also known as: SC; sample disease.")
    assert page.blocks[0].path == ["Sample condition in adults"]


def test_card_alone_uses_topic_slug_without_topic_page(tmp_path: Path) -> None:
    topic = _write_kb(tmp_path)
    (topic / "_topic.md").unlink()
    card = split(topic / "sc-first-line.md")[0][0]
    assert card.blocks[0].path == ["sample-condition", "Drug X first"]


# ---------------------------------------------------------------- encodings, empty and binary files

def test_cp1252_text_is_read_and_its_encoding_recorded(tmp_path: Path) -> None:
    md = tmp_path / "legacy.md"
    md.write_bytes("# Caf\u00e9 notes\n\nThe patient\u2019s fever \u2013 38 \u00b0C.\n".encode("cp1252"))
    doc = split(md)[0][0]
    assert doc.metadata["encoding"] == "cp1252"
    assert "patient\u2019s fever \u2013 38 \u00b0C" in doc.text
    jl = tmp_path / "legacy.jsonl"
    jl.write_bytes('{"id": "c1", "text": "Caf\u00e9 au lait spots."}\n'.encode("cp1252"))
    doc = split(jl)[0][0]
    assert doc.text == "Caf\u00e9 au lait spots." and doc.metadata["encoding"] == "cp1252"


def test_utf8_bom_is_not_an_encoding_problem(tmp_path: Path) -> None:
    jl = tmp_path / "bom.jsonl"
    jl.write_bytes(b"\xef\xbb\xbf" + b'{"id": "b1", "text": "With BOM."}\n')
    doc = split(jl)[0][0]
    assert doc.id == "b1" and "encoding" not in doc.metadata


@pytest.mark.parametrize("name", ["empty.jsonl", "empty.md", "empty.html", "empty.pdf", "empty.xml"])
def test_empty_file_is_one_error(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    docs, errors = split(path)
    assert not docs and len(errors) == 1 and "empty" in errors[0].reason


def test_binary_garbage_is_one_error(tmp_path: Path) -> None:
    path = tmp_path / "garbage.md"
    path.write_bytes(bytes(range(256)) * 8)
    docs, errors = split(path)
    assert not docs and len(errors) == 1 and "binary" in errors[0].reason


# ---------------------------------------------------------------- the real corpora

def _corpus(name: str) -> Path:
    path = CORPORA / name
    if not path.exists():
        pytest.skip(f"{path} not present")
    return path


@pytest.mark.corpus
def test_corpus_medquad_count() -> None:
    docs, errors = split(_corpus("medquad.jsonl.gz"))
    assert not errors and len(docs) == 16_407
    assert len({d.id for d in docs}) == 16_407


@pytest.mark.corpus
def test_corpus_ngc_count_and_printed_grades() -> None:
    docs, errors = split(_corpus("ngc_guidelines.jsonl.gz"))
    assert not errors and len(docs) == 1_416
    assert all(d.doc_type is DocType.guideline and d.title for d in docs)
    thymectomy = next(d for d in docs if d.id == "ngc-2052")
    recommendation = " ".join(b.text for b in thymectomy.blocks if b.path[0] == "Major Recommendations")
    assert "thymectomy is recommended as an option" in recommendation and "(Class II)" in recommendation
    assert thymectomy.published == "2000-07"
    assert "Class I" in thymectomy.metadata["Rating Scheme for the Strength of the Evidence"]


@pytest.mark.corpus
def test_corpus_pubmedqa_count() -> None:
    docs, errors = split(_corpus("pubmedqa_abstracts.jsonl.gz"))
    assert not errors and len(docs) == 1_000
    assert all(d.id.isdigit() and d.metadata["pmid"] == d.id for d in docs)


@pytest.mark.corpus
def test_corpus_bioasq_one_document_per_pmid() -> None:
    path = _corpus("bioasq_snippets.jsonl.gz")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        pmids = {json.loads(line)["pmid"] for line in f if line.strip()}
    docs, errors = split(path)
    assert not errors and len(docs) == len(pmids)


def test_html_article_header_is_content_but_site_header_is_not(tmp_path: Path) -> None:
    path = tmp_path / "article.html"
    path.write_text("<html><body><header>Site banner</header><article><header><h1>Article title</h1>"
                    "<p>By the editors</p></header><p>Article body.</p></article></body></html>", encoding="utf-8")
    doc = split(path)[0][0]
    assert doc.blocks[0].path == ["Article title"]
    assert doc.blocks[0].text == "By the editors\nArticle body."
    assert "Site banner" not in doc.text
