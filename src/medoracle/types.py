"""The clinical domain, as typed models.

The chain is: a `Document` is cut into `Passage`s; retrieval turns passages into ranked `Evidence`; the
composer writes `Statement`s (grouped in `Section`s) that cite `Reference`s by number; the whole is an
`Answer`. Published answers become `Article`s that move through review via `ReviewEvent`s.
"""

from __future__ import annotations

from enum import Enum
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SECTION_SEPARATOR = " › "


class DocType(str, Enum):
    """What kind of evidence a document is; drives the ranking priors (guideline > review > trial > page)."""

    guideline = "guideline"
    systematic_review = "systematic_review"
    trial = "trial"
    review = "review"
    consumer = "consumer"
    textbook = "textbook"
    other = "other"

    @classmethod
    def parse(cls, value: str | None) -> DocType:
        if not value:
            return cls.other
        key = value.strip().lower().replace("-", "_").replace(" ", "_")
        aliases = {"meta_analysis": "systematic_review", "rct": "trial", "randomized_controlled_trial": "trial",
                   "patient": "consumer", "consumer_health": "consumer", "practice_guideline": "guideline"}
        key = aliases.get(key, key)
        try:
            return cls(key)
        except ValueError:
            return cls.other


class Audience(str, Enum):
    """Who is asking: decides wording, not evidence."""

    clinician = "clinician"
    student = "student"
    patient = "patient"


Strength = Literal["strong", "conditional"]
Certainty = Literal["high", "moderate", "low", "very_low"]


class Grade(BaseModel):
    """An evidence grade as the source printed it, plus its place on one common scale."""

    model_config = ConfigDict(frozen=True)

    printed: str = Field(description="The label exactly as the source prints it, e.g. 'Grade 1A' or '[I, A]'.")
    scheme: str | None = Field(None, description="Rating scheme recognised, e.g. 'GRADE', 'ACC/AHA', 'ESMO'.")
    strength: Strength | None = Field(None, description="Strength of the recommendation, normalised.")
    certainty: Certainty | None = Field(None, description="Certainty (quality) of the evidence, normalised.")

    @property
    def rank(self) -> float:
        """0..1, higher is stronger; used to prefer better-graded statements when relevance is close."""
        s = {"strong": 0.6, "conditional": 0.3, None: 0.2}[self.strength]
        c = {"high": 0.4, "moderate": 0.3, "low": 0.15, "very_low": 0.05, None: 0.1}[self.certainty]
        return round(s + c, 3)


class TextBlock(BaseModel):
    """A run of text under one heading path, as a reader found it (before chunking)."""

    path: list[str] = Field(default_factory=list, description="Heading path, outermost first.")
    text: str = Field(description="The text under that heading.")
    page: int | None = Field(None, description="1-based page number for paged formats (PDF).")


class Document(BaseModel):
    """One source document: a guideline, an abstract, a consumer page, a knowledge-base card."""

    id: str = Field(description="Stable unique id, e.g. 'pmid:12345', 'ngc-2052', 'kb:mscc-mri'.")
    text: str = Field(description="The full plain text.")
    title: str = Field("", description="Title as published.")
    url: str | None = Field(None, description="Canonical link to the source.")
    source: str | None = Field(None, description="Publisher or organisation, e.g. 'NICE', 'Neurology'.")
    doc_type: DocType = Field(DocType.other, description="Kind of evidence.")
    published: str | None = Field(None, description="ISO date or year of publication.")
    grade: str | None = Field(None, description="Evidence grade printed for the whole document, if any.")
    metadata: dict[str, Any] = Field(default_factory=dict, description="Any other fields the format gives.")
    blocks: list[TextBlock] = Field(default_factory=list,
                                    description="Structured text; when empty the chunker reads `text`.")

    @field_validator("id")
    @classmethod
    def _id_present(cls, v: str) -> str:
        if not str(v).strip():
            raise ValueError("document id must not be empty")
        return str(v).strip()

    @field_validator("text")
    @classmethod
    def _text_present(cls, v: str) -> str:
        if not v or not v.strip():
            raise ValueError("document text must not be empty")
        return v

    @property
    def year(self) -> int | None:
        return year_of(self.published)


