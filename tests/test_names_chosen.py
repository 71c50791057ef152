"""Which of the names a contact was written with it is shown under, and what the names
colleagues wrote say of a pair: pure functions over observations and keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from enrichment.identity import IdentityRules, parse_nicknames, score
from syncd.lists import bundled_text
from syncd.store.derive import Candidate, best_values
from syncd.store.identity import contact_evidence

DAY = datetime(2026, 3, 1, tzinfo=UTC)


def name(value: str, method: str, confidence: float, days: int = 0) -> tuple[str, Candidate]:
    return "full_name", Candidate(value, method, confidence, DAY + timedelta(days=days))


@pytest.mark.parametrize(("emails", "names", "shown"), [
    # a correspondent's typo, newer, loses to what the person's own client sends
    (["diana.mercer@ex.de"], [name("Diana Mercer", "display_name", 0.5),
                              name("Diana Mrecer", "addressed_as", 0.4, days=9)],
     "Diana Mercer"),
    # among correspondents' spellings, the one the address spells
    (["carol.smith@ex.com"], [name("Carol Smith", "addressed_as", 0.4),
                              name("Carol Smih", "addressed_as", 0.4, days=9)], "Carol Smith"),
    (["tammy.duncan@ex.com"], [name("Tmmy Duncan", "addressed_as", 0.4, days=9),
                               name("Tammy Duncan", "address", 0.2)], "Tammy Duncan"),
    # a full given name over an initial, whoever wrote it
    (["jessica-rice@ex.com"], [name("J. Rice", "display_name", 0.5, days=9),
                               name("J. Rice", "signature", 0.7, days=9),
                               name("Jessica Rice", "address", 0.2)], "Jessica Rice"),
    # an assistant signing with the executive's block: the address names someone else
    (["gabriella.flynn@ex.com.au"], [name("Amanda Owens", "signature", 0.7, days=9),
                                     name("Gabriella Flynn", "display_name", 0.5)],
     "Gabriella Flynn"),
    # ... but a signature beats the From header when the address agrees or says nothing
    (["bob.smith@ex.com"], [name("Robert Smith", "signature", 0.7),
                            name("Bob Smith", "display_name", 0.5, days=9)], "Robert Smith"),
    (["jdoe@ex.com"], [name("John Doe", "signature", 0.7),
                       name("Johnny Doe", "display_name", 0.5, days=9)], "John Doe"),
    # umlauts written out are the same name, not another person's
    (["bjoern.juettner@ex.de"], [name("Björn Jüttner", "display_name", 0.5),
                                 name("Bjoern Juettner", "address", 0.2, days=9)],
     "Björn Jüttner"),
    # set by hand wins over everything
    (["diana.mercer@ex.de"], [name("Diana Mercer", "signature", 0.7, days=9),
                              name("Dee Mercer", "manual", 1.0)], "Dee Mercer"),
])
def test_the_name_shown(emails: list[str], names: list[tuple[str, Candidate]],
                        shown: str) -> None:
    assert best_values(names, emails)["full_name"] == shown
    assert best_values(reversed(names), emails)["full_name"] == shown  # order-free


def test_other_fields_rank_by_source_then_recency() -> None:
    titles = [("job_title", Candidate("CTO", "signature", 0.7, DAY)),
              ("job_title", Candidate("VP", "signature", 0.7, DAY + timedelta(days=1))),
              ("job_title", Candidate("Intern", "website", 0.5, DAY + timedelta(days=9)))]
    assert best_values(titles, ["x@ex.com"]) == {"job_title": "VP"}


RULES = IdentityRules(nicknames=parse_nicknames(bundled_text("lists/nicknames.txt")),
                      subaddress_domains=frozenset())
KEYS = {"name:7|martinez|anthony", "person:martinez|anthony"}


def test_a_name_colleagues_write_is_the_name_at_the_account() -> None:
    """tony.martinez@ shows "Tony Martinez"; colleagues address it "Anthony Martinez",
    which is anthony.martinez@'s very name at that company."""
    emails = (["tony.martinez@ex.com"], ["anthony.martinez@ex.com"])
    names = ("Tony Martinez", "Anthony Martinez")
    alone = contact_evidence(RULES, (KEYS, KEYS), emails, names)
    written = contact_evidence(RULES, (KEYS, KEYS), emails, names,
                               known_as=(["Tony Martinez", "Anthony Martinez"],
                                         ["Anthony Martinez"]))
    assert {e.kind for e in alone} == {"nickname_at_account", "address_fits_name"}
    assert score(alone) < RULES.auto_merge <= score(written)
    assert {e.kind for e in written} == {"name_at_account", "address_fits_name"}
