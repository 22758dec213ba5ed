"""The condition a question is about: its main condition phrase, and whether it names one at all.

Deterministic rules over word lists, so a resolved follow-up can be explained: "What are the management
options for spinal metastasis?" is about "spinal metastasis"; "is metformin safe in pregnancy?" names no
condition of its own (a drug and a population only).
"""

from __future__ import annotations

import re

from medoracle.text import stem

__all__ = ["CONDITION_WORDS", "FOLLOWUP_LEAD", "conditions", "extract_topic", "is_condition_word", "names_condition",
           "overlaps"]

# Words that name a disease or disorder. Suffixes catch most of medicine ("-itis", "-oma", "-aemia" …);
# the head words catch the everyday names.
_CONDITION_SUFFIX = re.compile(r"^[a-z]{3,}(?:itis|omas?|a?emias?|osis|oses|pathy|pathies|algia|plegia|trophy|"
                               r"uria|penia|ectasis|iasis|ism)$")
_NOT_CONDITIONS = {"diagnosis", "prognosis", "stoma", "aroma", "diploma", "mechanism", "organism",
                   "metabolism", "dosis", "analysis", "prophylaxis", "hypnosis", "emphasis", "thesis",
                   "synthesis", "basis", "osmosis", "criticism", "tourism", "realism", "optimism"}
CONDITION_WORDS = {
    "cancer", "cancers", "carcinoma", "tumour", "tumours", "tumor", "tumors", "metastasis", "metastases",
    "malignancy", "leukaemia", "leukemia", "lymphoma", "myeloma", "melanoma", "sarcoma", "diabetes",
    "hypertension", "hypotension", "asthma", "copd", "pneumonia", "stroke", "infarction", "failure",
    "fracture", "fractures", "infection", "infections", "sepsis", "disease", "diseases", "syndrome",
    "disorder", "disorders", "injury", "injuries", "depression", "anxiety", "dementia", "epilepsy",
    "migraine", "obesity", "gout", "hernia", "ulcer", "ulcers", "fibrillation", "embolism", "thrombosis",
    "aneurysm", "lupus", "psoriasis", "eczema", "influenza", "flu", "hiv", "aids", "covid", "covid-19",
    "tuberculosis", "malaria", "measles", "cirrhosis", "angina", "anaemia", "anemia", "schizophrenia",
    "autism", "adhd", "glaucoma", "cataract", "cataracts", "compression", "stenosis", "hyperlipidaemia",
    "hyperlipidemia", "dyslipidaemia", "dyslipidemia", "hypercholesterolaemia", "hypercholesterolemia",
    "hypothyroidism", "hyperthyroidism", "osteoporosis", "arthritis", "palsy", "haemorrhage", "hemorrhage",
    "arrest", "delirium", "psychosis", "insomnia", "apnoea", "apnea", "acne",
    "burns", "burn", "wound", "wounds", "lysis", "obstruction", "pre-eclampsia", "preeclampsia",
    "eclampsia", "hyperkalaemia", "hyperkalemia", "hyponatraemia", "hyponatremia", "ketoacidosis",
    "hypoglycaemia", "hypoglycemia", "neuropathy", "retinopathy", "nephropathy", "cardiomyopathy",
    "effusion", "effusions", "toxicity", "toxicities", "cellulitis", "thromboembolism", "exacerbation",
    "epilepticus", "seizure", "seizures", "overdose", "anaphylaxis", "fever", "shock", "nausea", "vomiting",
    # everyday names held by a place or a lack: "low back pain", "sore throat", "iron deficiency" ("pain" alone
    # would make a chest pain card about back pain)
    "back", "sciatica", "throat", "deficiency",
}

