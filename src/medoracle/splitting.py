"""Safe sentence splitting for plain-language text: a long sentence becomes two only where both halves are
whole sentences (each with a subject and a finite verb) and no condition or list item changes what it governs.

Used by `wording` and `audience`; it never rewords, so every number, unit and negation stays where it was.
"""

from __future__ import annotations

import re

from medoracle.text import FINITE_VERB, outside_brackets, split_sentences, word_count

LONG_SENTENCE_WORDS = 25
# Patient text is split at safe joints from this length on: plain-language guidance aims at 15–20 words.
PATIENT_SPLIT_WORDS = 15

# (joint, how the second sentence starts). "and" carries no meaning a full stop does not; a conditional joint
# becomes "This applies when …" so the condition still visibly governs the sentence before it.
_SPLITTERS = [
    (re.compile(r";\s+"), ""),
    (re.compile(r":\s+(?=[a-z])"), ""),
    (re.compile(r",\s+but\s+"), "But "),
    (re.compile(r",\s+which\s+(?=(?:are|were|have)\b)"), "These "),
    (re.compile(r",\s+which\s+"), "This "),
    (re.compile(r",\s+and\s+"), "and"),
    (re.compile(r",\s+whereas\s+"), "But "),
    (re.compile(r",\s+although\s+"), "But "),
    (re.compile(r",\s+so\s+(?!that\b)"), "So "),
    (re.compile(r",?\s+so that\s+"), "This is so that "),
    (re.compile(r",\s+then\s+"), "Then "),
    (re.compile(r"\s+because\s+(?!of\b)"), "This is because "),
    (re.compile(r",?\s+(?:such as|including)\s+"), "These include "),
    (re.compile(r",?\s+unless\s+"), "This does not apply if "),
    (re.compile(r",?\s+only (?:if|when)\s+"), "This applies only if "),
    (re.compile(r",?\s+when\s+(?!to\b)"), "This applies when "),
    (re.compile(r",?\s+if\s+(?!not\b|so\b|any\b)"), "This applies if "),
    (re.compile(r",\s+to\s+(?=(?:lower|reduce|prevent|improve|help|relieve|avoid|protect|control|ease|find|stop)\b)"),
     "This is to "),
]
# A clause cannot end on one of these: "even if", "how and when", "as if", "not only when" are one unit.
_NO_END = set("and or but nor of the a an to how even only especially particularly except as that than not with "
              "in for by from at on whether both either".split())
# The second part must have its own subject: ", and should be used …" shares the first part's subject.
_NO_START = set("should can may must will would could might is are was were has have had does do did be being "
                "shall also".split())
# After an opening phrase, these start more of the phrase, not the main clause.
_NOT_MAIN = _NO_START | set("which who whom whose where and or but including such especially particularly "
                            "that whether not in for with of on at from by to after before during".split())
_PRONOUNS = {"they", "it", "we", "you", "there"}
_NOT_A_LIST_TAIL = re.compile(r",\s+(?:and\s+)?(?:[a-z]+ed|[a-z]+ly|against|versus|vs|compared|with|without|in|for|"
                              r"to|from|at|by|on|then)\b")
_SUBORDINATE = r"(?i:if|when|whenever|although|though|because|while|unless|where|after|before|as|once|until|since)\b"
_CLAUSE_AFTER_LIST = re.compile(r",\s+(?:should|can|may|must|will|is|are|was|were|has|have|need|needs)\b")
# A verb form right after these is a noun ("the need for"), an infinitive ("to lower") or inside a relative
# clause ("cancers that have spread"): it does not make the words around it a sentence.
_NOT_BEFORE_VERB = set("""the a an this these those its their his her our your my no any some each every of for to
with by from in on at as than that which who whom whose""".split())
_LOWER_NOUNS = ("back|limbs?|legs?|risk|doses?|urinary|respiratory|abdominal|abdomen|parts?|end|levels?|than|"
                "thresholds?|targets?|grades?|bound|half|body|jaw|lip|tract|intensity|rates?|values?|numbers?")
_CLAUSE_STARTERS = set("unless if when because and but so as while since although though whether".split())
_AUXILIARIES = set("is are was were has have had should can may must will would could might does do did shall".split())
_RELATIVE = re.compile(r"\b(?:who|whom|whose|which|where)\b", re.I)
# A closing attribution ("…, as NICE advises") names a source; its verb is not the sentence's own.
_ATTRIBUTION = re.compile(r",\s+(?:as|according to|based on)\s+[^,]*$")