class Passage(BaseModel):
    """A retrievable chunk of a document that keeps where it came from."""

    id: str = Field(description="'<doc_id>#<position>'.")
    doc_id: str = Field(description="Id of the parent document.")
    text: str = Field(description="Whole sentences only.")
    section: str = Field("", description="Heading path joined with ' › '.")
    position: int = Field(0, description="Order of the passage within its document.")
    page: int | None = Field(None, description="Page number for paged formats.")
    doc_type: DocType = Field(DocType.other, description="Copied from the document, for filtering and priors.")
    published: str | None = Field(None, description="Copied from the document.")
    grade: Grade | None = Field(None, description="Evidence grade printed in or inherited by this passage.")
    facet: str | None = Field(None, description="Answer section the source itself declares (knowledge-base "
                                                "cards), preferred over the classifier's guess.")


AgeGroup = Literal["neonate", "infant", "child", "adolescent", "adult", "older_adult"]
Intent = Literal["treatment", "first_line", "dose", "diagnosis", "risk_score", "prognosis", "monitoring",
                 "prevention", "duration", "timing", "safety", "threshold", "comparison", "background"]


class Population(BaseModel):
    """Whom a question, or a source sentence, speaks of. Every field is optional: unset means "not said".

    The same extractor (`medoracle.understand.population`) reads questions and passages, so "adults aged 55 or
    over" in a question and "in adults under 55" in a guideline meet as two age ranges that do not overlap.
    """

    model_config = ConfigDict(frozen=True)

    age_groups: tuple[AgeGroup, ...] = Field((), description="Age groups named: children, adults, older adults …")
    age_min: float | None = Field(None, description="Lowest age in years the text covers ('55 or over' → 55).")
    age_max: float | None = Field(None, description="Age in years the text stays below ('under 55' → 55).")
    pregnancy: Literal["pregnant", "not_pregnant", "breastfeeding"] | None = Field(
        None, description="Pregnancy status named ('non-pregnant women' → not_pregnant).")
    sex: Literal["female", "male"] | None = Field(None, description="Sex named (women, men).")
    kidney_impairment: bool = Field(False, description="Renal impairment, CKD or dialysis named.")
    liver_impairment: bool = Field(False, description="Hepatic impairment or cirrhosis named.")
    comorbidities: tuple[str, ...] = Field((), description="Other conditions the patient has ('with diabetes').")
    without: tuple[str, ...] = Field((), description="Conditions the text rules out ('without type 2 diabetes').")
    origin: str | None = Field(None, description="Family origin named ('Black African or African-Caribbean family "
                                                 "origin' → 'black african'; 'not of Black African … origin' → "
                                                 "'not black african').")
    cancer: tuple[str, ...] = Field((), description="Cancer named ('cancer', 'breast cancer', 'lung').")
    severity: tuple[int, int] | None = Field(
        None, description="Severity as a range on 1 mild … 4 life-threatening (CTCAE grade n → n).")
    stage: str | None = Field(None, description="Disease stage as written ('stage III', 'metastatic').")
    phase: Literal["stable", "exacerbation", "acute", "chronic"] | None = Field(
        None, description="Course of the disease: stable COPD vs an exacerbation, acute vs chronic.")
    setting: Literal["outpatient", "inpatient", "icu"] | None = Field(None, description="Where care happens.")
    line: Literal["first", "second", "refractory", "recurrent"] | None = Field(
        None, description="Line of therapy: first-line, second-line, refractory or recurrent disease.")
    manifestations: tuple[str, ...] = Field(
        (), description="Organ or toxicity named within a condition ('rash', 'colitis', 'hepatitis').")
    qualifiers: tuple[str, ...] = Field(
        (), description="Qualifiers named for or against, signed: 'non-expandable lung' → '-expandable', "
                        "'small cell lung cancer' → '+small cell'.")

    def is_empty(self) -> bool:
        return self == _NOBODY


_NOBODY = Population()