_QUESTION_WORDS = {
    "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "is", "are", "was", "were", "be",
    "been", "do", "does", "did", "can", "could", "should", "would", "will", "may", "might", "must", "shall",
    "the", "a", "an", "of", "for", "to", "in", "on", "at", "by", "with", "about", "and", "or", "if", "it",
    "its", "this", "that", "these", "those", "there", "their", "they", "them", "i", "me", "my", "we", "our",
    "you", "your", "he", "she", "his", "her", "any", "some", "than", "then", "so", "also", "as", "from",
    "into", "has", "have", "had", "not", "no", "yes", "between", "after", "before", "during",
}
_GENERIC_CLINICAL = {
    "management", "manage", "managed", "managing", "treatment", "treatments", "treat", "treated", "treating",
    "therapy", "therapies", "options", "option", "recommended", "recommendation", "recommendations",
    "recommend", "best", "current", "guideline", "guidelines", "approach", "approaches", "first-line",
    "first", "line", "second-line", "diagnosis", "diagnose", "diagnosed", "investigation", "investigations",
    "workup", "work-up", "evaluation", "assessment", "initial", "standard", "care", "patients", "patient",
    "people", "adults", "adult", "evidence", "role", "use", "used", "indications", "indicated", "optimal",
    "preferred", "choice", "drug", "drugs", "medication", "medications", "medicine", "medicines", "dose",
    "dosing", "doses", "signs", "symptoms", "causes", "cause", "prognosis", "prevention", "prevent",
    "screening", "risk", "factors", "complications", "effective", "efficacy", "safe", "safety", "new",
    "latest", "done", "mean", "means", "work", "works", "someone", "person", "prevented", "treats",
    "offered", "started", "given", "needed", "helps", "help", "antibiotic", "antibiotics",
}
# Symptoms such as pain, bleeding or fever are deliberately not condition words: "what about bleeding?" in a
# thread about atrial fibrillation asks about that condition, not a new one.
_POPULATION_TAIL = re.compile(r"\s+(?:in|for|among)\s+(?:the\s+)?(?:adults?|children|infants|women|men|"
                              r"older (?:adults|people)|elderly(?: people)?|adolescents|pregnancy)$", re.I)
_CONNECTORS = {"and", "of", "or"}
_TOPIC_AFTER = re.compile(
    r"\b(?:management|manage|managing|treatment|treatments|therapy|therapies|options|option|diagnosis|"
    r"investigation|investigations|work-?up|evaluation|assessment|prognosis|causes|symptoms|signs|screening|"
    r"prevention|complications|guidelines?|approach|care|drugs?|medications?|medicines?|dose|dosing|"
    r"surgery|imaging)\s+(?:options\s+)?(?:of|for|in|to|with)\s+(.+)$", re.I)
_LEADING_FILLER = re.compile(r"^(?:(?:a|an|the|acute|suspected|known|confirmed|patients?|adults?|people|"
                             r"children|someone|a\s+patient)\s+(?:with\s+)?)+", re.I)
FOLLOWUP_LEAD = re.compile(r"^\s*(?:and|so|also|ok(?:ay)?|then|but)\s*,?\s+", re.I)


def _content_words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9][a-z0-9'-]*", text.lower())
            if w not in _QUESTION_WORDS and w not in _GENERIC_CLINICAL]


def is_condition_word(word: str) -> bool:
    w = word.lower().strip("'")
    if w in _NOT_CONDITIONS:
        return False
    return w in CONDITION_WORDS or bool(_CONDITION_SUFFIX.match(w))


def names_condition(question: str) -> bool:
    """True when the question names a disease or disorder of its own (not only a drug, dose or population)."""
    return any(is_condition_word(w) for w in _content_words(question))


def extract_topic(question: str) -> str:
    """The main condition phrase of a question, e.g. 'spinal metastasis' from 'What are the management
    options for spinal metastasis?'."""
    q = re.sub(r"[?!.]+\s*$", "", question.strip())
    head, colon, _ = q.partition(": ")
    if colon and 0 < len(head.split()) <= 6 and _content_words(head):
        return head.strip().lower()  # a resolved follow-up, "Spinal metastasis: and the dose", names it first
    m = _TOPIC_AFTER.search(q)
    if m:
        phrase = _LEADING_FILLER.sub("", m.group(1).strip())
        # Stop at a second clause ("… and what is the dose"): the topic is the condition, not the ask.
        phrase = re.split(r"\s*(?:,|;|\s-\s|\b(?:and|or)\s+(?:what|how|when|which|is|are|should)\b)",
                          phrase, maxsplit=1)[0].strip()
        phrase = _POPULATION_TAIL.sub("", phrase)  # "depression in adults" -> "depression"
        if phrase and _content_words(phrase):
            return phrase
    # No "treatment of …" phrase: take the run of adjacent content words that holds a condition word
    # ("When should statins be offered to adults with chronic kidney disease?" -> "chronic kidney disease").
    # "and"/"of" join a run ("nausea and vomiting", "hypercalcaemia of malignancy").
    tokens = re.findall(r"[a-z0-9][a-z0-9'-]*", q.lower())
    runs: list[list[str]] = [[]]
    for i, tok in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        joins = tok in _CONNECTORS and runs[-1] and nxt and nxt not in _QUESTION_WORDS \
            and nxt not in _GENERIC_CLINICAL
        if joins or not (tok in _QUESTION_WORDS or tok in _GENERIC_CLINICAL):
            runs[-1].append(tok)
        elif runs[-1]:
            runs.append([])
    for run in runs:
        if any(is_condition_word(w) for w in run):
            return " ".join(run).strip()
    longest = max(runs, key=len)
    while longest and longest[-1] in _CONNECTORS:
        longest = longest[:-1]
    return " ".join(longest)


