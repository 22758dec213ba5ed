"""Which sentences of a passage can stand as statements, minimally trimmed.

Sources are untidy: guideline summaries glue headings to the next sentence ("Palliation of Spinal Cord Compression
In patients with …"), flatten tables into runs of numbers, and carry notes about the guideline itself (objectives,
target population, methods). A statement must read as a sentence of clinical content and still be the source's own
words, so we only cut at the edges: list marks, "Recommendation 3:" labels, a glued heading, a trailing grade label.
"""

from __future__ import annotations

import re
from functools import lru_cache

from medoracle.ingest.grading import graded_sentences
from medoracle.text import UNIT_PATTERN, has_verb, sentence_spans
from medoracle.types import Grade

__all__ = ["ANAPHORIC", "CONCLUDES", "RECOMMENDS", "STUDY_NARRATIVE", "clean_sentence", "is_meta_section", "quotable",
           "strip_glued_heading"]

_LEAD_LABEL = re.compile(
    r"^(?:\s*(?:[-–—•*·▪●◦‣]+\s*|\[(?i:new|updated?|amended|revised)[^\]]{0,20}\]\s*|\(?\d{1,2}[.)]\s+|\(?[a-hA-H][.)]\s+|"
    r"\(?[ivx]{1,4}\)\s+|"
    r"(?i:recommendation|statement|key\s+recommendation|rec\.?|R)\s*\d+(?:\.\d+)*[a-z]?\s*[:.)\-–]\s*|"
    # an abstract's section label: "BACKGROUND:", "OBJECTIVE", "MATERIALS AND METHODS:"
    r"(?:BACKGROUND|OBJECTIVES?|AIMS?|PURPOSE|METHODS?|MATERIALS|RESULTS?|CONCLUSIONS?|INTRODUCTION|CONTEXT|"
    r"FINDINGS|INTERPRETATION|SUMMARY|SIGNIFICANCE|IMPORTANCE|RATIONALE)"
    r"(?:\s*(?:AND|&|/)\s*[A-Z]{4,})?(?:\s*:\s*|\s+(?=[A-Z]))|"
    # … and a structured abstract's labels in title case (JAMA's "Conclusions and Relevance", "Importance")
    r"(?:Importance|Objectives?|Design,? Setting,? and Participants|Main Outcomes? and Measures?|"
    r"Conclusions? and Relevance|Conclusions?|Results)(?:\s*:\s*|\s+(?=[A-Z][a-z]))))+")
_BOILERPLATE = re.compile(
    r"original guideline|guideline clearinghouse|\bNGC\b|see the \"|\bfield\b|defined at the end|copyright|"
    r"all rights reserved|click here|https?://|www\.|for more information|this (?:guideline|summary|document|"
    r"section|table|page)\b|the following (?:key )?(?:recommendations|sections?)|rating scheme|levels? of evidence|"
    r"grades? of recommendation|strength of (?:the )?(?:evidence|recommendations?) (?:is|are|was|were)|"
    r"^(?:note|notes|table|figure|source|references?|abbreviations?)\b|errors and omissions|proprietary products|"
    r"disclaimer|no responsibility|reproduc(?:e|tion) (?:of|in)|appropriateness rating|panel members|"
    r"(?:has|have) (?:its|their) own (?:topic|page|section|chapter)|^also known as\b|\bsee also\b|"
    r"\bthe (?:panel|committee|working group|guideline development group|GDG|task force) "
    r"(?:agreed|felt|considered|noted|decided|discussed|reviewed)|"
    # how a health page is laid out, not what it says: "The Human Phenotype Ontology provides the following list",
    # "These resources address the diagnosis …", "is usually listed as a rough estimate"
    r"\bthe following list\b|\bphenotype ontology\b|\bthese resources\b|\bMedlinePlus\b|\btesting registry\b|"
    r"\bweb ?(?:site|page)s?\b|\b(?:is|are) (?:usually |often )?listed\b",
    re.IGNORECASE)
_JOINED_HEADINGS = re.compile(r"[a-z] [A-Z][a-z]")
# A number standing alone (not a dose, a percentage, a range or a date part): tables flattened into text.
_BARE_NUMBER = re.compile(r"(?<![\w./,–-])\d{1,3}(?![\w./%,–-]|\s?(?i:" + UNIT_PATTERN + r")(?![A-Za-z]))")
# Fields of a guideline summary that describe the guideline, not the patient.
_META_SECTION = re.compile(
    r"^(?:guideline objective|target population|potential benefits|(?:major )?outcomes considered|"
    r"interventions and practices|"
    r"disease/condition|other disease|qualifying statement|fda warning|regulatory alert|methods?\b|description of|"
    r"rating scheme|cost analysis|funding|financial disclosure|guideline (?:availability|status|developer|endorser|"
    r"committee)|copyright|implementation|abbreviations|references?\b|bibliographic|companion document|"
    r"patient resources|identifying information|date released|intended users|clinical specialty|"
    r"number of source|evidence supporting|type of evidence|institute of medicine|adaptation|disclaimer)",
    re.IGNORECASE)