def has_finite_verb(text: str) -> bool:
    """Whether `text` reads as a clause: it has a finite verb (or a subject pronoun) of its own."""
    text = _ATTRIBUTION.sub("", outside_brackets(text))
    consumed = 0  # where the last relative clause's verb ended
    for m in FINITE_VERB.finditer(text):
        verb = m.group(0).lower()
        before = re.findall(r"[A-Za-z]+", text[:m.start()])
        prev = before[-1].lower() if before else ""
        # "cancers that have spread", "in whom neutropenia is expected": the relative clause's own verb (but in
        # "unless that is their preference" that is the subject).
        relative_that = prev == "that" and len(before) > 1 and before[-2].lower() not in _CLAUSE_STARTERS
        if relative_that or prev in ("which", "who", "whom", "whose") or _RELATIVE.search(text, consumed, m.start()):
            consumed = m.end()
            continue
        pronoun_subject = (prev in ("this", "that") and verb[-1] == "s") or (prev in ("these", "those")
                                                                              and verb[-1] != "s")
        if prev in _NOT_BEFORE_VERB and verb not in _AUXILIARIES and not pronoun_subject:
            continue  # "the need for", "to lower"; but "this is", "this needs", "these include" are verbs
        if verb == "lower" and re.match(r"[\s-]+(?:" + _LOWER_NOUNS + r")\b", text[m.end():], re.I):
            continue  # "severe unremitting lower back pain" has no verb
        if verb == "lower" and (prev in ("or", "and", "than", "no", "much", "even")
                                or not re.match(r"\s+[a-z]", text[m.end():])):
            continue  # "0.5 x 10^9/L or lower": a comparison, not a verb
        return True
    return False


_OPENER = re.compile(r"^(?:In|For|If|When|Where|Although|Though|After|Before|Among|During|Unless|Because|While|"
                     r"Once|Until|Since|As|With|Without|Despite|Given|Following|Compared|Among|Of)\b")




def depth_at(text: str, i: int) -> int:
    return text[:i].count("(") - text[:i].count(")")


def _cap_first(text: str) -> str:
    # "eGFR" and "pH" keep their case; an ordinary lower-case word is capitalised.
    w = re.match(r"[a-z]+\b", text)
    return text[:1].upper() + text[1:] if w else text


def _joints(sentence: str) -> list[tuple[int, int, str]]:
    """Safe places to end a sentence: (start, end, lead of the next sentence)."""
    found = []
    for rx, joint_lead in _SPLITTERS:
        for m in rx.finditer(sentence):
            left, right, lead = sentence[:m.start()], sentence[m.end():], joint_lead
            if depth_at(sentence, m.start()) or word_count(left) < 6 or word_count(right) < 5:
                continue
            # "… skeletal-related events: fracture, cord compression, …" names the things just mentioned; the list
            # becomes a sentence of its own only with a verb: "These are fracture, …".
            if (m.group(0).startswith(":") and not has_finite_verb(right)
                    and not re.search(r"\b(?:including|include|includes|such as|are|is|of|with)\s*$", left)
                    and re.search(r"\b(?:[a-z]{2,}[^su\W]s|following)\b(?:\W+\w+){0,3}\W*$", left)):
                lead = "These are "
            last = re.findall(r"[A-Za-z]+", left)[-1].lower()
            first = right.split(None, 1)[0].lower()
            if last in _NO_END or (lead in ("", "and") and first in _NO_START):
                continue
            # Each part must be a sentence of its own: "… 6 months, and longer for people at higher risk" or
            # "…: peak flow below 33%, oxygen below 92%" leaves a fragment with no verb.
            # (The first part starts the sentence; opening phrases and subordinate clauses are checked below.)
            # (", which represents …" always goes on with a verb, though not always one this module knows.)
            if lead not in ("These include ", "These are ", "This is to ", "This ", "These ") and not has_finite_verb(
                    right):
                continue
            # ", and says not to add …", ", and added …": a verb that goes with the first part's subject has no
            # subject here (after "; " or ": " a plain verb is an instruction: "…: refer immediately").
            if first not in _PRONOUNS and lead in ("", "and", "But ", "So ", "Then ") and (
                    (FINITE_VERB.fullmatch(first) and (first.endswith("s") or lead in ("and", "But ", "So ")))
                    or (first.endswith("ed") and lead != "")):
                continue
            # ", and certainly within 4 hours": without a verb of its own the rest is not a sentence.
            if lead in ("and", "So ", "Then ") and (
                    not FINITE_VERB.search(outside_brackets(right)) or re.search(r",\s+or\s", right)):
                continue
            if first.endswith("ly") and lead in ("", "and", "But "):
                continue
            # "…, so creating a gap": a participle phrase has no subject of its own.
            if first.endswith("ing") and lead != "These include ":
                continue
            # "After surgery, if X is achieved, …": the part before the joint is still a subordinate clause.
            if re.match(_SUBORDINATE, re.split(r"[,;:]\s", outside_brackets(left))[-1].strip()):
                continue
            # "In people with X, which …, give Y": the opening phrase has not reached its main clause yet.
            if _OPENER.match(left) and "," not in outside_brackets(left):
                continue
            # ", and" after a list ("A, B, and C") joins list items, not clauses: not safe to split.
            if lead == "and" and "," in outside_brackets(left):
                continue
            # "Offer A first, B if X, and C if Y": a condition of one list item, not of the whole sentence.
            if lead.startswith(("This applies", "This does not")):
                tail = re.split(r"[,:]\s", outside_brackets(left))[-1].strip()
                # "start X unless contraindicated, and get Y", "…, and get an MRI within 24 hours when …": the
                # condition belongs to one item of a list.
                if (not FINITE_VERB.search(tail) or tail.startswith(("to ", "and ", "or "))
                        or re.search(r",\s+(?:and|or|with|without|then|plus)\b", outside_brackets(right))
                        or re.search(r"\beither\b", left)):
                    continue
            # "People with signs, such as fever or rigors, should be referred": the list sits inside the subject.
            # "…, including spinal lesions, against standard care, and reported …": the inclusion is an aside and
            # the sentence goes on after it.
            if lead == "These include " and (re.search(r"\b(?:and|or)\s*$", left) or _CLAUSE_AFTER_LIST.search(right)
                                             or FINITE_VERB.search(outside_brackets(right))
                                             or _NOT_A_LIST_TAIL.search(outside_brackets(right))
                                             or ":" in outside_brackets(left)):  # an example within a list item
                continue
            found.append((m.start(), m.end(), lead))
    return found


