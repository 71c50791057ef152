"""Seniority and department from job titles, in the languages syncd reads."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from enrichment.titles import department, seniority


@pytest.mark.parametrize(("title", "level", "function"), [
    ("Chief Executive Officer", "c-level", "executive"),
    ("CFO", "c-level", "finance"),
    ("Co-Founder & CTO", "c-level", "engineering"),
    ("Geschäftsführerin", "c-level", "executive"),
    ("Managing Partner", "c-level", "executive"),
    ("Directeur Général", "c-level", "executive"),
    ("Vice President, Sales EMEA", "vp", "sales"),
    ("SVP Marketing", "vp", "marketing"),
    ("Head of Procurement", "vp", "procurement"),
    ("Leiterin Einkauf", "vp", "procurement"),
    ("Vertriebs-Leiter", "vp", "sales"),
    ("Directrice Financière", "director", "finance"),
    ("Direttore Commerciale", "director", "sales"),
    ("営業部長", "director", "sales"),
    ("Key Account Manager", "manager", "sales"),
    ("Gerente de Ventas", "manager", "sales"),
    ("Responsable des achats", "manager", "procurement"),
    ("Team Lead, Customer Support", "manager", "customer success"),
    ("Senior Software Engineer", "individual", "engineering"),
    ("Paralegal", "individual", "legal"),
    ("Accountant", "individual", "finance"),
    ("Executive Assistant to the CEO", "individual", None),
    ("HR Business Partner", "individual", "human resources"),
    ("Product Owner", "individual", "product"),
    ("Channel Partner Manager", "manager", None),
])
def test_titles(title: str, level: str, function: str | None) -> None:
    assert (seniority(title), department(title)) == (level, function)


def test_words_inside_other_words_do_not_count() -> None:
    assert department("Senior Auditor") is None  # "it" is not IT
    assert seniority("Vicepresidente Ventas") == "vp"
    assert department("Personal Assistant") is None


def test_no_title() -> None:
    assert seniority(None) is None and department(None) is None
    assert seniority("  ") is None and department("") is None


@given(st.text(max_size=80))
def test_any_text_gets_a_known_answer(title: str) -> None:
    assert seniority(title) in {None, "c-level", "vp", "director", "manager", "individual"}
    assert department(title) is None or isinstance(department(title), str)