# Words that end a condition phrase: whom it is about, how bad, or which option ("brain metastases" in "brain
# metastases dexamethasone dose", "hypertension" in "hypertension in adults aged 55 or over").
_PHRASE_BREAKS = frozenset("""versus vs aged age years year old over under older younger grade grades mild moderate
severe pregnancy pregnant breastfeeding children child infants adults adult elderly women men when dose man woman
without family origin level levels diagnoses diagnose diagnosed newly planning target every define defines defined
means indicates indicate suggests suggest confirms confirm definition definitions criteria""".split())
# A condition the patient does not have is not what the question is about ("a man without diabetes").
_ABSENT = frozenset({"without", "no", "non", "not"})


def conditions(question: str, drugs: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Every condition phrase of a question, in order: runs of content words that hold a condition word,
    broken at punctuation, numbers, drug names and population words, at most five words each."""
    drug_words = {w for d in drugs for w in d.lower().split()}
    tokens = re.findall(r"[a-z0-9][a-z0-9'-]*|[^\w\s]", question.lower())
    runs: list[list[str]] = [[]]
    absent: set[int] = set()  # runs that follow "without"
    for i, tok in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if tok in _ABSENT:
            if runs[-1]:
                runs.append([])
            absent.add(len(runs) - 1)
            continue
        breaks = (not tok[0].isalnum() or tok[0].isdigit() or tok in drug_words or tok in _PHRASE_BREAKS
                  or tok in _QUESTION_WORDS or tok in _GENERIC_CLINICAL)
        joins = (tok in ("and", "of") and runs[-1] and nxt[:1].isalpha() and nxt not in _QUESTION_WORDS
                 and nxt not in _GENERIC_CLINICAL and nxt not in _PHRASE_BREAKS and nxt not in drug_words) \
            or (tok in ("1", "2") and runs[-1][-1:] == ["type"])  # "type 1 diabetes" is not type 2's
        if breaks and not joins:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append(tok)
    found: list[str] = []
    for n, whole in enumerate(runs):
        if n in absent:
            continue
        for run in _split_pairs(whole):
            found.extend(_names_in(run))
    return list(dict.fromkeys(found))


def _split_pairs(run: list[str]) -> list[list[str]]:
    """A run that joins a condition to a second one of several words is two ("atrial fibrillation and mitral
    stenosis", "gout and chronic kidney disease"), as is a device and a condition ("a mechanical mitral valve and
    atrial fibrillation": the valve is the patient's, `population` reads it); "nausea and vomiting" and "heart and
    lung disease" stay one name."""
    for i, word in enumerate(run):
        left, right = run[:i], run[i + 1:]
        # (the second name's head after a modifier of its own: "mitral stenosis", not "vomiting prophylaxis")
        if word == "and" and any(map(is_condition_word, right[1:])) \
                and (any(map(is_condition_word, left)) or left[-1:] and left[-1] in _DEVICES):
            return [left, *_split_pairs(right)]
    return [run]


_DEVICES = frozenset("valve valves stent stents pacemaker prosthesis transplant replacement implant".split())


def _names_in(run: list[str]) -> list[str]:
    """The condition names of one run of words, at most five words each."""
    found: list[str] = []
    while run and run[-1] in _CONNECTORS:
        run = run[:-1]
    marks = [i for i, w in enumerate(run) if is_condition_word(w)]
    if marks and marks[-1] >= 5 and len(marks) > 1:
        # Too long for one name: "non-small cell lung cancer brain metastases" names two conditions.
        starts = [0, *(m + 1 for m in marks[:-1])]
        found.extend(_trimmed(run[a:m + 1][-5:]) for a, m in zip(starts, marks))
    elif marks:
        end = max(marks) + 1
        found.append(_trimmed(run[max(0, end - 5):end]))
    return found


def _trimmed(words: list[str]) -> str:
    """A condition name without the joining word a cut left in front ("of chronic obstructive …")."""
    while len(words) > 1 and words[0] in ("and", "of"):
        words = words[1:]
    return " ".join(words)


def overlaps(question: str, topic: str) -> bool:
    topic_stems = {stem(w) for w in _content_words(topic)}
    return bool(topic_stems & {stem(w) for w in _content_words(question)})
