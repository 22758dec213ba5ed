"""The one clinical-text kernel: sentence spans, tokens and stems, word lists, numbers with comparator and unit,
negation and direction words, hyphen repair. Every module that reads text uses these, so all read it alike.

- Sentences: `sentence_spans(text)` → [(start, end)], `split_sentences(text)` → [str] (whitespace collapsed,
  line-break hyphens repaired), `collapse_space(text)`.
- Words: `tokens`, `stem` (coarse: metastasis ≈ metastatic), `singular` (plurals only, for phrase keys),
  `content_stems` (stems of the words that carry content), `normal_words`, `quoted_in`, `word_count`,
  `has_verb` (a statement, not a heading or a list), `FINITE_VERB`, `outside_brackets`.
- Word lists: `FILLER_WORDS` (no content), `QUERY_STOP_WORDS` (a search can do without), `NEGATION_WORDS`,
  `QUESTION_FRAME_WORDS`.
- Numbers: `quantities(text)` → [Quantity(value, unit, comparator, upper)], `numbers_of` → {(value, unit)},
  `numbers_as_written`, `has_dose`, `fold_unit`, `UNITS`, `UNIT_PATTERN`, `DOSE_UNITS`, `COUNTED`, `COMPARATORS`.
- Polarity: `has_negation`, `directions`, `flipped_directions(statement, source)`, `DIRECTION_AXES`.
- Hyphens: `repair_hyphens` ("first-\\nline" → "first-line").
"""

from medoracle.text.hyphens import repair_hyphens
from medoracle.text.numbers import (
    COMPARATORS,
    COUNTED,
    DOSE_UNITS,
    UNIT_PATTERN,
    UNITS,
    Quantity,
    fold_unit,
    has_dose,
    numbers_as_written,
    numbers_of,
    quantities,
)
from medoracle.text.polarity import DIRECTION_AXES, directions, flipped_directions, has_negation, without_quantities
from medoracle.text.sentences import collapse_space, sentence_spans, split_sentences
from medoracle.text.wordlists import FILLER_WORDS, NEGATION_WORDS, QUERY_STOP_WORDS, QUESTION_FRAME_WORDS
from medoracle.text.words import (
    FINITE_VERB,
    content_stems,
    has_verb,
    normal_words,
    outside_brackets,
    quoted_in,
    singular,
    stem,
    tokens,
    word_count,
)

__all__ = [
    "COMPARATORS", "COUNTED", "DIRECTION_AXES", "DOSE_UNITS", "FILLER_WORDS", "FINITE_VERB", "NEGATION_WORDS",
    "QUERY_STOP_WORDS", "QUESTION_FRAME_WORDS", "Quantity", "UNITS", "UNIT_PATTERN", "collapse_space",
    "content_stems", "directions", "flipped_directions", "fold_unit", "has_dose", "has_negation", "has_verb",
    "normal_words", "numbers_as_written", "numbers_of", "outside_brackets", "quantities", "quoted_in",
    "repair_hyphens", "sentence_spans", "singular", "split_sentences", "stem", "tokens", "without_quantities",
    "word_count",
]
