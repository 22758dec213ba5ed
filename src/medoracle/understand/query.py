"""Question (+ the thread before it) → one typed `Query`: conditions, population, drugs, comparison, intent.

    "svco mx - stent or rt?"
      search_text  "superior vena cava obstruction (SVCO) management - stent or radiotherapy (RT)?"
      conditions   ["superior vena cava obstruction"]     comparison ("stent", "radiotherapy")
      intents      ["comparison", "treatment"]            corrections {"svco": …, "mx": "management", …}

Pure and fast (about a millisecond once the vocabularies are loaded); `known` lets retrieval say which words
the library's index holds, so a word the library knows is never "corrected".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from medoracle.text import QUERY_STOP_WORDS as STOP_WORDS
from medoracle.types import Intent, Query
from medoracle.understand import population as pop
from medoracle.understand.allergy import ALLERGIES
from medoracle.understand.form import read_intents
from medoracle.understand.shorthand import SHORTHAND, spell_out
from medoracle.understand.spelling import correct, in_vocabulary
from medoracle.understand.topic import conditions, is_condition_word
from medoracle.understand.topic_names import TopicNames
from medoracle.understand.vocab import QueryTerms, expand_abbreviation, understand

__all__ = ["read_query"]

_WORD = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)
# Non-drug treatments a question may name or compare.
_INTERVENTION = re.compile(
    r"\b(?:stents?|stenting|radiotherapy|radiation therapy|radiosurgery|SRS|WBRT|SBRT|SABR|RT|surgery|"
    r"surgical decompression|decompression|chemotherapy|immunotherapy|dialysis|pleurodesis|talc|"
    r"indwelling pleural catheter|IPC|thoracentesis|thoracocentesis|ablation|cardioversion|NIV|"
    r"non-invasive ventilation|oxygen|vertebroplasty|kyphoplasty|embolisation|embolization|transfusion|"
    r"physiotherapy|CBT|cognitive behavioural therapy|pulmonary rehabilitation|inhalers?|hydration|"
    r"rasburicase|allopurinol|bisphosphonates?)\b", re.IGNORECASE)
_GREETING = re.compile(r"^\s*(?:hi|hello|hey|hiya|thanks|thank you|good (?:morning|afternoon|evening)|"
                       r"how are you|what'?s up|test(?:ing)?|ok|okay)\b", re.IGNORECASE)
_OFF_DOMAIN = re.compile(r"\brecipes?\b|\bbak(?:e|ing)\b|\bcook(?:ing)?\b|\bweather\b|\bfootball\b|\bworld cup\b|"
                         r"\bstock (?:price|market)\b|\bpoems?\b|\bjokes?\b|\blyrics\b|\bmovies?\b",
                         re.IGNORECASE)
_GENERIC = frozenset("""treatment treatments treat management manage therapy therapies medicine medicines drug drugs
medication medications disease diseases condition conditions health doctor doctors hospital patient patients
symptom symptoms sign signs question questions help advice information info problem problems thing things
care test tests dose doses option options guideline guidelines evidence clinical medical good bad best
normal sick ill illness pain""".split())
# The names of measurements alone ("BP HR RR") ask nothing: a clinician asks about a condition or a reading.
_MEASURES = frozenset("""blood pressure heart rate respiratory pulse temperature oxygen saturation saturations
sats weight height bmi vitals vital observations obs bp hr rr spo2 temp gcs""".split())
# Words of a question in another language that English does not use ("¿Cuál es el tratamiento …?"): the
# library's sources and its vocabulary are English.
_FOREIGN = frozenset("""el los las del es cuál cual qué cómo para una tratamiento ist die der das und von bei mit
wie welche behandlung le les des du est quel quelle pour avec dans une traitement della di il trattamento
não uma tratamento""".split())
_ENGLISH = frozenset("the of is are what how which for and with in to should does do".split())
_COMPARE = re.compile(r"\s(?:vs\.?|versus|v\.|compared (?:with|to)|or)\s", re.IGNORECASE)


def read_query(question: str, *, history: Sequence[str] = (), known: Callable[[str], bool] | None = None,
               topics: TopicNames | None = None) -> Query:
    """The question understood. `history`: the thread's earlier questions, oldest first. `topics`: the library's
    names for its topics, the condition of a question that names none of its own ("stopping smoking")."""
    text = " ".join(str(question).split())
    spelled, corrections = spell_out(text)
    spelled, fixed = _correct_spelling(spelled, known)
    corrections.update(fixed)
    spelled = _name_treated_condition(spelled)
    terms = understand(spelled)
    spelled, lay = _clinical_names(spelled, terms)
    if lay:
        corrections.update(lay)
        terms = understand(spelled)
    # As written first ("acute COPD exacerbation"), then spelled out ("pt >55 yo" → "patient >55 year old").
    population = pop.merge(pop.extract(text), pop.extract(re.sub(r"\s\([A-Za-z0-9-]{2,8}\)", "", spelled)))
    inherited = False
    if population.is_empty() and history:
        for earlier in reversed(history):
            found = pop.extract(spell_out(earlier)[0])
            if not found.is_empty():
                population, inherited = found, True
                break
    intents: list[Intent] = [i for i in read_intents(spelled)]  # type: ignore[misc]
    comparison = _comparison(text, spelled, terms.drugs, terms.brands)
    if comparison is not None and "comparison" not in intents:
        intents.insert(0, "comparison")
    elif comparison is None and "comparison" in intents:
        intents.remove("comparison")
    interventions = list(dict.fromkeys(m.group(0).lower() for m in _INTERVENTION.finditer(spelled)))
    named = conditions(spelled, terms.drugs)
    if named and topics:  # "cancer pain" of "How should cancer pain be managed?", not any cancer
        named = list(dict.fromkeys(topics.wider(spelled, c, drugs=terms.drugs) or c for c in named))
    if not named and topics:
        named = topics.named_in(spelled, drugs=terms.drugs)[:1]
        for acronym, topic in topics.acronyms_in(spelled).items():
            if named == [topic]:  # "PET aspirin" → "pre-eclampsia (PET) aspirin", as "HTN" is spelled out
                # (and the library's own topic before the general table's reading: not positron emission tomography)
                written = f"{corrections[acronym]} ({acronym})" if acronym in corrections else None
                spelled = spelled.replace(written, f"{topic} ({acronym})", 1) if written and written in spelled \
                    else re.sub(rf"\b{re.escape(acronym)}\b", f"{topic} ({acronym})", spelled, count=1)
                corrections[acronym] = topic
                terms = understand(spelled)
    # (the other condition as the user named it, not one read from a drug class: "antipsychotics … in dementia")
    as_named = [c for c in named if c.lower() in text.lower() or c in corrections.values()]
    comorbid = [c for c in _comorbid_in(spelled, as_named) if c not in population.comorbidities]
    if comorbid:
        population = population.model_copy(update={"comorbidities": (*population.comorbidities, *comorbid)})
    if named and any(c in named[0].lower() for c in population.comorbidities):
        # The condition asked about is not the patient's other condition ("… mechanical valve and atrial
        # fibrillation take apixaban?": the question is about atrial fibrillation in someone with the valve).
        population = population.model_copy(update={"comorbidities": tuple(
            c for c in population.comorbidities if c not in named[0].lower())})
    for allergy in (a for a in population.comorbidities if a in ALLERGIES):
        if allergy.split()[0] not in spelled.lower():  # "pen allergic" is searched as the allergy it names
            spelled = f"{spelled} ({allergy})"
    query = Query(text=text, search_text=spelled, conditions=named, population=population,
                  drugs=list(terms.drugs), interventions=interventions, comparison=comparison, intents=intents,
                  corrections=corrections, inherited=inherited)
    query.contradiction = pop.contradiction(population) if not inherited else None
    query.noise = _noise(text, spelled, query, known)
    return query


# "sepsis fluids in heart failure", "delirium in a patient with dementia": a condition after "in", once the
# question has named another, is the patient's standing condition, not the subject asked about.
_IN_COMORBIDITY = re.compile(r"\bin\s+(?:an?\s+|the\s+)?(?:(?:patients?|people|persons?|adults?|someone)\s+)?"
                             r"(?:with\s+)?(?:known\s+)?(?:chronic\s+)?" + pop.COMORBIDITIES, re.IGNORECASE)


def _comorbid_in(spelled: str, named: Sequence[str]) -> list[str]:
    """The conditions read as the patient's comorbidity by their place after another condition and "in"."""
    low = spelled.lower()
    out = []
    for m in _IN_COMORBIDITY.finditer(spelled):
        other = [c for c in named if c.lower() not in m.group(1).lower() and m.group(1).lower() not in c.lower()]
        if any(0 <= low.find(c.lower()) < m.start() for c in other):
            out.append(m.group(1).lower())
    return out