class Query(BaseModel):
    """A question as understood: what it is about, whom, which drugs, and what it asks for.

    Built once by `medoracle.understand.read_query` from the question (and the thread before it), then read by
    retrieval, composition, follow-ups and `--explain`.
    """

    text: str = Field(description="The question as asked, whitespace-normalised.")
    search_text: str = Field(description="The question with shorthand spelled out and misspellings corrected: "
                                         "what retrieval and the composer read.")
    conditions: list[str] = Field(default_factory=list,
                                  description="Condition phrases, main one first ('superior vena cava obstruction').")
    population: Population = Field(default_factory=Population, description="Whom the question is about.")
    drugs: list[str] = Field(default_factory=list, description="Generic names of the drugs named (brands resolved).")
    interventions: list[str] = Field(default_factory=list,
                                     description="Non-drug treatments named ('stent', 'radiotherapy', 'SRS').")
    comparison: tuple[str, str] | None = Field(None, description="The two options of 'A vs B' / 'A or B?'.")
    intents: list[Intent] = Field(default_factory=list, description="What is asked for, in order of mention; "
                                                                     "several for a multi-part question.")
    corrections: dict[str, str] = Field(default_factory=dict,
                                        description="Words read as another: shorthand and misspellings "
                                                    "('mx' → 'management', 'hyperkalemai' → 'hyperkalemia').")
    inherited: bool = Field(False, description="The population was carried over from an earlier question of the "
                                               "thread, the follow-up naming none of its own.")
    noise: str | None = Field(None, description="Why this is not a clinical question (a greeting, one generic "
                                                "word, a recipe), else None.")
    contradiction: str | None = Field(None, description="Populations that cannot both hold ('child aged 70').")

    @property
    def intent(self) -> Intent | None:
        """The main thing asked for."""
        return self.intents[0] if self.intents else None

    def spelled_out(self) -> str:
        """`search_text` without the abbreviations kept in brackets ("hypertension (HTN)" → "hypertension"):
        what a composer matches sentences against, so the abbreviation is not a word the sentence must hold."""
        import re
        return " ".join(re.sub(r"\s\([A-Za-z0-9-]{2,8}\)", "", self.search_text).split())


class Evidence(BaseModel):
    """A passage retrieved for a question, with its document's metadata and why it ranked."""

    passage: Passage
    title: str = ""
    url: str | None = None
    source: str | None = None
    plain: str | None = Field(None, description="The document's plain-language text for patients, written by us "
                                                "(a knowledge-base card's `plain:`), if it has one.")
    score: float = Field(0.0, description="Final fused score (higher is better).")
    explain: dict[str, Any] = Field(default_factory=dict,
                                    description="lexical_rank, dense_rank, rrf, prior, … for --explain.")
    population: Population | None = Field(None, description="Whom the passage speaks of (its heading, its "
                                                             "document's declared population), if it says.")
    focus: list[str] = Field(default_factory=list, description="Conditions the document is about.")

    @property
    def doc_id(self) -> str:
        return self.passage.doc_id


class Reference(BaseModel):
    """An entry in an answer's numbered reference list."""

    n: int = Field(description="The number printed in the answer, from 1, in order of first use.")
    doc_id: str
    title: str = ""
    url: str | None = None
    source: str | None = None
    published: str | None = None
    doc_type: DocType = DocType.other
    passage_ids: list[str] = Field(default_factory=list, description="Passages of this document cited.")
    quotes: list[str] = Field(default_factory=list, description="The exact passage text cited, for hover.")


class Statement(BaseModel):
    """One sentence of an answer, with the references that support it."""

    text: str
    citations: list[int] = Field(default_factory=list, description="Reference numbers `n`.")
    grade: str | None = Field(None, description="Grade as printed by the cited source.")
    grade_norm: Grade | None = Field(None, description="The same grade on the common scale.")
    support: float | None = Field(None, description="Verifier's support score, 0..1.")
    passage_ids: list[str] = Field(default_factory=list, description="Cited passages (internal keys).")
    facet: str | None = Field(None, description="Section key the composer chose.")
    plain: str | None = Field(None, description="The plain-language text of the card this statement is quoted "
                                                "from (shown to patients instead of rewording), if checked to keep "
                                                "its numbers and population.")
    applies_to: str | None = Field(None, description="Whom the statement speaks of, when it says "
                                                     "('adults aged 55 or over').")
    why: str | None = Field(None, description="Why it was chosen, for --explain: the intent it answers and "
                                              "whether its population matches the question's.")
    written_by: str | None = Field(default=None, description="Editor who wrote or changed this sentence after it "
                                                             "was composed; None for composed text.")
    unsupported: str | None = Field(default=None, description="Why the verifier found no support for an edited "
                                                              "sentence in the passages it cites; shown as the "
                                                              "editor's own words.")


class Section(BaseModel):
    """A titled group of statements, e.g. 'First-line treatment'."""

    key: str = Field(description="Stable facet key, e.g. 'first_line'.")
    title: str
    statements: list[Statement] = Field(default_factory=list)


class DroppedStatement(BaseModel):
    """A candidate statement the verifier removed, and why: kept for audit, never shown as fact."""

    text: str
    reason: str


