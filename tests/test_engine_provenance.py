"""GDPR art. 5, 6, 7(1), 14: where the data came from."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from tests.builders import case, codes, collected, email_consent, run


def scraped(**fields: Any) -> dict[str, Any]:
    return collected("2024-01-31", **{"method": "scraping", "informed": False, **fields})


def test_scraping_against_the_terms() -> None:
    decision = run(
        case(
            "2024-06-01T10:00:00+02:00",
            history=[scraped(terms_forbid_reuse=True), email_consent("2024-02-01")],
        )
    )
    assert codes(decision) == {"PROVENANCE-TERMS-FORBID", "PROVENANCE-NOT-INFORMED"}


def test_public_data_is_no_consent() -> None:
    decision = run(case("2024-06-01T10:00:00+02:00", history=[scraped(informed=True)]))
    assert codes(decision) == {"PROSPECT-NO-CONSENT"}


class TestArticle14Month:
    """Indirect collection: inform within one month (clamped: 31 Jan + 1 month = 29 Feb 2024)."""

    history: ClassVar[list[dict[str, Any]]] = [
        collected("2024-01-31", method="enrichment", informed=False),
        email_consent("2024-01-31"),
    ]

    def test_within_the_month_with_the_obligation(self) -> None:
        decision = run(case("2024-02-28T23:59:59+01:00", history=self.history))
        assert decision.allowed and decision.basis == "CONSENT"
        assert "OBL-ART14-INFORM" in {o.code for o in decision.obligations}
        assert decision.expires_at is not None
        assert decision.expires_at.isoformat() == "2024-02-29T00:00:00+01:00"

    def test_blocked_from_the_first_instant_after(self) -> None:
        decision = run(case("2024-02-29T00:00:00+01:00", history=self.history))
        assert codes(decision) == {"PROVENANCE-NOT-INFORMED"}

    def test_informed_later_cures_it_from_then_on(self) -> None:
        history = [
            collected("2024-01-31", method="enrichment", informed=False, informed_at="2024-03-10"),
            email_consent("2024-01-31"),
        ]
        assert not run(case("2024-03-09T12:00:00+01:00", history=history)).allowed
        assert run(case("2024-03-10T00:00:00+01:00", history=history)).allowed

    def test_direct_collection_needs_no_art14_information(self) -> None:
        history = [
            collected("2024-01-31", method="form", informed=False),
            email_consent("2024-01-31"),
        ]
        decision = run(case("2024-06-01T10:00:00+02:00", history=history))
        assert decision.allowed and not [
            o for o in decision.obligations if o.code == "OBL-ART14-INFORM"
        ]

    def test_latest_collection_is_what_counts(self) -> None:
        history = [
            collected("2023-01-01", method="scraping", informed=False),
            collected("2023-06-01", method="form"),
            email_consent("2023-06-01"),
        ]
        assert run(case("2024-01-01T10:00:00+01:00", history=history)).allowed


class TestBoughtLists:
    def bought(self, **fields: Any) -> list[dict[str, Any]]:
        base = {
            "partner_consent": True,
            "partners_named": True,
            "consent_proof": True,
            "informed": True,
        }
        base.update(fields)
        return [
            email_consent("2017-04-02", sender="shop"),
            collected("2017-04-20", method="list_purchase", **base),
        ]

    def test_sound_list_with_consent_collected_for_the_buyer(self) -> None:
        assert run(case("2019-05-10T10:00:00+02:00", history=self.bought())).basis == "CONSENT"

    @pytest.mark.parametrize("missing", ["partner_consent", "partners_named"])
    def test_partners_must_be_named_and_consented(self, missing: str) -> None:
        decision = run(case("2019-05-10T10:00:00+02:00", history=self.bought(**{missing: False})))
        # The consent the broker collected for the buyer does not count either.
        assert codes(decision) == {"PROVENANCE-NO-PARTNER-CONSENT", "PROSPECT-NO-CONSENT"}

    def test_proof_required_from_the_gdpr(self) -> None:
        history = self.bought(consent_proof=False)
        before = run(case("2018-05-24T23:59:59+02:00", history=history))
        assert before.allowed and before.basis == "CONSENT"
        after = run(case("2018-05-25T00:00:00+02:00", history=history))
        assert codes(after) == {"CONSENT-NO-PROOF", "PROSPECT-NO-CONSENT"}
        assert after.reasons[-1].citation == "RGPD art. 7(1)"

    def test_a_consent_the_buyer_collected_itself_afterwards_counts(self) -> None:
        history = [*self.bought(partners_named=False), email_consent("2019-01-01")]
        decision = run(case("2019-05-10T10:00:00+02:00", history=history))
        assert codes(decision) == {"PROVENANCE-NO-PARTNER-CONSENT"}


class TestPurposeDiversion:
    def test_political_file_for_commerce(self) -> None:
        history = [collected("2021-11-02", method="regular_contact", purpose="political")]
        decision = run(case("2022-09-01T10:00:00+02:00", history=history))
        assert "PROVENANCE-PURPOSE-DIVERSION" in codes(decision)

    @pytest.mark.parametrize("method", ["hr_file", "public_sector_file"])
    def test_administrative_and_hr_files_for_politics(self, method: str) -> None:
        history = [
            collected("2021-11-02", method=method, purpose="service"),
            email_consent("2021-11-02", purpose="political"),
        ]
        request = {"action": "contact", "channel": "email", "purpose": "political"}
        decision = run(case("2022-03-01T10:00:00+01:00", request=request, history=history))
        assert "PROVENANCE-PURPOSE-DIVERSION" in codes(decision)

    def test_pre_gdpr_citation(self) -> None:
        history = [collected("2010-11-02", method="regular_contact", purpose="political")]
        decision = run(case("2012-09-01T10:00:00+02:00", history=history))
        diversion = next(r for r in decision.reasons if r.code == "PROVENANCE-PURPOSE-DIVERSION")
        assert diversion.citation.startswith("Loi n° 78-17")
