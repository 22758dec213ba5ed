"""Does a document's condition focus match the question's condition? The relevance gate over a large corpus.

Over 40,000 documents, some passage always shares a word with the question; what tells "cholera vaccine" from
"migraine prophylaxis" is what the document is about. A document is on the question's subject when its focus
(topic, aliases, MeSH terms, MedQuAD focus, NGC conditions, title) holds a condition phrase of the question, or
most of the question's subject words; or when it names a drug the question asks about. Unknown focus (no title,
no metadata) or a question naming no condition: no verdict, the document stays.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from medoracle.text import QUESTION_FRAME_WORDS, content_stems, singular, tokens
from medoracle.types import Evidence, Query
from medoracle.understand.describe import describe
from medoracle.understand.population import conflicts, extract
from medoracle.understand.topic import is_condition_word
from medoracle.understand.vocab import spelling_variants, understand

__all__ = ["focus_gate", "gate_conditions", "named_topics", "names_condition", "on_focus", "population_gap",
           "population_gate"]

# Words of a condition phrase that do not say which condition: "acute heart failure" is about heart failure.
_LOOSE = frozenset(content_stems("acute chronic disease diseases disorder syndrome severe mild moderate primary "
                                 "secondary recurrent refractory suspected known confirmed adult adults child "
                                 "children patient patients management treatment grade stage advanced early"))
_FRAME = frozenset(content_stems(" ".join(QUESTION_FRAME_WORDS))) | frozenset(content_stems(
    "treatment management therapy treat first line dose doses dosing diagnosis test tests options drug drugs "
    "when what which how should best recommended start stop use safe risk risks versus compared evidence"))


def _forms(text: str) -> set[str]:
    """Words as written, plurals folded, in both British and American spelling."""
    out: set[str] = set()
    for w in tokens(text):
        out.add(singular(w))
        out.update(singular(v) for v in spelling_variants(w))
    return out


_RESEARCH = frozenset({"trial", "systematic_review", "review", "other"})


def gate_conditions(query: Query) -> list[str]:
    """The question's own condition phrases: not those that only say whom it is about ("with kidney failure")."""
    out = []
    for phrase in query.conditions:
        p = extract(phrase)
        if p.kidney_impairment or p.liver_impairment or p.comorbidities and phrase in p.comorbidities:
            continue
        if phrase.lower() in query.population.comorbidities:
            continue
        out.append(phrase)
    return out


@dataclass(frozen=True)
class _Wanted:
    """What a document's focus must hold for one question, computed once per question."""

    phrases: tuple[tuple[tuple[str, ...], tuple[frozenset[str], ...]], ...]  # (stems, forms of each key word)
    kinds: tuple[tuple[str, ...], ...]  # each phrase of two words or more, word by word (`_other_kind`)
    names: tuple[tuple[frozenset[str], ...], ...]  # each phrase as written: the forms of each of its words
    subject: tuple[str, ...]
    drugs: tuple[str, ...]


@lru_cache(maxsize=256)
def _wanted(query_json: str) -> _Wanted | None:
    query = Query.model_validate_json(query_json)
    wanted = gate_conditions(query)
    if not wanted:
        return None
    variants: list[str] = []
    for phrase in wanted:
        variants.append(phrase)
        # "high blood pressure" for "hypertension", "SVCO" for its long form: the whole phrase's alternatives
        # only ("tumor" alone is not "tumour lysis syndrome"); spellings are folded by `_forms`.
        expansions = understand(phrase).expansions
        variants.extend(a for key, alts in expansions.items() if key == phrase.lower() for a in alts)
    phrases = []
    names = tuple(tuple(frozenset(_forms(w)) for w in tokens(phrase)) for phrase in variants if tokens(phrase))
    for phrase in variants:
        stems = tuple(s for s in content_stems(phrase) if s not in _LOOSE)
        if stems:
            # The condition word itself must be there as a word, not only as a stem: "hyperkalaemia" is not
            # "hyperkalemic periodic paralysis", though both cut to "hyperka".
            key = tuple(frozenset(_forms(w)) for w in tokens(phrase)
                        if is_condition_word(w) and not set(content_stems(w)) <= _LOOSE)
            phrases.append((stems, key))
    # Not the patient's standing condition: "heart" and "failure" of "sepsis fluids in heart failure" do not make
    # an acute heart failure card about the question.
    whose = set(content_stems(" ".join(query.population.comorbidities)))
    subject = tuple(s for s in dict.fromkeys(content_stems(query.search_text))
                    if s not in _FRAME and s not in _LOOSE and not s.isdigit() and s not in whose)
    # As written only: an alternative wording ("deep venous thrombosis") is no other kind of the one asked.
    kinds = tuple(words for phrase in wanted if len(words := _plain_words(phrase)) >= 2)
    return _Wanted(tuple(phrases), kinds, names, subject, tuple(d.lower() for d in query.drugs))


