"""The words of a question that frame it or name whom it is about, as against the subject an answering sentence
must speak of: the extractive composer weighs the first two a quarter and never requires them."""

from __future__ import annotations

import re

from medoracle.text import QUESTION_FRAME_WORDS, content_stems

__all__ = ["ASKS_DOSE", "FRAME", "POPULATION_WORDS"]

# Words that frame a question rather than name its subject; they count a quarter.
# "What medicines help …", "the best way to …", "when should X be offered", "go to hospital": a question frames
# itself with these too; as subject words they would have to stand in the answering sentence, though "metformin"
# answers "which drug" and "NICE advises X" answers "when should X be offered".
FRAME = frozenset(content_stems(" ".join(QUESTION_FRAME_WORDS) + " start starting started begin choice every get gets "
                                 "getting receive help helps drug drugs medicine medicines medication medications "
                                 "offer offered offering way ways go goes going "
                                 # "how soon" is the timing asked (`fit.satisfies`): "within 1 hour" answers it
                                 "soon quickly timing happen happens happening "
                                 # what is asked about the condition, which a sentence on it says in its own
                                 # words ("What is the outlook for tremor?": "most people …";
                                 # "the genetic changes related to X": "mutations in the … gene")
                                 "outlook prognosis genetic changes change "
                                 # "what glucose level defines DKA": "glucose of 200 mg/dL or more" is its answer
                                 "level levels define defines defined definition definitions criteria criterion"))
ASKS_DOSE = re.compile(r"\bdos(?:e|es|ing|age)\b|\bhow much\b|\bhow many (?:mg|milligrams|units|fractions)\b",
                       re.IGNORECASE)
POPULATION_WORDS = frozenset(content_stems(
    "pregnancy pregnant breastfeeding children child infants adults adult elderly older women men aged years "
    "grade severe mild moderate acute stable exacerbation exacerbations flare flares flareup attack attacks patient "
    "patients year old non baby babies newborn week weeks month months hospital "
    "adolescent adolescents teenager teenagers teen teens youth neonate neonates "
    # family origin, which `fit` reads as the origin slot ("in a Black African man")
    "black african caribbean afro origin ethnicity ethnic "
    # a carer names whom they ask for ("my grandmother has delirium"): who, not what the answer must say
    "mum mother mom dad father grandmother grandfather grandma grandad son daughter husband wife partner toddler"))
