"""kb3's topics answer the questions clinicians ask first, in full words and in shorthand (issue 16).

Each question must be answered, not abstained, with a key fact a specialist would expect somewhere in the
answer (bottom line or statements). The facts are checked as patterns, not exact wording, because question
understanding and sentence selection are still changing.
"""

from __future__ import annotations

import pytest
from testdata import assert_answers_with

from medoracle.kb import TOPIC_PAGE, kb_root, read_front_matter
from medoracle.service import Clinic
from medoracle.settings import Settings

KB3_TOPICS = ["epilepsy", "pre-eclampsia", "fever-in-under-5s", "bronchiolitis", "opioid-overdose",
              "alcohol-withdrawal", "delirium", "gestational-diabetes", "hypothyroidism", "osteoporosis",
              "smoking-cessation", "dementia", "anxiety-disorders", "venous-leg-ulcers"]

SHORTHAND_PENDING = ("'not tolerated' is not yet read as the card's 'adverse effects of bisphosphonates': the "
                     "composer abstains, as no sentence holds 'tolerated'")

# (question, pattern every answer must contain somewhere, xfail reason or None)
CASES: list[tuple[str, str, str | None]] = [
    # epilepsy / status epilepticus
    ("How should convulsive status epilepticus be treated?", r"midazolam|lorazepam|benzodiazepine", None),
    ("mx of status epilepticus", r"midazolam|lorazepam|benzodiazepine", None),
    ("SE treatment", r"midazolam|lorazepam|benzodiazepine", None),
    ("What second-line drug is used when status epilepticus continues after benzodiazepines?",
     r"levetiracetam|fosphenytoin|valproate", None),
    ("Which antiseizure medicine is first line for generalised tonic-clonic seizures?",
     r"lamotrigine|levetiracetam", None),
    ("Can sodium valproate be used in women with epilepsy who could become pregnant?",
     r"pregnancy prevention|2 specialists|childbearing", None),
    # pre-eclampsia
    ("How is pre-eclampsia managed?", r"135/85|160/110", None),
    ("What dose of aspirin prevents pre-eclampsia and when should it start?", r"75 mg|150 mg|81 mg", None),
    ("PET aspirin", r"75 mg|150 mg|81 mg", None),  # the topic's acronym before the general table's (a PET scan)
    ("Does magnesium sulfate prevent eclampsia?", r"58%|halves|eclampsia", None),
    ("What symptoms of pre-eclampsia need urgent assessment?", r"headache|vision|below the ribs", None),
    ("BP target in pre-eclampsia", r"135/85", None),
    # fever in under-5s
    ("How should a child under 5 with fever be assessed?", r"traffic light|red|amber", None),
    ("fever in a 6 week old baby", r"38\s?°C|3 months", None),
    ("Should paracetamol and ibuprofen be given together to a child with fever?",
     r"same time|simultaneous|both", None),
    ("Do antipyretics prevent febrile convulsions?", r"do not prevent|not be given for that purpose", None),
    ("abx for fever without source in under 5s", r"oral antibiotics", None),
    # bronchiolitis
    ("How is bronchiolitis in infants managed?", r"supportive|salbutamol", None),
    ("When should a baby with bronchiolitis be referred to hospital?", r"apnoea|70 breaths|60 breaths", None),
    ("Should steroids or salbutamol be given for bronchiolitis?", r"advises against|corticosteroids", None),
    ("O2 sats threshold bronchiolitis", r"90%|92%", None),
    ("oxygen saturation threshold in bronchiolitis", r"90%|92%", None),
    # opioid overdose
    ("How is an opioid overdose managed?", r"naloxone", None),
    ("What dose of naloxone is used for opioid overdose?", r"0\.4 mg", None),
    ("naloxone dose", r"0\.4 mg", None),
    ("Should naloxone be given in cardiac arrest from opioid overdose?", r"CPR", None),
    ("Who should be given take-home naloxone?", r"witness", None),
    # alcohol withdrawal
    ("How is acute alcohol withdrawal treated?", r"benzodiazepine|carbamazepine", None),
    ("tx alcohol withdrawal", r"benzodiazepine|carbamazepine", None),
    ("What is the treatment of delirium tremens?", r"lorazepam", None),
    ("Should phenytoin be used for alcohol withdrawal seizures?", r"not offering phenytoin|benzodiazepine", None),
    ("When should thiamine be given to prevent Wernicke's encephalopathy?", r"thiamine", None),
    ("Who needs admission for alcohol withdrawal?", r"seizures|delirium tremens|under 16", None),
    # delirium
    ("How should delirium in an older inpatient be managed?", r"cause|haloperidol", None),
    ("What are the risk factors for delirium?", r"65|hip fracture|dementia", None),
    ("Is haloperidol used for agitated delirium?", r"haloperidol", None),
    ("How can delirium be prevented in hospital?", r"multicomponent|familiar", None),
    ("delirium screening tool", r"4AT", None),
    # gestational diabetes
    ("How is gestational diabetes diagnosed?", r"5\.6 mmol|7\.8 mmol", None),
    ("GDM diagnosis thresholds", r"5\.6 mmol|7\.8 mmol", None),
    ("What are the blood glucose targets in gestational diabetes?", r"5\.3 mmol", None),
    ("When is metformin or insulin started in gestational diabetes?", r"metformin|insulin", None),
    ("What follow-up is needed after gestational diabetes?", r"6 to 13 weeks|HbA1c", None),
    # hypothyroidism
    ("What is the starting dose of levothyroxine for hypothyroidism?", r"1\.6 micrograms|25 to 50", None),
    ("levothyroxine dose in elderly", r"25 to 50", None),
    ("When should subclinical hypothyroidism be treated?", r"10 mIU", None),
    ("How often should TSH be monitored on levothyroxine?", r"3 months|once a year", None),
    ("How is hypothyroidism treated in pregnancy?", r"doubled|specialist", None),
    # osteoporosis
    ("What is the first-line treatment for postmenopausal osteoporosis?", r"bisphosphonate", None),
    ("Who should be screened for osteoporosis?", r"65", None),
    ("osteoporosis tx if bisphosphonates not tolerated", r"denosumab", SHORTHAND_PENDING),
    ("What happens to bone density when denosumab is stopped?", r"fade|bisphosphonate", None),
    ("Should men be screened for osteoporosis?", r"insufficient", None),
    # smoking cessation
    ("How should clinicians help adults stop smoking?", r"behavio|pharmacotherapy|varenicline", None),
    ("Which medicines help people stop smoking?", r"varenicline|bupropion|nicotine replacement", None),
    ("Can e-cigarettes be used to quit smoking?", r"e-cigarettes", None),
    ("smoking cessation in pregnancy", r"behavio", None),
    ("Who should not take bupropion?", r"seizures|under 18", None),
    ("What are the side effects of bupropion?", r"insomnia|anxiety", None),
    # dementia
    ("What drugs are used for Alzheimer's disease?", r"donepezil|galantamine|rivastigmine", None),
    ("When is memantine used in dementia?", r"memantine", None),
    ("Should antipsychotics be used for agitation in dementia?", r"harm|severe distress|6 weeks", None),
    ("antipsychotics in dementia", r"harm|severe distress|6 weeks", None),
    ("What information should be given at a dementia diagnosis?", r"DVLA|driving|subtype", None),
    # anxiety disorders
    ("What is the treatment for generalised anxiety disorder?", r"sertraline|CBT|self-help", None),
    ("GAD first line drug", r"sertraline", None),
    ("Should benzodiazepines be used for generalised anxiety disorder?", r"crisis", None),
    ("Should adults be screened for anxiety?", r"64 years|screening", None),
    # venous leg ulcers
    ("How is a venous leg ulcer managed?", r"compression|ABPI", None),
    ("What ABPI is safe for compression bandaging?", r"0\.8", None),
    ("VLU compression ABPI", r"0\.8", None),
    ("Does early endovenous ablation help venous ulcer healing?", r"56|faster|1\.42", None),
    ("When should a leg ulcer have a biopsy?", r"non-healing|atypical", None),
]