# Words that open an ordinary sentence: what follows a glued heading.
_OPENERS = frozenset("""
In For The A An When If Among After Before During Once Although Because Where While Unless Following Given Based
Patients Adults Children People Women Men Infants Adolescents Individuals Persons Those Clinicians Physicians
Pregnant Older All Most Any Each Every There This These It We Routine
Consider Offer Do Use Give Avoid Refer Start Stop Assess Evaluate Obtain Perform Measure Check Treat Prescribe
""".split())
_CONNECTORS = frozenset("of and or the in for with to a an on by vs versus at from & / -".split())


def is_meta_section(section_path: str) -> bool:
    """True for a passage under a heading that describes the guideline (objectives, population, methods …)."""
    return bool(section_path) and bool(_META_SECTION.match(section_path.strip()))


def strip_glued_heading(text: str) -> str:
    """The sentence without a Title Case heading run into its start ("Palliation of Spinal Cord Compression In …",
    "Emergency Management: First-Line Intervention: Adrenaline Adrenaline is …")."""
    words = text.split(" ")
    if len(words) < 6 or not words[0][:1].isupper():
        return text
    for i in range(1, min(len(words) - 4, 12)):
        # a heading that ends with the word the sentence opens with: the doubled word is where they meet
        if words[i] == words[i - 1] and words[i][:1].isupper() and all(
                w[:1].isupper() or w[:1].isdigit() or w.lower() in _CONNECTORS for w in words[:i]):
            return " ".join(words[i:])
    for i, word in enumerate(words[:12]):
        bare = word.strip(",;:()")
        if not bare:
            return text
        if bare[0].islower() and bare.lower() not in _CONNECTORS:
            # words[i - 1] would open the real sentence; everything before it must be a heading of 2+ words.
            opener = i - 1
            if opener >= 2 and words[opener] in _OPENERS and words[opener - 1][:1].isupper() \
                    and words[opener - 1].lower() not in _CONNECTORS:
                return " ".join(words[opener:])
            return text
        if not (bare[0].isupper() or bare[0].isdigit() or bare.lower() in _CONNECTORS):
            return text
    return text


# Where a splitter missed a boundary: a title or a section label run into the text with no space
# ("… in a Movement Disorders Clinic.Pimavanserin, a …", "… by Western blotting.RESULTS: On the basis …"), or
# markup that closed an abstract ("… cytoskeleton.<br><b>Contact</b> …").
# Two characters before the stop: "p.Val7Met" and "c.19G>A" (a variant's notation) are not a boundary.
_GLUED = re.compile(r"(?<=[a-z0-9)\]]{2})\.(?=[A-Z][a-z]|[A-Z]{4,}[A-Z /&]*:)|<br\s*/?>|<b>|</b>")


def _unglued(text: str) -> str:
    """The one sentence of a run of two the splitter did not part: the part after the last missed boundary
    when it stands as a sentence, else the part before the first (markup always ends the sentence)."""
    cuts = list(_GLUED.finditer(text))
    if not cuts:
        return text
    head = text[:cuts[0].start()] + ("." if cuts[0].group(0) == "." else "")
    tail = _LEAD_LABEL.sub("", text[cuts[-1].end():]).strip()
    if not any(m.group(0).startswith("<") for m in cuts) and len(tail) >= 30 and tail[:1].isupper():
        return tail
    return head.strip()


# A closing parenthesis of author-year references, with at least one name and one year ("(Runge et al., 1992;
# Lin et al., 2000)"), or "(Expert consensus)"; a bare "(2019)" is not one.
_CITATION_TAIL = re.compile(
    r"\s*\((?:(?=[^()]*\b(?:19|20)\d{2}[a-z]?\s*[;)])(?=[^()]*[A-Z][a-z])"
    r"(?:[A-Z][\w'’.-]*|et|al\.?|and|&|[,;]|\s|(?:19|20)\d{2}[a-z]?)+"
    r"|\s*(?i:expert (?:consensus|opinion))\s*)\)(?=[\s.;]*$)")