def on_focus(query: Query, focus: list[str], text: str = "", *, title_only: bool = False) -> bool | None:
    """True when the document is about the question's condition, False when it is about something else, None
    when either side says nothing. `text`: the passage, read for the drugs the question names, and, when the
    document has only a title to go by (`title_only`: no curated topic, MeSH or focus), for the condition."""
    wanted = _wanted(query.model_dump_json())
    if wanted is None or not focus:
        return None
    about = " ".join(focus) + (" " + text if title_only and text else "")
    focus_stems, forms = _reading(about)
    for stems, key in wanted.phrases:
        shared = sum(s in focus_stems for s in stems)
        # A phrase with no condition word of its own ("heart attack", "blood poisoning") is a lay name: only
        # the whole of it names the condition ("heart" alone is as much heart failure as a heart attack).
        if all(k & forms for k in key) and (shared == len(stems) if not key else shared * 2 >= len(stems)):
            return True
    if any(key for _, key in wanted.phrases) and not query.population.manifestations \
            and not any(any(k & forms for k in key) for _, key in wanted.phrases if key):
        # The question names its condition ("obesity") and the document names it nowhere: other words it shares
        # ("behavioural interventions" of a smoking card) do not make it about the question. (A manifestation,
        # "ICI colitis", is named by its cause's topic: immune checkpoint inhibitor toxicity.)
        return _by_drug(wanted, text)
    return _by_subject(wanted, focus_stems) or _by_drug(wanted, text)


# Kinds of one condition that are different conditions to treat, by the word before its name: type 1 diabetes is
# not type 2 (nor gestational), hospital-acquired pneumonia not community-acquired, acute heart failure not chronic.
# Each kind is written one or more ways ("ischaemic", "ischemic"), each a run of words.
_KINDS: tuple[tuple[tuple[tuple[str, ...], ...], ...], ...] = (
    ((("type", "1"),), (("type", "2"),), (("gestational",),)),
    ((("community",),), (("hospital",),), (("ventilator",),)),
    ((("acute",),), (("chronic",),)),
    ((("upper",),), (("lower",),)),
    ((("bacterial",),), (("viral",),), (("fungal",),)),
    ((("proximal",),), (("distal",),)),
    ((("provoked",),), (("unprovoked",),)),
    ((("ischaemic",), ("ischemic",)), (("haemorrhagic",), ("hemorrhagic",))),
    ((("focal",),), (("generalised",), ("generalized",))),
)


def _other_kind(wanted: _Wanted, focus: list[str]) -> bool:
    """Whether the document's first name for the question's condition names another kind of it ("community-
    acquired pneumonia" for "hospital-acquired pneumonia", "type 2 diabetes" for "type 1 diabetes" or
    "gestational diabetes", "chronic heart failure" for "acute heart failure"): sharing the condition's own word
    is no match then."""
    for phrase in wanted.kinds:
        head, asked = singular(phrase[-1]), _kinds_in(phrase[:-1])
        if not asked:
            continue
        for name in focus:
            words = _plain_words(name)
            at = next((i for i, w in enumerate(words) if singular(w) == head), None)
            if at is None:
                continue
            theirs = _all_kinds_in(words[max(0, at - 4):at])
            # ("provoked or unprovoked VTE" names both kinds: the asked one among them)
            if any(group in theirs and kind not in theirs[group] for group, kind in asked.items()):
                return True
            break  # the first name holding the condition's word decides
    return False


@lru_cache(maxsize=8192)
def _kinds_in(words: tuple[str, ...]) -> dict[int, int]:
    """The kinds named among a condition's modifiers: group → which kind of it (the last one written wins).
    Cached by the words (callers only read the dict): documents' focus names recur question after question."""
    return {g: max(kinds) for g, kinds in _all_kinds_in(words).items()}