class Gap(BaseModel):
    """Why an answer is missing or incomplete, in a clinician's words: what was looked for, what the library
    holds, and two questions to try instead (built from the typed `Query`, never the question just asked)."""

    looked_for: str = Field(description="What was searched for, in words: the condition, what was asked about "
                                        "it, and for whom ('the first-line treatment of asthma in children').")
    missing: str | None = Field(None, description="The part of the question the answer could not give, when "
                                                  "the rest was answered ('a dose'); None for an abstention.")
    library: str = Field(description="What the library covers: the knowledge base's topics closest to the "
                                     "question, or the corpus's size and kinds of document.")
    topics: list[str] = Field(default_factory=list, description="Every topic of the knowledge base, by its short "
                                                              "name, when none is close to the question.")
    rephrasings: list[str] = Field(default_factory=list, description="Two whole questions to ask instead: the "
                                                                     "shorthand spelled out, the condition named "
                                                                     "in full, the closest covered topic, or a "
                                                                     "broader or narrower population.")


class Answer(BaseModel):
    """A complete answer, or an explicit abstention."""

    question: str
    summary: str = Field("", description="The bottom line.")
    summary_citations: list[int] = Field(default_factory=list)
    summary_grade: str | None = Field(None, description="Grade of the bottom line as its source prints it.")
    summary_plain: str | None = Field(None, description="The plain-language text of the card the bottom line is "
                                                        "quoted from, as for `Statement.plain`.")
    summary_written_by: str | None = Field(default=None, description="Editor who wrote or changed the bottom line.")
    summary_unsupported: str | None = Field(default=None, description="Why an edited bottom line is not carried "
                                                                      "by its cited passages (the editor's own "
                                                                      "words).")
    sections: list[Section] = Field(default_factory=list)
    references: list[Reference] = Field(default_factory=list)
    follow_ups: list[str] = Field(default_factory=list, description="Suggested next questions.")
    abstained: bool = False
    abstain_reason: str | None = None
    audience: Audience = Audience.clinician
    dropped: list[DroppedStatement] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict, description="Milliseconds per stage.")
    thread_id: str | None = None
    resolved_question: str | None = Field(None, description="The question as rewritten with thread context.")
    notes: list[str] = Field(default_factory=list, description="Things the reader should know, e.g. fallbacks.")
    gaps: list[str] = Field(default_factory=list, description="Each part of the question the sources found do "
                                                             "not answer, named (also among `notes`); the other "
                                                             "parts are answered.")
    understood: Query | None = Field(None, description="How the question was read (conditions, population, "
                                                       "intent); shown by --explain.")
    gap: Gap | None = Field(None, description="For an abstention, or an answer that leaves part of the question "
                                              "unanswered: what was looked for, what the library covers and two "
                                              "rephrasings to try.")

    def statements(self) -> list[Statement]:
        return [s for sec in self.sections for s in sec.statements]


class ArticleStatus(str, Enum):
    """Editorial states. Only `approved` drops the 'pending human review' banner."""

    submitted = "submitted"
    under_review = "under_review"
    changes_requested = "changes_requested"
    approved = "approved"
    rejected = "rejected"
    retracted = "retracted"


class Article(BaseModel):
    """A published answer under editorial control."""

    id: int | None = None
    slug: str
    question: str
    answer: Answer
    status: ArticleStatus = ArticleStatus.submitted
    version: int = 1
    author: str | None = Field(None, description="Username of the submitter.")
    created_at: str | None = None
    updated_at: str | None = None


class ReviewEvent(BaseModel):
    """One action in an article's editorial history (also written to the audit log)."""

    article_id: int
    version: int
    actor: str
    action: str = Field(description="submit, start_review, approve, request_changes, reject, resubmit, retract, edit")
    comment: str | None = None
    section: str | None = Field(None, description="Section key a requested change refers to.")
    at: str | None = None


@lru_cache(maxsize=8192)
def citation_key(url: str | None, title: str | None, source: str | None, doc_id: str) -> str:
    """Which source a citation points to: two documents are one reference when they share a URL, or a title and
    an organisation (knowledge-base cards drawn from one guideline are one reference, not five). Cached: statement
    selection asks it of the same few dozen sources hundreds of times an answer."""
    if url:
        return "url:" + url.strip().rstrip("/").lower()
    if title and source:
        return f"title:{title.strip().lower()}|{source.strip().lower()}"
    return "doc:" + doc_id


def year_of(published: str | None) -> int | None:
    """The year of an ISO date or year string, or None."""
    if not published:
        return None
    head = str(published).strip()[:4]
    return int(head) if head.isdigit() else None