def clean_sentence(sentence: str, grades: list[tuple[int, int, Grade]],
                   excerpt: bool = False) -> tuple[str, Grade | None] | None:
    """The sentence with list marks, labels, a glued heading and a trailing grade label trimmed, and its grade;
    None when it cannot stand as a statement (heading, fragment, table row, boilerplate). `excerpt`: the passage
    is itself an excerpt cut by a curator (a BioASQ snippet of an abstract), so a sentence may open mid-way
    ("posttranslational modifications of Gata3 that control …"): that is the source's wording, not our cut."""
    grade = grades[0][2] if grades else None
    text = sentence
    # Author-year references closing a sentence ("(Pumphrey, 2000; Bock et al., 2007)", "(Expert consensus)") are
    # the source's bibliography, not its advice: cut, so that a grade label before them closes the sentence.
    while (tail := _CITATION_TAIL.search(text)) is not None:
        text = text[:tail.start()] + text[tail.end():]
    # A grade label closing the sentence is shown as the statement's grade, not repeated in its text.
    for s, e, _ in sorted(grades, key=lambda t: -t[0]):
        if text[e:].strip(" .;") == "":
            text = text[:s].rstrip() + text[e:].strip()
    text = _LEAD_LABEL.sub("", text)
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s+([.,;:])", r"\1", text)
    text = re.sub(r"\(\s*\)", "", text).strip()
    text = strip_glued_heading(_unglued(text))
    if text[:1] in ",;:)]." or text.endswith((":", "?")) or len(text) < 30 or len(text) > 450:
        return None
    words = text.split()
    if len(words) < 6:
        return None
    if not text.endswith((".", "!", ")", "]", "%")) and len(words) < 10:
        return None  # headings and list fragments: they do not stand on their own
    if sum(w[:1].isupper() for w in words) > 0.6 * len(words):
        return None
    if not has_verb(text) and not (excerpt and has_verb(text, strict=True)):  # "-ed"/"-es" verbs of a study
        return None
    capitals = sum(w[:1].isupper() for w in words) / len(words)
    if len(_JOINED_HEADINGS.findall(text)) >= 2 and capitals > 0.5:
        return None  # headings run into the text; a named thing ("Consumer Health Vocabulary") alone is fine
    if len(_BARE_NUMBER.findall(text)) >= 4:
        return None  # a table row: "EBRT alone 5 Steroid therapy alone 3 …"
    unlabelled = text
    for s, e, _ in grades:
        unlabelled = unlabelled.replace(sentence[s:e], " ")
    if _BOILERPLATE.search(unlabelled):
        return None
    if text[0].islower() and not excerpt and not re.match(r"[a-z]+[A-Z]", text):
        return None  # a fragment cut from the middle of a sentence ("and in those…"), unless "eGFR", "mRNA"
    if text.count("(") != text.count(")"):
        return None  # cut inside a parenthesis: the rest of the thought is in another sentence
    return text, grade


# How a sentence reads to the composer: advice, a study's conclusion, leaning on the sentence before, or a study's
# own narrative.
RECOMMENDS = re.compile(r"\brecommend\w*|\bshould\b|\bfirst[- ]line\b|\boffers?\b|\bis indicated\b|"
                         r"\btreatment of choice\b|\bpreferred\b|\bmainstay\b", re.IGNORECASE)
# How a study states its finding: the bottom line of an abstract.
CONCLUDES = re.compile(r"^(?:in conclusion|in summary|overall|taken together|collectively|these (?:results|findings|"
                        r"data)|our (?:results|findings|data)|we conclude|this study (?:shows|suggests|demonstrates))"
                        r"|\b(?:suggest|indicate|demonstrate|show)s? that\b", re.IGNORECASE)
# Sentences that lean on the one before ("Its results …", "This remains …") cannot be quoted alone.
ANAPHORIC = re.compile(r"^(?:it|its|this|these|they|their|them|such|those|both|he|she|the latter|the former|"
                        r"the underlying|the same|however|therefore|thus|hence|in addition|additionally|moreover|"
                        r"furthermore|nevertheless|nonetheless|in contrast|conversely|similarly|likewise|"
                        r"consequently|accordingly|again|also|"
                        # "If it is negative …", "When this fails …": the condition is the sentence before's
                        r"(?:if|when|once|unless|until) (?:it|this|these|they|that|so)\b)\b", re.IGNORECASE)
# A study's own narrative ("we performed …", "in the surgery group …") is not advice: a broad answer page quotes
# recommendations and findings, and keeps a study sentence only when it states the conclusion.
STUDY_NARRATIVE = re.compile(r"\b(?:we|our)\b|\bin the (?:\w+ ){0,2}(?:group|arm|cohort)s?\b|"
                              r"\b(?:this|the present|the current) (?:study|trial|analysis|series)\b", re.IGNORECASE)


@lru_cache(maxsize=4096)
def quotable(text: str, excerpt: bool = False) -> tuple[tuple[str, Grade | None], ...]:
    """The sentences of a passage that can stand as statements, each with the grade printed for it (`excerpt`:
    see `clean_sentence`).

    Cached by text: a server meets the same passages question after question."""
    out = []
    for sentence in graded_sentences(text, sentence_spans(text)):
        start = sentence.start
        cleaned = clean_sentence(text[start:sentence.end], [(s - start, e - start, g) for s, e, g in sentence.labels],
                                 excerpt)
        if cleaned is not None:
            out.append((cleaned[0], sentence.grade))
    return tuple(out)
