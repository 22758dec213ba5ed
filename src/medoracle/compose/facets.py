"""Which answer section a sentence belongs to.

A transparent classifier: each section has weighted cue phrases (regular expressions); a sentence's score for a
section is the sum of the weights of the cues it contains, plus a smaller share for cues in the passage's section
path (e.g. "Major Recommendations › Surgery"). The best-scoring section wins; confidence is its share of the
total. A passage that declares its own facet (knowledge-base cards) wins outright.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from medoracle.types import Passage

__all__ = ["FACETS", "FACET_ORDER", "FacetGuess", "classify", "facet_of", "statement_facet", "title_of"]

# Section keys, in the order an answer page shows them, with their titles.
FACETS: dict[str, str] = {
    "bottom_line": "Bottom line",
    "red_flags": "Red flags",  # clinicians; patients read audience.PATIENT_TITLES
    "assessment": "Assessment and diagnosis",
    "first_line": "First-line treatment",
    "adjunct": "Adjunctive and supportive treatment",
    "procedures": "Surgery and procedures",
    "special": "Special situations",
    "complications": "Complications and monitoring",
    "emerging": "Emerging approaches",
    "background": "Background",
}
FACET_ORDER: tuple[str, ...] = tuple(FACETS)

_CUES: dict[str, list[tuple[str, float]]] = {
    "red_flags": [
        # urgency alone is weaker: "surgery should be performed immediately" is a procedure, not a warning sign
        (r"\burgent(?:ly)?\b|\bimmediate(?:ly)?\b|\bemergenc(?:y|ies)\b|\bsame[- ]day\b", 1.2),
        (r"\bwarning (?:signs?|symptoms?)\b|\bred[- ]flags?\b|\balarm (?:signs?|symptoms?|features?)\b", 3.0),
        (r"\bseek (?:medical )?(?:help|care|advice|attention)\b|\bcall (?:911|999|112|an ambulance)\b", 3.0),
        (r"\bsudden(?:ly)?\b|\bsevere\b|\bworsening\b|\bnew or (?:worsening|increasing)\b", 0.8),
        (r"\bloss of (?:consciousness|bladder|bowel|vision)\b|\bunable to walk\b|\bdifficulty (?:walking|breathing)\b"
         r"|\bchest pain\b|\bshortness of breath\b|\bnumbness\b|\bweakness\b", 1.0),
        (r"\bgo to (?:the )?(?:hospital|emergency)\b|\bA&E\b|\bemergency department\b", 2.5),
    ],
    "assessment": [
        (r"\bdiagnos\w*|\bassess\w*|\bevaluat\w*|\bscreen\w*|\bwork-?up\b|\bexamination\b", 1.5),
        (r"\bMRI\b|\bCT\b|\bPET\b|\bX-?rays?\b|\bradiograph\w*|\bultraso\w+|\bimaging\b|\bscan\w*|\bendoscop\w*", 1.5),
        (r"\bbiops\w+|\bhistolog\w*|\bcytolog\w*|\blaboratory\b|\bblood tests?\b|\bserum\b|\bmeasur\w+|\bECG\b", 1.0),
        (r"\bwithin \d+ (?:hours?|days?|weeks?)\b", 0.8),
        (r"\bsymptoms? (?:include|are)\b|\bsigns? (?:include|are)\b|\bpresent(?:s|ation)? with\b", 0.8),
        (r"\brisk (?:score|stratification|assessment)\b|\bclassif\w+|\bstag(?:e|ing)\b|\bscore\b", 0.8),
        (r"\btest(?:s|ing)?\b|\bsensitivity\b|\bspecificity\b", 0.7),
    ],
    "first_line": [
        (r"\bfirst[- ]line\b|\binitial (?:treatment|therapy|management)\b|\btreatment of choice\b", 3.0),
        (r"\brecommended (?:as|for) (?:the )?(?:treatment|first)\b|\bstandard (?:treatment|therapy|of care)\b", 2.0),
        (r"\btreat\w*|\btherap\w*|\bmanage\w*|\bregimen\w*", 0.8),
        (r"\bradiotherapy\b|\bradiation\b|\bchemotherapy\b|\bantibiotic\w*|\binsulin\b|\bmetformin\b", 1.0),
        (r"\b\d+(?:\.\d+)? ?(?:mg|g|mcg|µg|Gy|units?|IU)\b", 0.6),
        (r"\bfractions?\b|\bfractionat\w+|\bdoses? of\b|\bonce daily\b|\btwice daily\b", 1.0),
        (r"\bshould (?:be )?(?:offer|given|receive|start|use|prescri)\w*|\boffers?\b|\bprescrib\w+|\bstart\b", 0.7),
    ],
    "adjunct": [
        (r"\badjunct\w*|\bsupportive\b|\bin addition to\b|\badd(?:ed|ing)? to\b|\badd-on\b", 2.5),
        (r"\banalges\w+|\bpain (?:relief|control|management)\b|\bopioids?\b|\bcorticosteroids?\b|\bdexamethasone\b"
         r"|\bsteroids?\b|\bbisphosphonates?\b|\bdenosumab\b|\bzoledron\w+|\bantiemetic\w*", 1.5),
        (r"\bphysiotherap\w+|\brehabilitat\w+|\bexercise\b|\bdiet\w*|\bnutrition\w*|\bsmoking cessation\b"
         r"|\bpsycholog\w+|\bcounsel\w*|\beducation\b|\bself-management\b|\blifestyle\b|\bpalliative\b", 1.2),
    ],
    "procedures": [
        (r"\bsurg\w+|\boperat\w+|\bresect\w*|\bdecompress\w*|\bfixation\b|\bstabili[sz]\w+|\bfusion\b", 2.0),
        (r"\bvertebroplast\w*|\bkyphoplast\w*|\bvertebral augmentation\b|\bablation\b|\bembolis\w+|\bemboliz\w+", 2.5),
        (r"\bstents?\b|\bstenting\b|\bdrain\w*|\bcatheter\w*|\bangioplast\w*|\bbypass\b|\bimplant\w*|\btransplant\w*"
         r"|\bintubat\w+|\b(?:-|)ectomy\b|\w+ectomy\b|\w+otomy\b|\w+oscopy\b|\bprocedur\w+", 1.5),
    ],
    "special": [
        (r"\bpregnan\w+|\bbreast-?feeding\b|\blactat\w+|\bchildren\b|\bchild\b|\bpaediatric\b|\bpediatric\b"
         r"|\binfants?\b|\badolescen\w+|\bneonat\w+", 2.0),
        (r"\belderly\b|\bolder (?:adults|people|patients)\b|\bfrail\w*|\baged (?:65|70|75|80)\b", 2.0),
        (r"\brenal (?:impairment|failure|insufficiency)\b|\bkidney disease\b|\beGFR\b|\bcreatinine clearance\b"
         r"|\bhepatic (?:impairment|failure)\b|\bliver (?:disease|impairment)\b|\bdialysis\b", 1.8),
        (r"\bre-?treat\w*|\bre-?irradiat\w*|\bpreviously (?:treated|irradiated)\b|\brecurren\w+|\brefractory\b"
         r"|\brelaps\w*|\bresistan\w+", 1.8),
        (r"\bcontraindicat\w+|\ballerg\w+|\bimmunocompromised\b|\bHIV\b|\bcomorbid\w*", 1.0),
        (r"\bin (?:patients|people|those|women|men) (?:with|who)\b|\bif\b|\bunless\b", 0.4),
    ],
    "complications": [
        (r"\bcomplications?\b|\badverse (?:effects?|events?|reactions?)\b|\bside[- ]effects?\b|\btoxicit\w+", 2.0),
        (r"\bmonitor\w*|\bfollow[- ]up\b|\bsurveillance\b|\breview(?:ed)? (?:at|every|after)\b|\bre-?assess\w*", 2.0),
        (r"\brisk of\b|\bincidence of\b|\bharms?\b|\bbleeding\b|\binfection\b|\bfractures?\b|\bhypercalcaemia\b"
         r"|\bhypercalcemia\b|\bosteonecrosis\b|\bdeteriorat\w+|\bmortality\b", 1.0),
        (r"\bevery \d+ (?:weeks?|months?|days?)\b|\bat least (?:once|twice|annually)\b|\bannual\w*|\bregular(?:ly)?\b",
         1.0),
    ],
    "emerging": [
        (r"\b(?:more|further) research\b|\bresearch is needed\b"
         r"|\bremains? (?:unclear|uncertain|a subject of debate)\b|\bemerging\b|\binvestigational\b|\bexperimental\b"
         r"|\bnovel\b|\bunder investigation\b|\bongoing (?:trials?|stud)",
         3.0),
        (r"\bphase (?:I|II|III|1|2|3)\b|\bclinical trials?\b|\bfurther research\b|\bfuture\b|\bpromising\b"
         r"|\bnot yet (?:established|known|clear)\b|\bevidence is (?:limited|insufficient|lacking)\b", 1.5),
        (r"\bimmunotherap\w+|\btargeted therap\w+|\bgene therap\w+|\bCAR-?T\b|\bartificial intelligence\b", 1.0),
    ],
    "background": [
        (r"\bis (?:a|an|the) (?:common|rare|chronic|disease|condition|disorder|type)\b|\bis defined as\b"
         r"|\brefers to\b|\bis characteri[sz]ed by\b|\bcaused by\b|\bcauses? of\b", 2.0),
        (r"\bprevalence\b|\bincidence\b|\bepidemiolog\w+|\boccurs? in\b|\baffects?\b|\bper 100 ?000\b|\bper year\b"
         r"|\bpathophysiolog\w+|\bgenetic\w*|\bmutations?\b|\binherit\w+", 1.5),
    ],
}

_COMPILED: dict[str, list[tuple[re.Pattern[str], float]]] = {
    key: [(re.compile(p, re.IGNORECASE), w) for p, w in cues] for key, cues in _CUES.items()}
_IMAGING = re.compile(r"\bMRI\b|\bCT\b|\bimaging\b|\bscan\b", re.IGNORECASE)
_PATH_SHARE = 0.5  # a cue in the heading path counts for half: headings are broad ("Treatment")


@dataclass(frozen=True)
class FacetGuess:
    """The section a sentence was put in, how sure the classifier is (0..1), and the cue scores."""

    key: str
    confidence: float
    scores: dict[str, float]


def _score(text: str) -> dict[str, float]:
    scores: dict[str, float] = {}
    for key, cues in _COMPILED.items():
        total = 0.0
        for rx, weight in cues:
            hits = len(rx.findall(text))
            if hits:
                total += weight * min(hits, 2)  # a repeated cue adds little
        if total:
            scores[key] = total
    return scores


def classify(text: str, section_path: str = "") -> FacetGuess:
    """The best section for one sentence (never 'bottom_line': that is chosen by the composer)."""
    guess = _classify(text, section_path)
    return FacetGuess(guess.key, guess.confidence, dict(guess.scores))  # the caller's own scores to change


@lru_cache(maxsize=16384)
def _classify(text: str, section_path: str) -> FacetGuess:
    # Cached: some 40 regular expressions per sentence, and a server classifies the same sentences of the same
    # passages question after question.
    scores = _score(text)
    if section_path:
        for key, value in _score(section_path).items():
            scores[key] = scores.get(key, 0.0) + _PATH_SHARE * value
    # "Within 24 hours" next to MRI is about when to image, not an emergency to send home on its own.
    if "red_flags" in scores and "assessment" in scores and _IMAGING.search(text):
        scores["red_flags"] *= 0.6
    if not scores:
        return FacetGuess("background", 0.0, {})
    key = max(scores, key=lambda k: (scores[k], -FACET_ORDER.index(k)))
    return FacetGuess(key, round(scores[key] / sum(scores.values()), 3), scores)


def facet_of(text: str, passage: Passage | None = None) -> tuple[str, float]:
    """(section key, confidence) for a sentence; a passage's declared facet (knowledge-base card) wins."""
    if passage is not None and passage.facet in FACETS:
        return passage.facet, 1.0
    guess = classify(text, passage.section if passage is not None else "")
    return guess.key, guess.confidence


def title_of(key: str) -> str:
    """The section title printed for a facet key."""
    return FACETS.get(key, key.replace("_", " ").capitalize())


def statement_facet(text: str, passage: Passage, *, card_bottom_line: bool = False) -> tuple[str, float]:
    """The section for a statement; a bottom-line card's sentences, shown as statements, go where they read."""
    if not card_bottom_line:
        return facet_of(text, passage)
    guess = classify(text)
    ranked = sorted(((v, k) for k, v in guess.scores.items() if k != "background"), reverse=True)
    return (ranked[0][1], guess.confidence) if ranked else ("first_line", 0.0)
