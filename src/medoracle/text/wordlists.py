"""Named word lists: words that carry no content, words of a question's frame, and negation cues."""

from __future__ import annotations

__all__ = ["FILLER_WORDS", "QUERY_STOP_WORDS", "NEGATION_WORDS", "QUESTION_FRAME_WORDS"]

# Words that say nothing about the clinical content of a sentence: function words and filler. Used when two
# texts are compared for what they say (composer ranking, verifier coverage). Negation and direction words are
# among them because coverage ignores them; they are compared on their own (`polarity`), since they change meaning.
FILLER_WORDS: frozenset[str] = frozenset("""
a about above after again against all also am an and any are as at be because been before being below between
both but by can could did do does doing down during each either few for from further had has have having he her
here hers him his how i if in into is it its itself just me more most my no nor not of off on once only or other
our out over own same she should so some such than that the their them then there these they this those through
to too under until up very was we were what when where which while who whom why will with would you your yours
may might must shall also well whether within without per via among upon based using used use include includes
including one two three several many much however therefore thus although though yet still either etc eg ie
already ever even really actually quite rather please
""".split())

# Words a question can do without when searching. Clinical nouns that name what is asked about (treatment,
# management, dose, diagnosis, symptoms, risk, prognosis …) are deliberately NOT here: they pick the passage
# that answers (a dosing table rather than a diagnosis section), and BM25's IDF already weighs them below disease
# and drug names. Only function words, question words and conversational filler.
QUERY_STOP_WORDS: frozenset[str] = frozenset("""
a about above across after again against all almost along already also although always am among an and
another any anyone anything are around as at be because been before being below between both but by can
cannot could did do does doing done during each either else etc even ever every everyone everything few
for from further get gets getting got had has have having he her here hers herself him himself his how
however i ie eg if in into is it its itself just least less let like likely made make makes many may me
might more most much must my myself neither nobody of off often ok okay on once one ones only onto or
other others otherwise our ours ourselves out over own per perhaps please quite rather really regarding
same shall she should since so some somebody someone something sometimes still such than that the their
theirs them themselves then there therefore these they thing things this those though through thus to
too toward towards under until up upon us use used using very via vs versus want wants was way ways we
well were what whatever when whenever where whereas wherever whether which while who whoever whom whose
why will with within would yes yet you your yours yourself yourselves
tell explain describe know list give best currently generally usually kind kinds s t
""".split())

# Kept as search terms (they change the meaning of a question) and used as negation cues.
NEGATION_WORDS: frozenset[str] = frozenset({"no", "not", "without", "never", "nor", "none"})

# Words that frame a question rather than name its subject ("what is the recommended management of …"), and the
# guideline bodies a question may name ("USPSTF statin …"): whose advice is wanted, not what it is about.
QUESTION_FRAME_WORDS: tuple[str, ...] = tuple("""
what which how recommended recommendation recommendations management manage managed options option best
approach approaches current guideline guidelines evidence role treatment treatments treat treated therapy
therapies patients patient people adults adult indications indicated first line effective effect effects
should done given need needed know tell explain difference differences does mean causes cause first-line
second-line third-line used use recommended associated related induced based dependent
list name main major kinds examples function functions aim purpose mechanism mechanisms action describe briefly
uspstf nice asco esmo idsa ats aha acc esc ada kdigo gina bts rcog astro ukhsa jbds rcuk
""".split())