# A drug class named for the condition it treats: "which antihypertensive" is a question about hypertension.
_TREATS = {"antihypertensive": "hypertension", "antidepressant": "depression", "antiepileptic": "epilepsy",
           "antidiabetic": "diabetes", "antipsychotic": "psychosis", "antiarrhythmic": "arrhythmia",
           "antianginal": "angina", "antiemetic": "nausea and vomiting", "antimigraine": "migraine",
           "antiseizure": "epilepsy", "antihyperglycaemic": "diabetes", "antihyperglycemic": "diabetes",
           **{f"blood pressure {kind}": "hypertension" for kind in ("medicine", "medication", "drug", "tablet",
                                                                     "pill")}}
_TREATS_WORD = re.compile(r"(?<!high )\b(" + "|".join(_TREATS) + r")s?\b", re.IGNORECASE)


def _clinical_names(spelled: str, terms: QueryTerms) -> tuple[str, dict[str, str]]:
    """Lay names of a condition read as its clinical name, as shorthand is spelled out: "heart attack" names no
    condition word of its own, but our synonyms table gives "myocardial infarction", which does. Sources say the
    clinical name; a sentence that shares only "blood" with "blood poisoning" (a full blood count) is not about
    sepsis, and one that says "sepsis" is."""
    found = conditions(spelled, terms.drugs)
    named: dict[str, str] = {}
    for phrase, alternatives in terms.expansions.items():
        if " " not in phrase or any(phrase in f or f in phrase for f in found) \
                or any(is_condition_word(w) for w in phrase.split()):
            continue
        clinical = next((alt for alt in alternatives if conditions(alt)), None)
        if clinical is None:
            continue
        # The table's phrases are folded (lower case, hyphens as spaces, simple plurals): match them so.
        pattern = r"\b" + r"[\s-]+".join(re.escape(w) for w in phrase.split()) + r"s?\b"
        spelled, n = re.subn(pattern, clinical, spelled, flags=re.IGNORECASE)
        if n:
            named[phrase] = clinical
    return spelled, named


