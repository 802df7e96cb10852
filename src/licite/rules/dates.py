"""The dates on which the rules change, each with the text that set it.

Every date is 00:00 Europe/Paris on the day the rule came into force.
"""

from __future__ import annotations

from licite.moments import paris_day

LCEN = paris_day("2004-06-22")
"""Loi n° 2004-575 (LCEN): CPCE art. L34-5 in force; electronic marketing, objection,
provenance, retention, political communication and post are modelled from here."""

BLOCTEL = paris_day("2016-06-01")
"""C. consom. art. L223-1 (opposition list): phone calls are modelled from here."""

CORRESPONDENCE_DECREE = paris_day("2017-03-31")
"""Décret n° 2017-428, CPCE art. D. 98-5: analysis of correspondence is modelled from here."""

CORRESPONDENCE_TRANSITION_ENDS = paris_day("2017-10-01")
"""Décret n° 2017-428 art. 2: older processings may run without consent until 30 Sept. 2017."""

GDPR = paris_day("2018-05-25")
"""RGPD applicable: art. 7(1) proof of consent, art. 21 objection."""

CONSENT_PROOF_FROM = GDPR

ENERGY_RENOVATION_PHONE_BAN = paris_day("2020-07-26")
"""Loi n° 2020-901: no phone marketing of energy renovation to consumers."""

CALLING_HOURS = paris_day("2023-03-01")
"""C. consom. art. D. 223-9 (décret n° 2022-1313): days, hours and frequency of calls."""

CALLER_ID = paris_day("2023-01-01")
"""Arcep décision n° 2022-1583: canvassing calls come from the dedicated number ranges."""

LOI_2025_594_PUBLISHED = paris_day("2025-07-01")
"""Loi n° 2025-594 of 30 June 2025, published 1 July 2025: the phone reform is announced."""

SECTOR_BAN_EXTENDED = paris_day("2025-07-02")
"""Loi n° 2025-594, in force the day after its publication: energy renovation and home
adaptation, by phone, email, SMS and MMS."""

PHONE_OPT_IN = paris_day("2026-08-11")
"""Loi n° 2025-594 art. 13: prior consent for every marketing call to a consumer."""