def _kind_named(wanted: _Wanted, name: str) -> bool:
    """Whether a name gives the question's condition a kind ("Step 1 drug by … diabetes" gives none)."""
    words = _plain_words(name)
    for phrase in wanted.kinds:
        head = singular(phrase[-1])
        at = next((i for i, w in enumerate(words) if singular(w) == head), None)
        if at is not None and _all_kinds_in(words[max(0, at - 4):at]):
            return True
    return False


@lru_cache(maxsize=8192)
def _all_kinds_in(words: tuple[str, ...]) -> dict[int, frozenset[int]]:
    """Every kind named among a condition's modifiers, group by group."""
    found: dict[int, set[int]] = {}
    for g, kinds in enumerate(_KINDS):
        for k, spellings in enumerate(kinds):
            if any(words[i:i + len(w)] == w for w in spellings for i in range(len(words) - len(w) + 1)):
                found.setdefault(g, set()).add(k)
    return {g: frozenset(ks) for g, ks in found.items()}


@lru_cache(maxsize=8192)
def _plain_words(name: str) -> tuple[str, ...]:
    """A name's words in lower case, hyphenated ones split ("community-acquired" is "community acquired")."""
    return tuple(part for w in tokens(name.lower()) for part in w.split("-") if part)


def _by_subject(wanted: _Wanted, focus_stems: frozenset[str], *, beyond_condition: bool = False) -> bool:
    """Most of the question's subject words are in the focus. `beyond_condition`: of those other than the
    condition's own words, which `_names_whole` judges whole ("bone pain" and "breast cancer" in a bone
    metastases card's title are not "cancer pain")."""
    named = {s for stems, _ in wanted.phrases for s in stems} if beyond_condition else set()
    subject = [s for s in wanted.subject if s not in named]
    hits = sum(s in focus_stems for s in subject)
    return hits >= 2 and hits * 2 >= len(subject)


def _by_drug(wanted: _Wanted, text: str) -> bool:
    """The passage names a drug the question asks about."""
    lowered = text.lower()
    return bool(text) and any(drug in lowered for drug in wanted.drugs)


def names_condition(query: Query, focus: list[str]) -> bool:
    """Whether one of the document's focus names holds a condition phrase of the question whole, its words in
    order ("chest infection" among pneumonia's names), not only enough of its words ("infection" of
    "C. difficile infection")."""
    wanted = _wanted(query.model_dump_json())
    return wanted is not None and _names_whole(wanted, focus)


def named_topics(query: Query, evidence: list[Evidence]) -> set[int] | None:
    """When some of the library's curated topics bear the question's condition by name, the evidence (by index)
    that may open the answer: those topics' cards, and documents without a curated topic (a guideline's title
    or an abstract's MeSH terms name their subject too loosely to exclude on). A card kept on part of the
    condition's name alone ("infection" of "chest infection", a C. difficile card) does not, unless it names the
    question's subject words or the drug asked about. None when no topic bears the name."""
    wanted = _wanted(query.model_dump_json())
    if wanted is None:
        return None
    curated = [i for i, ev in enumerate(evidence) if ev.doc_id.startswith("kb:") and ev.focus]
    if not any(_names_whole(wanted, evidence[i].focus) for i in curated):
        return None
    return set(range(len(evidence))) - {i for i in curated if not _names_whole(wanted, evidence[i].focus)
                                        and not _by_subject(wanted, _reading(" ".join(evidence[i].focus))[0],
                                                            beyond_condition=True)
                                        and not _by_drug(wanted, evidence[i].passage.text)}


def named_exactly(query: Query, evidence: list[Evidence]) -> set[int]:
    """The curated cards (by index) one of whose topic's names is the question's condition word for word: "heart
    failure" is the heart failure topic's name, and only part of the acute heart failure topic's. Empty when no
    topic bears it exactly."""
    wanted = _wanted(query.model_dump_json())
    if wanted is None:
        return set()
    return {i for i, ev in enumerate(evidence) if ev.doc_id.startswith("kb:")
            and any(_is_name(wanted.names, name) for name in ev.focus)}


@lru_cache(maxsize=16384)
def _is_name(names: tuple[tuple[frozenset[str], ...], ...], name: str) -> bool:
    words = _words(name)
    return any(len(words) == len(phrase) and all(w in forms for w, forms in zip(words, phrase)) for phrase in names)


def _names_whole(wanted: _Wanted, focus: list[str]) -> bool:
    return any(_holds_name(wanted.names, name) for name in focus)