def _name_treated_condition(text: str) -> str:
    """The condition a class word names, added after it when the question does not name it itself
    ("first-line antihypertensive in pregnancy" → "… antihypertensive (hypertension) in pregnancy")."""
    m = _TREATS_WORD.search(text)
    if m is None:
        return text
    condition = _TREATS[m.group(1).lower()]
    if re.search(rf"\b{re.escape(condition)}", text, re.IGNORECASE):
        return text
    return f"{text[:m.end()]} ({condition}){text[m.end():]}"


def _correct_spelling(text: str, known: Callable[[str], bool] | None) -> tuple[str, dict[str, str]]:
    fixed: dict[str, str] = {}

    def repl(m: re.Match[str]) -> str:
        word = m.group(0)
        if not word.isalpha() or word.isupper() or len(word) < 5:
            return word
        term = correct(word, known)
        if term is None or term == word.lower():
            return word
        fixed[word] = term
        return term

    return _WORD.sub(repl, text), fixed


def _side(words: list[str], drugs: list[str], *, left: bool, head: bool = False) -> str:
    """The option on one side of 'vs'/'or': a drug name if one is there, else the nearest word (`head`: the
    option's last word, the noun that names it: "pleurodesis" of "talc pleurodesis")."""
    clean = [w for w in words if w.lower() not in STOP_WORDS and w.lower() not in _GENERIC and w not in "-–+"]
    if not clean:
        return ""
    near = [w.strip("?.,;:()").lower() for w in (clean[::-1] if left else clean)]
    pair = " ".join(near[:2][::-1] if left else near[:2])
    for drug in drugs:
        if drug in (near[0], pair):  # "zoledronic acid" is one option, "dexamethasone … SRS" is not
            return drug
    return near[-1] if head and not left else near[0]