@pytest.fixture(scope="module")
def kb_clinic(tmp_path_factory: pytest.TempPathFactory) -> Clinic:
    data_dir = tmp_path_factory.mktemp("medoracle-home-kb3")
    return Clinic.build(Settings(data_dir=str(data_dir)))


def _params() -> list:
    out = []
    for question, pattern, pending in CASES:
        marks = [pytest.mark.xfail(reason=pending, strict=False)] if pending else []
        out.append(pytest.param(question, pattern, marks=marks, id=question))
    return out


@pytest.mark.parametrize("question,pattern", _params())
def test_question_is_answered_with_the_key_fact(kb_clinic: Clinic, question: str, pattern: str) -> None:
    assert_answers_with(kb_clinic.answer(question), pattern)


@pytest.mark.parametrize("topic", KB3_TOPICS)
def test_topic_has_the_cards_a_specialist_expects(topic: str) -> None:
    cards = [p for p in (kb_root() / topic).glob("*.md") if p.name != TOPIC_PAGE]
    assert 5 <= len(cards) <= 9, f"{topic} has {len(cards)} cards"
    metas = [read_front_matter(p)[0] for p in cards]
    # A bottom line, and the facts were read somewhere that can be revisited, in plain words for patients too.
    assert sum(m["facet"] == "bottom_line" for m in metas) == 1
    for path, meta in zip(cards, metas):
        assert str(meta["checked_at"]["url"]).startswith("http"), path.name
        assert str(meta.get("plain") or "").strip(), path.name