@lru_cache(maxsize=16384)  # by value: a document's names meet the same condition names question after question
def _holds_name(names: tuple[tuple[frozenset[str], ...], ...], name: str) -> bool:
    words = _words(name)
    for phrase in names:
        n = len(phrase)
        if any(all(words[i + j] in phrase[j] for j in range(n)) for i in range(len(words) - n + 1)):
            return True
    return False


@lru_cache(maxsize=8192)
def _words(name: str) -> tuple[str, ...]:
    return tuple(singular(w) for w in tokens(name))


@lru_cache(maxsize=8192)
def _reading(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """Stems and word forms of a focus text (cached: documents recur across questions)."""
    return frozenset(content_stems(text)), frozenset(_forms(text))


def focus_gate(query: Query, evidence: list[Evidence]) -> tuple[list[Evidence], str | None]:
    """The evidence about the question's condition, and, when none is, why the answer must abstain."""
    kept: list[Evidence] = []
    elsewhere: dict[str, None] = {}
    wanted = _wanted(query.model_dump_json())
    for ev in evidence:
        title_only = len(ev.focus) <= 1 and (not ev.focus or ev.focus[0] == " ".join((ev.title or "").split()))
        # A research abstract is indexed by MeSH terms that name its topic broadly ("Potassium", "Kidney
        # Diseases"): its own text counts too. Guidelines, consumer pages and the knowledge base keep to their
        # declared focus (a tumour lysis card mentions hyperkalaemia; it is not about it).
        research = ev.passage.doc_type.value in _RESEARCH and not ev.doc_id.startswith("kb:")
        verdict = on_focus(query, ev.focus, ev.passage.text, title_only=title_only or research)
        # A card's first name is its own title ("Clinic blood pressure targets"); its topic's names follow.
        names = ev.focus[1:] if ev.doc_id.startswith("kb:") and not ev.doc_id.startswith("kb:topic:") else ev.focus
        # (… and a card whose own title or text names another kind first is about that kind: "SGLT2 inhibitors in
        # CKD with type 2 diabetes" is no answer on type 1, nor is step 1 "for adults who have type 2 diabetes")
        if verdict is not False and wanted is not None and (
                _other_kind(wanted, names) or (names is not ev.focus and (
                    _other_kind(wanted, ev.focus[:1]) or (not _kind_named(wanted, ev.focus[0])
                                                          and _other_kind(wanted, [ev.passage.text]))))):
            verdict = False
        if verdict is False:
            elsewhere.setdefault((ev.focus[0] if ev.focus else ev.title or ev.doc_id)[:80], None)
        else:
            kept.append(ev)
    if kept or not evidence:
        return kept, None
    about = "; ".join(list(elsewhere)[:4])
    asked = gate_conditions(query)[0]
    return [], (f"None of the sources found is about {asked}: they are about {about}. "
                "The library may not cover this condition; try its other names or a broader question.")


def population_gate(query: Query, evidence: list[Evidence]) -> tuple[list[Evidence], str | None]:
    """The evidence whose passage or document may apply to the question's patient (a guideline for children is
    not evidence for an adult), and, when none may, the plain statement of whom the library's evidence is for."""
    if query.population.is_empty():
        return evidence, None
    kept = [ev for ev in evidence if ev.population is None or not conflicts(query.population, ev.population)]
    if kept or not evidence:
        return kept, None
    theirs = list(dict.fromkeys(describe(ev.population) for ev in evidence if ev.population is not None))
    asked = describe(query.population) or "the patient in the question"
    return [], (f"The sources found are for {'; '.join(t for t in theirs[:3] if t) or 'other patients'}; "
                f"none covers {asked}. Nothing was said rather than advice for another patient.")


def population_gap(query: Query, before: list[Evidence], kept: list[Evidence]) -> str | None:
    """When the passages ranked best for the question were left out as for other patients, the plain statement of
    whom they are for (said when the answer must abstain: "the sources found are for women under 65; none covers
    people aged 78"), else None."""
    dropped = [ev for ev in before[:3] if ev.population is not None and not any(ev is k for k in kept)]
    if not dropped or query.population.is_empty():
        return None
    theirs = list(dict.fromkeys(d for ev in dropped if ev.population is not None and (d := describe(ev.population))))
    asked = describe(query.population) or "the patient in the question"
    return (f"The sources that best match this question are for {'; '.join(theirs[:3]) or 'other patients'}; none "
            f"covers {asked}. Nothing was said rather than advice for another patient.")