def _comparison(text: str, spelled: str, drugs: list[str], brands: dict[str, str]) -> tuple[str, str] | None:
    """The two options of "A vs B" or "A or B?" (an "or" counts only in a question that ends there)."""
    for source in (text, spelled):
        parts = _COMPARE.split(source, maxsplit=1)
        if len(parts) != 2:
            continue
        sep = _COMPARE.search(source)
        # "A or B for X?": the choice is what comes before the condition it is for
        # and before a comparative ("A or B better for X?": "better" is the question, not option B)
        option = re.split(r"\s(?:for|in|of|with|after|during|when|to treat|better|best|safer|preferred|preferable|"
                          r"superior|more|less)\b", parts[1], maxsplit=1)[0]
        if sep is not None and sep.group(0).strip().lower() == "or" and len(option.split()) > 4:
            continue  # "… or …" in the middle of a sentence is not a choice between two options
        before = re.findall(r"[\w'-]+", parts[0])
        after = re.findall(r"[\w'-]+", option if len(option.split()) <= 4 else parts[1])
        head = len(option.split()) <= 4  # a short option is named by its last word ("talc pleurodesis")
        a, b = (brands.get(side, side) for side in (_side(before, drugs, left=True),
                                                    _side(after, drugs, left=False, head=head)))
        if a and b and a != b:
            return a, b
    return None


def _noise(text: str, spelled: str, query: Query, known: Callable[[str], bool] | None = None) -> str | None:
    """Why the text is not a clinical question, or None."""
    letters = [ch for ch in text if ch.isalpha()]
    if letters and sum(ch.isascii() for ch in letters) < 0.5 * len(letters) and not query.conditions:
        return "not in a language the library reads: it holds English sources, so ask in English"
    written = [w.lower().strip("¿¡") for w in text.split()]
    if sum(w in _FOREIGN for w in written) >= 2 and sum(w in _FOREIGN for w in written) > sum(
            w in _ENGLISH for w in written):
        return "not in English: the library holds English sources, so ask in English"
    words = [w.lower() for w in _WORD.findall(spelled)]
    content = [w for w in words if w not in STOP_WORDS]
    clinical = bool(query.conditions or query.drugs or query.interventions or not query.population.is_empty())
    if _GREETING.match(text) and not clinical and len(content) <= 4:
        return "a greeting, not a clinical question"
    if _OFF_DOMAIN.search(text) and not clinical:
        return "not a medical question"
    specific = [w for w in content if w not in _GENERIC and w not in SHORTHAND.values() and w not in SHORTHAND]
    typed = [w.lower() for w in _WORD.findall(text)]
    if typed and not clinical and not query.intents and all(w in _MEASURES or w in STOP_WORDS for w in typed):
        return "only the names of measurements, with no condition or question about them"
    if not specific:
        return ("only shorthand or general words, with no condition, test or treatment named"
                if content else "no words to look for")
    if len(specific) == 1 and len(content) <= 2 and not clinical:
        word = specific[0]
        # A word the library's own index holds ("hyperK", "hypo" in the knowledge base) is a topic to look up,
        # and so is a two-letter abbreviation typed as one ("SE", "PE").
        typed_upper = any(w.isupper() and w.lower() == word for w in _WORD.findall(text))
        if not (is_condition_word(word) or in_vocabulary(word) or expand_abbreviation(word)
                or (known is not None and (len(word) > 2 or typed_upper) and known(word))):
            return f"one general word ({word!r}), not a clinical question"
    return None
