"""The shape of reply a specific question wants: a list of items, a definition, or a single finding.

"List the drugs used for migraine prophylaxis" or "Which genes cause X?" wants the items, gathered from
several sources' sentences, so the reply quotes the sentences that enumerate them; "What is ferroptosis?" wants
the sentence that says what it is ("Ferroptosis is an iron-dependent form of …"); anything else wants the
finding closest to it (`understand.form` reads whether it is a yes/no question and which section it asks for).
Read from the question's wording only, never from where the question came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from medoracle.text import content_stems

__all__ = ["Shape", "asked_kind", "defines", "enumerates", "read_shape", "shape_value"]

# "List …", "Name three …", "Which are the …", "What are the main …s", "Which genes are …", "What drugs cause …".
_LIST = re.compile(
    r"^\s*(?:please\s+)?(?:list|name|enumerate|give|mention)\b|\bwhich (?:are|were) the\b|"
    r"^\s*what (?:are|were) (?:the )?(?:\d+ |two |three |four |five |main |major |common |known |different |"
    r"most |key |typical )*[\w-]+s\b|"
    r"^\s*(?:in |of |from |for |to |with |by |at )?(?:which|what) (?:[\w/-]+ ){0,3}?[\w-]*[a-z]s "
    r"(?:are|were|have|has|can|could|do|did|cause|is|may|might|should|contain|include)\b",
    re.IGNORECASE)
# "What is X?", "What are X?", "Define X", "What does X stand for?": the thing to define, as written.
_WHAT_IS = re.compile(r"^\s*(?:what (?:is|are) (?:an? |the )?|define |describe )(?P<term>[^?]{2,60}?)\s*\??\s*$",
                      re.IGNORECASE)
# A run of items: "A, B and C", "A, B, or C", "A; B; C".
# "What defines X?", "How is X defined?", "definition of X", "What are the diagnostic criteria for X?"
_DEFINE_ASK = re.compile(
    r"^\s*(?:(?:what|which) (?:defines|is the definition of|are the (?:\w+ )?criteria (?:for|of))|definition of|"
    r"define)\s+(?:an? |the )?(?P<term>[^?]{2,60}?)\s*\??\s*$|"
    r"^\s*how (?:is|are) (?:an? |the )?(?P<term2>[^?]{2,60}?) (?:defined|diagnosed)\s*\??\s*$", re.IGNORECASE)
# A sentence that gives a definition or criteria, wherever the term stands in it ("The KDIGO definition of AKI
# is …", "DKA is diagnosed when …").
_GIVES_DEFINITION = re.compile(r"\bdefinitions? of\b|\b(?:is|are) defined (?:as|by)\b|\bdefines?\b|"
                               r"\bcriteri(?:a|on)\b|\b(?:is|are) diagnosed (?:when|if|by)\b", re.IGNORECASE)
_RUN = re.compile(r"(?:[^\s,;()]+(?: [^\s,;()]+){0,4}[,;] ){2,}|"
                  r"(?:[^\s,;()]+(?: [^\s,;()]+){0,4}, ){1,}(?:[^\s,;()]+ ){0,4}(?:and|or) \S")
_IS_A = re.compile(r"\b(?:is|are|was|were) (?:an?|the|one of)\b|\brefers? to\b|\b(?:is|are) defined as\b|"
                   r"\b(?:is|are) (?:known|described) as\b|\b(?:is|are) (?:characteri[sz]ed|caused) by\b",
                   re.IGNORECASE)
# Words that ask for a definition, not name the thing ("the role of", "the function of"): not the term.
_NOT_TERM = re.compile(r"\b(?:role|function|mechanism|effect|purpose|aim|use|treatment|management|"
                       r"difference|relationship|association|cause|causes|prognosis|dose)\b", re.IGNORECASE)


# "Which drugs …", "What disease is treated with …", "Name 3 diseases …": the kind of thing the answer names.
_ASKED_KIND = re.compile(r"^\s*(?:please\s+)?(?:(?:in |of |for |from )?(?:what|which)|name|list)\s+"
                         r"(?:(?:\d+|one|two|three|four|five|the|a|an|some|all)\s+)*(?P<kind>[a-z][\w-]*)",
                         re.IGNORECASE)


def asked_kind(question: str) -> set[str]:
    """The stems of the kind of thing a question asks to be named ("drugs" of "Which drugs …?"): the answer
    names a drug, and need not say the word "drug"."""
    match = _ASKED_KIND.match(question)
    kind = set(content_stems(match.group("kind"))) if match else set()
    # "Which planets have rings?" must name planets: no study names one for the word
    return kind if kind & _CLINICAL_KINDS else set()


# The kinds of thing a biomedical answer names without saying the kind's word ("Which genes …?": BRCA1).
_CLINICAL_KINDS = frozenset(content_stems("""
drugs medications medicines agents inhibitors antibiotics antibodies vaccines treatments therapies interventions
genes proteins mutations variants alleles enzymes receptors hormones cytokines chemokines kinases transporters
channels cells biomarkers markers molecules compounds metabolites pathways factors chromosomes microRNAs miRNAs
lncRNAs diseases disorders syndromes conditions symptoms signs complications tumours tumors cancers bacteria
viruses pathogens organisms species microbes tissues organs tests scores scales methods techniques tools
devices procedures types subtypes
"""))


@dataclass(frozen=True)
class Shape:
    """`listing`: the question wants several items; `term`: the thing it asks to define, or None."""

    listing: bool = False
    term: str | None = None


def read_shape(question: str) -> Shape:
    """The reply's shape from the question's wording."""
    listing = bool(_LIST.search(question))
    match = _WHAT_IS.match(question)
    term = None
    if (asked := _DEFINE_ASK.match(question)) is not None:  # "what are the criteria for X": X, not "criteria"
        term = (asked.group("term") or asked.group("term2")).strip(" .")
    elif match and not listing and not _NOT_TERM.search(match.group("term")):
        term = match.group("term").strip(" .")
    return Shape(listing=listing, term=term)


def enumerates(text: str) -> bool:
    """Whether a sentence names several items in a run ("A, B and C")."""
    return bool(_RUN.search(text))


def defines(text: str, term: str) -> bool:
    """Whether a sentence says what `term` is: the term among its first words, then "is a", "refers to" …"""
    wanted = set(content_stems(term))
    if not wanted:
        return False
    if _GIVES_DEFINITION.search(text):
        # the term whole, its short form written in brackets after it ("acute kidney injury (AKI)") or its
        # initials ("AKI" for "acute kidney injury")
        inside = re.findall(r"\(([^)]*)\)", term)
        whole = re.sub(r"\([^)]*\)", " ", term)
        initials = "".join(w[0] for w in whole.split())
        names = [set(content_stems(whole)), *(set(content_stems(x)) for x in inside),
                 {initials.lower()} if len(initials) >= 3 else set()]
        stems = set(content_stems(text))
        if any(name and name <= stems for name in names):
            return True
    match = _IS_A.search(text)
    if match is None:
        return False
    # The term is the sentence's subject: it opens the sentence, with at most a few words of its own around it
    # ("Ferroptosis (FP) is …", "The COMPASS complex is …"), not "Inhibitors of ferroptosis … which is …".
    opening = content_stems(text[:match.start()])
    return bool(opening) and opening[0] in wanted and wanted <= set(opening) \
        and len(text[:match.start()].split()) <= len(term.split()) + 4


def shape_value(text: str, shape: Shape) -> float:
    """A bottom-line bonus for the reply's shape: the items of a list, the definition of a "what is X?"."""
    value = 0.0
    if shape.listing and enumerates(text):
        value += 0.25
    if shape.term is not None and defines(text, shape.term):
        value += 0.3
    return value