def _population_opener(sentence: str) -> tuple[str, str, str] | None:
    """'For/In <who>, <main clause>' → (who, main clause, preposition); the opening phrase may hold commas."""
    m = re.match(r"^(In|For|Among)\s+", sentence)
    if not m:
        return None
    for comma in re.finditer(r",\s+", sentence):
        if depth_at(sentence, comma.start()):
            continue
        who, rest = sentence[m.end():comma.start()], sentence[comma.end():]
        if re.match(r"(?:more|further)\b|(?:information|details)\b", who):
            return None  # "For more information, see …" names no one
        chunk = rest.split(",", 1)[0]
        if not chunk or chunk.split(None, 1)[0] in _NOT_MAIN or not chunk[:1].islower() and not chunk[:1].isupper():
            continue
        # "spinal pain that should raise suspicion … includes …" is the main clause (its verb is outside the
        # relative clause); "a drug that lowers blood pressure" is more of the opening phrase.
        if not has_finite_verb(chunk):
            continue
        # "For adults with acute leukaemia, stem cell transplants or solid tumours in whom …": the list of the
        # opening phrase goes on; cutting here would move its qualifier into another sentence.
        if _LIST_GOES_ON.match(chunk):
            return None
        if word_count(who) >= 4 and word_count(rest) >= 6:
            return who, rest, m.group(1)
        return None
    return None


_LIST_GOES_ON = re.compile(r"^[a-z][\w\s-]*?\s(?:or|and|and/or)\s[\w\s-]+?\s(?:in whom|who|whose|with|without)\b")
_INCLUDE_LIST = re.compile(r"^(?P<head>.+?\b(?P<verb>includes?))\s*:?\s+(?P<items>[^;:]+?)(?P<end>[.!?]?)$")


def _split_list(sentence: str) -> list[str] | None:
    """'A includes w, x, y and z.' → 'A includes w and x.', 'It also includes y and z.' (4+ items, an 'and' list)."""
    m = _INCLUDE_LIST.match(sentence.strip())
    if not m or depth_at(sentence, m.start("items")):
        return None
    items = [i.strip() for i in re.split(r",\s+(?![^()]*\))", m.group("items"))]
    # Short items only: a long last item may end in a phrase that qualifies the whole list ("… in people with X").
    if (len(items) < 4 or not items[-1].startswith("and ") or any(FINITE_VERB.search(i) for i in items)
            or max(word_count(i) for i in items[:-1]) > 6 or word_count(items[-1]) > 7):
        return None
    items[-1] = items[-1][4:]
    half = len(items) // 2
    first, second = items[:half], items[half:]

    def join(xs: list[str]) -> str:
        return xs[0] if len(xs) == 1 else ", ".join(xs[:-1]) + " and " + xs[-1]

    again = "It also includes" if m.group("verb") == "includes" else "They also include"
    return [f"{m.group('head')} {join(first)}.", f"{again} {join(second)}."]


def split_long_sentence(sentence: str, limit: int = LONG_SENTENCE_WORDS) -> list[str]:
    """Split a sentence of more than `limit` words at safe joints ('; ', ', but', ', which', ' when' …).

    Every word is kept in order; only joining words change ("when" → "This applies when"), and a long opening
    population ("For adults over 80 with …, offer …") becomes its own sentence ("This is for adults …").
    """
    if word_count(sentence) <= limit:
        return [sentence]
    found = _joints(sentence)
    if not found:
        listed = _split_list(sentence)
        if listed:
            return listed
        opener = _population_opener(sentence)
        if opener:
            who, rest, prep = opener
            about = "This is for" if prep == "For" else "This is about"
            return [f"{about} {who}."] + split_long_sentence(_cap_first(rest), limit)
        return [sentence]
    mid = len(sentence) / 2
    a, b, lead = min(found, key=lambda j: abs(j[0] - mid))
    left = sentence[:a].rstrip(" ,;:") + "."
    rest = sentence[b:]
    right = lead + rest if lead and lead != "and" else _cap_first(rest)
    return split_long_sentence(left, limit) + split_long_sentence(right, limit)


def split_text(text: str) -> str:
    out = []
    for sent in split_sentences(text):
        out.extend(split_long_sentence(sent, PATIENT_SPLIT_WORDS))
    return " ".join(out)
