"""Words a question can do without when searching, and the words that negate (kept, since they change meaning)."""

from __future__ import annotations

# Clinical nouns that name what is asked about (treatment, management, dose, diagnosis, symptoms, risk,
# prognosis …) are deliberately NOT stop words: they pick the passage that answers (a dosing table rather
# than a diagnosis section), and BM25's IDF already weighs them below disease and drug names.
# Only function words, question words and conversational filler go here.
STOP_WORDS: frozenset[str] = frozenset("""
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

# Kept as search terms (they change the meaning of the question) and used as negation cues.
NEGATION_WORDS: frozenset[str] = frozenset({"no", "not", "without", "never", "nor", "none"})
