"""The closed vocabularies of the case format (SPEC §2)."""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    CONTACT = "contact"
    ANALYZE = "analyze"
    RETAIN = "retain"


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    MMS = "mms"
    FAX = "fax"
    AUTOMATED_CALL = "automated_call"
    PHONE_CALL = "phone_call"
    POST = "post"
    INBOX_AD = "inbox_ad"


class ChannelOrAll(StrEnum):
    """A channel named by a consent, withdrawal or objection; `all` covers every channel."""

    EMAIL = "email"
    SMS = "sms"
    MMS = "mms"
    FAX = "fax"
    AUTOMATED_CALL = "automated_call"
    PHONE_CALL = "phone_call"
    POST = "post"
    INBOX_AD = "inbox_ad"
    ALL = "all"


class Purpose(StrEnum):
    COMMERCIAL = "commercial"
    CHARITABLE = "charitable"
    POLITICAL = "political"
    TRANSACTIONAL = "transactional"


class AnalysisPurpose(StrEnum):
    DISPLAY = "display"
    SORTING = "sorting"
    ROUTING = "routing"
    SPAM_DETECTION = "spam_detection"
    MALWARE_DETECTION = "malware_detection"
    ADVERTISING = "advertising"
    STATISTICS = "statistics"
    SERVICE_IMPROVEMENT = "service_improvement"
    OTHER = "other"


class ConsentPurpose(StrEnum):
    """What a consent is given for: a kind of contact, or an analysis of correspondence."""

    COMMERCIAL = "commercial"
    CHARITABLE = "charitable"
    POLITICAL = "political"
    ADVERTISING = "advertising"
    STATISTICS = "statistics"
    SERVICE_IMPROVEMENT = "service_improvement"


class CollectPurpose(StrEnum):
    COMMERCIAL = "commercial"
    POLITICAL = "political"
    CHARITABLE = "charitable"
    SERVICE = "service"


class Method(StrEnum):
    FORM = "form"
    SALE = "sale"
    IN_STORE = "in_store"
    EVENT = "event"
    IMPORT = "import"
    LIST_PURCHASE = "list_purchase"
    LIST_RENTAL = "list_rental"
    SCRAPING = "scraping"
    SOCIAL_NETWORK = "social_network"
    ENRICHMENT = "enrichment"
    REGULAR_CONTACT = "regular_contact"
    ELECTORAL_LIST = "electoral_list"
    PUBLIC_SECTOR_FILE = "public_sector_file"
    HR_FILE = "hr_file"


class Mechanism(StrEnum):
    CHECKBOX = "checkbox"
    DOUBLE_OPT_IN = "double_opt_in"
    CLEAR_ACT = "clear_act"
    ORAL_RECORDED = "oral_recorded"
    TERMS_ACCEPTANCE = "terms_acceptance"
    PRETICKED = "preticked"
    MISLEADING_DESIGN = "misleading_design"
    IMPLICIT = "implicit"


class Via(StrEnum):
    UNSUBSCRIBE_LINK = "unsubscribe_link"
    STOP_SMS = "stop_sms"
    LETTER = "letter"
    CALL = "call"
    EMAIL_REPLY = "email_reply"
    FORM = "form"


class InteractionKind(StrEnum):
    CLICK = "click"
    DOCUMENTATION_REQUEST = "documentation_request"
    REPLY = "reply"
    PURCHASE = "purchase"
    OPEN = "open"
    CALL_ANSWERED = "call_answered"


class CallOutcome(StrEnum):
    REFUSED = "refused"
    ACCEPTED = "accepted"
    NO_ANSWER = "no_answer"


class SenderKind(StrEnum):
    COMPANY = "company"
    CHARITY = "charity"
    POLITICAL = "political"
    OPERATOR = "operator"
    ONLINE_SERVICE = "online_service"


class PersonKind(StrEnum):
    CONSUMER = "consumer"
    PROFESSIONAL = "professional"
    GENERIC_BUSINESS_ADDRESS = "generic_business_address"


class Sector(StrEnum):
    ENERGY_RENOVATION = "energy_renovation"
    HOME_ADAPTATION = "home_adaptation"
    PRESS = "press"


# Groups the rules speak of.
ELECTRONIC_MAIL = frozenset({Channel.EMAIL, Channel.SMS, Channel.MMS})
"""SMS and MMS are "courrier électronique" (CPCE L34-5): the soft opt-in and B2B channels."""

L34_5_CHANNELS = frozenset(
    {Channel.EMAIL, Channel.SMS, Channel.MMS, Channel.FAX, Channel.AUTOMATED_CALL, Channel.INBOX_AD}
)
"""Channels of electronic direct marketing; inbox ads count as email (CJEU C-102/20)."""

ADDRESS_OF_CHANNEL: dict[Channel, str] = {
    Channel.EMAIL: "email",
    Channel.INBOX_AD: "email",
    Channel.SMS: "phone",
    Channel.MMS: "phone",
    Channel.FAX: "phone",
    Channel.AUTOMATED_CALL: "phone",
    Channel.PHONE_CALL: "phone",
    Channel.POST: "postal_code",
}
"""The person's field a contact on each channel needs (SPEC §3, NO-ADDRESS, v2)."""

EXEMPT_ANALYSIS = frozenset(
    {
        AnalysisPurpose.DISPLAY,
        AnalysisPurpose.SORTING,
        AnalysisPurpose.ROUTING,
        AnalysisPurpose.SPAM_DETECTION,
        AnalysisPurpose.MALWARE_DETECTION,
    }
)
CONSENT_ANALYSIS = frozenset(
    {AnalysisPurpose.ADVERTISING, AnalysisPurpose.STATISTICS, AnalysisPurpose.SERVICE_IMPROVEMENT}
)
CONTACT_CONSENT_PURPOSES = frozenset(
    {ConsentPurpose.COMMERCIAL, ConsentPurpose.CHARITABLE, ConsentPurpose.POLITICAL}
)
INDIRECT_METHODS = frozenset(
    {
        Method.SCRAPING,
        Method.LIST_PURCHASE,
        Method.LIST_RENTAL,
        Method.SOCIAL_NETWORK,
        Method.ENRICHMENT,
        Method.ELECTORAL_LIST,
        Method.PUBLIC_SECTOR_FILE,
        Method.HR_FILE,
    }
)
BOUGHT_LIST_METHODS = frozenset({Method.LIST_PURCHASE, Method.LIST_RENTAL})
VALID_MECHANISMS = frozenset(
    {Mechanism.CHECKBOX, Mechanism.DOUBLE_OPT_IN, Mechanism.CLEAR_ACT, Mechanism.ORAL_RECORDED}
)
POSITIVE_INTERACTIONS = frozenset(
    {
        InteractionKind.CLICK,
        InteractionKind.DOCUMENTATION_REQUEST,
        InteractionKind.REPLY,
        InteractionKind.PURCHASE,
    }
)
"""A contact from the person; an open or an answered call is not (CNIL SAN-2020-003, Spartoo)."""
