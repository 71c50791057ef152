"""Find the sender's signature block in new message text and read contact fields from it.

Contacts fill themselves from signatures, so a false positive is costly: a paragraph of
body text read as a signature invents a job title, and a disclaimer read as one invents
a company. Detection therefore only accepts a block that sits at the end of the text,
after a delimiter or a sign-off, or that names the sender or carries contact lines,
and it stops at mobile footers, legal notices and register footers.

Everything here is pure and works line by line with precompiled patterns; only the
text the caller passes is looked at (callers pass the new text, never quoted history).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

import phonenumbers
from rapidfuzz import fuzz

from enrichment.people import clean_display_name


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_MAX_SIG_LINES = 20
# Bounds on the work per call, whatever the input: the tail examined for a signature, and
# how much of a (supposed) signature block parse_signature reads.
_MAX_TAIL_LINES = 200
_MAX_PARSE_LINES = 40
_MAX_PARSE_LINE = 300
_MAX_LINE = 120
_NAME_MATCH = 80
_DOMAIN_MATCH = 85


@dataclass(frozen=True)
class Signature:
    """The signature block as it appears in the text, and its character offset there."""

    text: str
    start: int


@dataclass(frozen=True)
class Phone:
    """A valid number in E.164 and what its label says it is (work, mobile, fax, other)."""

    e164: str
    kind: str


@dataclass(frozen=True)
class Fields:
    """Contact fields read from one signature block."""

    full_name: str | None
    job_title: str | None
    company: str | None
    phones: tuple[Phone, ...]
    emails: tuple[str, ...]
    website: str | None
    linkedin: str | None


# ---------------------------------------------------------------------------- patterns

_RULE_CHARS = "-_=~*#━─═＝・"
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_DELIMITER = re.compile(r"^(?:--|(?:[-_=~*#━─═＝・] ?){3,})$")
_SIGNOFF_PHRASES = (
    # English
    r"(?:best|kind|kindest|warm|warmest|many|with\s+(?:best|kind|warm)|my\s+best)\s+regards",
    r"regards|rgds|br|best|all\s+(?:the\s+)?best|(?:best|warm)\s+wishes|cheers|sincerely",
    r"(?:yours\s+)?(?:sincerely|truly|faithfully)(?:\s+yours)?|yours|respectfully|take\s+care",
    r"(?:many\s+)?thanks(?:\s+(?:again|so\s+much|a\s+lot|very\s+much|in\s+advance))?",
    r"thank\s+you(?:\s+(?:again|so\s+much|very\s+much|in\s+advance))?|thx|ta|with\s+thanks",
    r"talk\s+soon|speak\s+soon|have\s+a\s+(?:great|nice|good)\s+(?:day|week|weekend)",
    r"(?:best\s+regards|thanks)\s*(?:and|&)\s*(?:thanks|(?:best\s+|kind\s+)?regards)",
    r"warmly|cordially|love",
    # German (Swiss spelling "Grüsse" included)
    r"mit\s+(?:freundlichen|besten|herzlichen|vielen|lieben)\s+grü(?:ß|ss)en|"
    r"mit\s+freundlichem\s+gru(?:ß|ss)|mfg|lg|vg",
    r"(?:(?:freundliche|viele|beste|liebe|herzliche|schöne|sonnige)\s+)?grü(?:ß|ss)e"
    r"(?:\s+aus\s+\S+)?",
    r"gru(?:ß|ss)|danke(?:\s+schön)?|vielen\s+dank|besten\s+dank",
    # French
    r"(?:bien\s+|très\s+)?cordialement|bien\s+à\s+(?:vous|toi)|amicalement|sincèrement",
    r"(?:meilleures|sincères)\s+salutations|salutations(?:\s+distinguées)?",
    r"belle\s+journée|bonne\s+(?:journée|soirée)|merci(?:\s+beaucoup|\s+d'avance)?",
    r"à\s+bientôt|amitiés|bises",
    # Spanish / Portuguese / Italian / Dutch
    r"(?:reciba\s+)?(?:un\s+)?(?:cordial\s+)?saludos?(?:\s+cordiales)?|atentamente",
    r"(?:muchas\s+)?gracias|un\s+abrazo|cordialmente|atenciosamente|saudações|grat[oa]",
    r"(?:com\s+os\s+)?(?:melhores\s+)?cumprimentos|(?:um\s+)?abraços?|obrigad[oa]|att|atte",
    r"cordiali\s+saluti|distinti\s+saluti|saluti|un\s+(?:caro\s+)?saluto|grazie(?:\s+mille)?",
    r"a\s+presto|buona\s+giornata",
    r"(?:met\s+)?(?:vriendelijke|hartelijke)\s+groet(?:en)?|groet(?:en|jes)?|mvg",
    r"(?:alvast\s+)?bedankt|dank\s+(?:je|u)(?:\s+wel)?",
    # Chinese / Japanese
    r"此致|敬礼|此致敬礼|顺祝商祺|顺颂商祺|顺颂时祺|祝商祺|商祺|祝好|谢谢|多谢|感谢|敬上|祝工作顺利",
    r".{0,20}(?:よろしく|宜しく)お願い(?:いた|致)?します|.{0,20}お願い申し上げます|以上(?:です)?",
)
_SIGNOFF = re.compile(
    r"^\s*(?:" + "|".join(_SIGNOFF_PHRASES) + r")\s*[,.!！。:;…~-]*\s*$", re.IGNORECASE
)
_MOBILE_FOOTER = re.compile(
    r"^\s*(?:sent\s+(?:from|via|with|using)\s|get\s+outlook\s+for|von\s+meinem\s|"
    r"gesendet\s+(?:von|mit)\s|envoyé\s+(?:de|depuis)\s|enviado\s+(?:desde|do|de)\s|inviato\s+da\s|"
    r"verzonden\s+(?:met|vanaf)\s|verstuurd\s+vanaf\s|发自我的|iphoneから送信|ipadから送信|"
    r"androidから送信|送信元|从我的)"
)
# Lower-case patterns: the caller lower-cases the line (see _is_footer).
_LEGAL = re.compile(
    r"confiden[ct]|intended\s+(?:solely\s+)?(?:for\s+the\s+)?(?:named\s+)?recipient|"
    r"intended\s+solely|not\s+the\s+intended|privileged|disclaimer|vertraulich|"
    r"riservat|vertrouwelijk|geadresseerde|uitsluitend\s+bestemd|destinat[aá]ri|"
    r"adressat|irrtümlich|by\s+mistake|in\s+error|par\s+erreur|por\s+(?:error|engano)|"
    r"per\s+errore|if\s+you\s+(?:have\s+)?received\s+this|unsubscribe|"
    r"you\s+are\s+receiving\s+this|consider\s+the\s+environment|before\s+printing|"
    r"pensez\s+à\s+l'environnement|umwelt\s+(?:zuliebe|denken)|aviso\s+legal|avviso|"
    r"rgpd|gdpr|dsgvo|view\s+this\s+message\s+in\s+context|mailing\s+list\s+archive|"
    r"保密|機密|本邮件|本メール|誤って受信|宛先に記載"
)
_REGISTER = re.compile(
    r"\b(?:sitz(?:\s+der\s+gesellschaft)?\s*:|registergericht|amtsgericht|hr[ab]\s*\d|"
    r"geschäftsführung\s*:|geschäftsführer\s*:|ust\.?-?\s*id|vorstand\s*:|aufsichtsrat|"
    r"registered\s+(?:office|in\s+\w+)|company\s+(?:no|number|registration)|"
    r"vat\s+(?:no|number|reg)|rcs\s|siret|capital\s+social|kvk|p\.\s*iva|cif\s*:)"
)
# Attachment lists that Outlook/Notes append below the text: " - report.pdf", "<<deal.doc>>".
_ATTACHMENT = re.compile(
    r"^(?:-\s*|<<)[^<>]{1,120}\.(?:pdf|docx?|xlsx?|xls|pptx?|txt|zip|jpe?g|png|gif|vcf|wpd|"
    r"csv|msg|html?|rtf|tiff?|eml)(?:>>)?$",
    re.IGNORECASE,
)
_AUTOMATED_LOCAL = re.compile(
    r"^(?:no-?reply|do-?not-?reply|donotreply|notifications?|mailer-daemon|postmaster|"
    r"bounce[s]?|alerts?|newsletter|news|billing|system|automated?)(?:[-+._].*)?$",
    re.IGNORECASE,
)

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_TLDS = (
    r"com|net|org|io|co|ai|app|dev|biz|info|tech|eu|de|at|ch|fr|be|nl|it|es|pt|br|mx|ar|cl|"
    r"uk|ie|us|ca|au|nz|sg|hk|jp|cn|tw|kr|in|se|no|dk|fi|pl|cz|ru|za|ae|lu|gr|tr|il|health|"
    r"consulting|agency|digital|studio|solutions|group|global|media|energy|law|legal"
)
_URL = re.compile(
    r"(?<![@\w.-])(?:https?://)?((?:www\.)?(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+"
    rf"(?:{_TLDS}))(?![\w@-])(?:/[^\s<>()]*)?",
    re.IGNORECASE,
)
_SOCIAL_HOST = re.compile(
    r"(?:^|\.)(?:linkedin\.com|twitter\.com|x\.com|facebook\.com|instagram\.com|"
    r"youtube\.com|xing\.com|github\.com|t\.co|bit\.ly)$",
    re.IGNORECASE,
)
_LINKEDIN = re.compile(r"linkedin\.com/in/([A-Za-z0-9_%\-.]+[A-Za-z0-9_%\-])", re.IGNORECASE)
_PHONE_HINT = re.compile(r"\d[\d\s().\-/]{5,}\d")
_INTERNATIONAL = re.compile(r"\+\s?\d[\d\s().\-/]{6,}\d")
_PHONE_LABEL = re.compile(
    r"(?P<mobile>(?<![^\W\d_])(?:mobile|mobil|mob|cell(?:ular)?|handy|port|portable|móvil|"
    r"movil|celular|tlm|gsm|m|c)(?![^\W\d_])|手机|携帯|📱)"
    r"|(?P<fax>(?<![^\W\d_])(?:fax|telefax|f)(?![^\W\d_])|传真|ＦＡＸ)"
    r"|(?P<other>(?<![^\W\d_])(?:hotline|whatsapp|switchboard|zentrale|central|standard|"
    r"support|service|toll[- ]free|home|privat|private)(?![^\W\d_]))"
    r"|(?P<work>(?<![^\W\d_])(?:t|tel|tél|tfn|phone|ph|p|o|office|direct|dir|d|work|"
    r"telefon|telephone|téléphone|teléfono|telefone|telefono|voice)(?![^\W\d_])|电话|"
    r"座机|☎|📞)",
    re.IGNORECASE,
)
_SEGMENT_SPLIT = re.compile(r"[|│]|(?<=\s)[•·](?=\s)")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CJK_SENTENCE = re.compile(r"[。，、！？；]")
# A CJK name (2-4 ideographs, or family + space + given), optionally followed by a
# romanised variant: "吴刚", "佐藤 健", "山田 紗希（Saki Yamada）", "马超 Tony Ma".
_CJK_NAME = re.compile(
    r"^([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{1,3} [\u3040-\u30ff\u3400-\u4dbf"
    r"\u4e00-\u9fff\uf900-\ufaff]{1,4}|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,4})"
    r"\s*(?:[(（][^()（）]*[)）])?\s*[A-Za-z .'-]*$"
)
_CJK_UNIT = re.compile(r"(?:部|室|课|課|所|处|組|组|中心|公司|会社|集团|店)$")
_GREETING = re.compile(
    r"^(?:hi|hello|hey|dear|good\s+(?:morning|afternoon|evening)|hallo|guten\s+tag|"
    r"liebe[rs]?|sehr\s+geehrte[rs]?|bonjour|bonsoir|cher|chère|hola|buenos\s+días|"
    r"buenas|estimad[oa]s?|ciao|gentile|buongiorno|olá|bom\s+dia|boa\s+tarde|prezad[oa]|"
    r"beste|geachte|hoi)\b",
    re.IGNORECASE,
)
# Legal forms, matched as whole tokens (trailing "." ignored) so "Co" never hits "Co-founder".
_LEGAL_FORMS = _words(
    """
    Inc INC Incorporated LLC L.L.C Ltd LTD Limited LLP PLC plc GmbH mbH AG KG KGaA SE SAS
    S.A.S SARL S.A.R.L SA S.A S.L SL S.L.U S.p.A SpA S.r.l Srl SRL B.V BV N.V NV K.K Pty Pte
    Corp Corporation Co Company Lda Ltda LP OÜ AB A/S ApS Oy e.V S.C SC
    """
)
_CJK_LEGAL_FORMS = re.compile(r"株式会社|有限会社|合同会社|有限公司|集团|公司|\(株\)|（株）")
_TOKEN_SPLIT = re.compile(r"[\s,;()（）]+")
_WORD_TOKENS = re.compile(r"[^\W\d_]+")
_TITLE_ACRONYMS = _words(
    "CEO CFO COO CTO CIO CMO CSO CRO CPO CISO VP SVP EVP AVP GM MD PDG DG DAF DRH"
)
_TITLE_WORDS = _words(
    """
    cofounder founder president vice director manager head lead engineer consultant analyst
    specialist coordinator associate partner counsel attorney lawyer officer executive
    assistant administrator architect developer designer buyer controller accountant
    representative sales marketing owner principal chair chairman chairwoman secretary
    advisor adviser recruiter producer editor supervisor trader scientist professor
    researcher strategist planner agent broker clerk technician intern paralegal treasurer
    auditor programmer operator superintendent inspector economist receptionist
    geschäftsführer geschäftsführerin leiter leiterin inhaber inhaberin vorstand prokurist
    prokuristin directeur directrice responsable gérant gérante président présidente chargé
    chargée ingénieur ingénieure comptable commercial commerciale conseiller conseillère
    acheteur acheteuse chef director directora gerente jefe jefa ingeniero ingeniera
    coordinador coordinadora técnico técnica analista consultor consultora ejecutivo
    ejecutiva presidente direttore direttrice responsabile ingegnere amministratore
    consulente tecnico ufficio diretor diretora responsável engenheiro engenheira
    coordenador coordenadora inkoper adviseur medewerker accountmanager eigenaar
    assistante gestionnaire technicien technicienne contrôleur contrôleuse juriste
    consultante analyste développeur développeuse stagiaire administrativo administrativa
    asesor asesora contable abogado abogada impiegato impiegata avvocato gestor gestora
    assistente sócio sócia advogado advogada verkoper hoofd
    """
)
# German and Dutch titles are compounds ("Vertriebsingenieur", "Teamleider"); English
# professions share endings ("Geologist", "Physicist").
_TITLE_STEMS = re.compile(
    r"ingenieur|einkäufer|leider|berater|sachbearbeiter|referent|assistent|kauffrau|"
    r"kaufmann|spezialist|manager|direktor|leiter|mitarbeiter|leitung|controller|entwickler|"
    r"architekt|buchhalter|koordinator|disponent|techniker|ologist|physicist|chemist|"
    r"therapist|journalist|pharmacist"
)
_CJK_TITLES = re.compile(
    r"总经理|经理|总监|主管|工程师|董事|主任|总裁|助理|专员|顾问|会计|秘书|部长|科长|处长|组长|"
    r"部長|課長|係長|社長|取締役|代表|次長|専務|常務|会長|顧問|秘書|マネージャー|マネジャー|"
    r"エンジニア|担当|室長|本部長|所長|店長|主査|リーダー|ディレクター|コンサルタント"
)
_NOT_PERSON_WORDS = _words(
    """
    team support billing service services notification notifications noreply no-reply info
    sales newsletter admin helpdesk customer accounts department group office inc llc ltd
    gmbh corp company bank system mailer calendar shop store
    """
)
_HONORIFICS = _words(
    """
    dr prof mr mrs ms mx ing dott dott.ssa mag ir drs sir dame dipl.-ing dipl.-kfm dipl.-inf
    univ.-prof
    """
)
# Case-sensitive on purpose: "MA" is a degree, "Ma" a family name.
_POSTNOMINALS = _words(
    """
    PhD Ph.D MD M.D MBA CPA PMP CFA Esq Jr Sr II III IV MSc BSc M.Sc B.Sc MA BA LLM LL.M
    ACCA CIMA FRCS PEng P.Eng CISSP PHR SHRM-CP CMA JD J.D RN
    """
)
_DEPARTMENT_WORDS = _words(
    """
    department dept division abteilung bereich service servicio departamento ufficio
    afdeling team group operations success
    """
)
_NOT_IN_NAMES = frozenset("@:_/=<>#[]{}\\%$+")
_NOT_NAME_WORDS = _words(
    """
    the our your my us we you contact click here view see please thank thanks regards dear
    hi hello best all from to for with and or at in on by is are this that more info new
    today now online email e-mail mail phone fax web website page home news date time
    request id name type resource subject re fw fwd attached attachment note notes message
    update reminder meeting agenda call order invoice total price summary
    """
)
_PAREN = re.compile(r"[(（][^()（）]*[)）]")
_NON_NAME_CHARS = re.compile(r"[^\w\s.'’\-]")
_NAME_WORD = re.compile(r"^(?:[A-ZÀ-ÞĀ-Ž][\w'’\-]*\.?|[a-z]{1,3}|[A-Z]\.)$")
_LETTERS = re.compile(r"[^\W\d_]")
_DIGIT = re.compile(r"\d")
_ADDRESS_HINT = re.compile(
    r"\d+\s+\w+.{0,60}?\b(?:street|st|avenue|ave|road|rd|suite|floor|blvd|lane|drive|way|"
    r"square|straße|strasse|str|weg|platz|allee|rue|boulevard|calle|avda|via|viale|corso|"
    r"piazza|rua|laan|straat|gracht)\b|\b\d{4,5}\s+[A-ZÀ-Þ]\w+|〒|\b[A-Z]{2}\s+\d{5}\b",
    re.IGNORECASE,
)
_AT_SPLIT = re.compile(r"\s+(?:at|@|chez|bei|en)\s+")
_DASH_SPLIT = re.compile(r"\s+[–—-]\s+")
_VCARD_LINE = re.compile(r"^(?P<key>[A-Z-]+)(?P<params>(?:;[^:]*)?):(?P<value>.*)$")
_FREE_MAIL = _words(
    """
    gmail googlemail yahoo hotmail outlook live msn aol icloud me mac gmx web t-online
    orange free wanadoo laposte libero proton protonmail yandex qq 163 126 sina naver
    """
)
_GENERIC_CCTLDS = _words("io co ai me tv fm ly cc ws to sh gg ac app la im is")
_SECOND_LEVEL = _words("co com org net ac gov edu ne or go gob nom ltd plc")


def _has_legal_form(text: str) -> bool:
    if _CJK_LEGAL_FORMS.search(text):
        return True
    return any(tok.rstrip(".") in _LEGAL_FORMS for tok in _TOKEN_SPLIT.split(text))


def _has_title_word(text: str) -> bool:
    """Job-title vocabulary in any of the supported languages (a set lookup per word)."""
    if _CJK.search(text) and _CJK_TITLES.search(text):
        return True
    words = _WORD_TOKENS.findall(text)
    if any(word in _TITLE_ACRONYMS or word.lower() in _TITLE_WORDS for word in words):
        return True
    return bool(_TITLE_STEMS.search(text.lower()))


def _not_person(text: str) -> bool:
    return any(word.lower() in _NOT_PERSON_WORDS for word in _WORD_TOKENS.findall(text))


# ---------------------------------------------------------------------------- line tests


def _is_delimiter(line: str) -> bool:
    stripped = line.strip()
    if not stripped or stripped[0] not in _RULE_CHARS or len(stripped) > 120:
        return False
    return bool(_DELIMITER.match(stripped))


def _is_signoff(line: str) -> bool:
    if len(line) > 60 or len(line.split()) > 8 or _DIGIT.search(line):
        return False
    return bool(_SIGNOFF.match(line.translate(_ZERO_WIDTH)))


def _is_footer(line: str) -> bool:
    """Mobile footers, legal notices and register footers end the signature block.

    The patterns are lower-case and case-sensitive: case-insensitive alternations are
    several times slower on the long lines that disclaimers consist of.
    """
    lower = line.strip().lower()
    if not lower:
        return False
    if _MOBILE_FOOTER.match(lower) or _REGISTER.search(lower) or _is_attachment(lower):
        return True
    return (len(lower) > 60 or len(lower.split()) <= 4) and bool(_LEGAL.search(lower))


def _is_attachment(line: str) -> bool:
    return line[:2] in ("- ", "-\t", "<<") and bool(_ATTACHMENT.match(line))


def _has_phone(line: str) -> bool:
    """A run of at least seven digits in phone punctuation (cheap pre-check for the matcher)."""
    return any(sum(ch.isdigit() for ch in m.group()) >= 7 for m in _PHONE_HINT.finditer(line))


def _is_contact(line: str) -> bool:
    """Phone, email, web or social lines: the strongest evidence of a signature."""
    return bool(_EMAIL.search(line) or _URL.search(line) or _has_phone(line))


def _is_prose(line: str) -> bool:
    """Sentence-like body text, which a signature line never is.

    Sentences carry many lower-case words (or CJK sentence punctuation); titles,
    company names and addresses are mostly capitalised, however long. One-line
    signatures ("Name | Title | Company | Phone") are judged segment by segment.
    """
    stripped = line.strip()
    if len(stripped) > _MAX_LINE or stripped.endswith(("?", "？")):
        return True
    if _CJK.search(stripped):
        return len(stripped) >= 12 and bool(_CJK_SENTENCE.search(stripped))
    return any(_is_prose_segment(seg) for seg in _segments(stripped))


def _is_prose_segment(segment: str) -> bool:
    words = [word for word in segment.split() if _LETTERS.search(word)]
    lower = sum(1 for word in words if word[:1].islower() and word.isalpha())
    return (len(words) >= 7 and lower >= 4) or len(words) > 14


# ---------------------------------------------------------------------------- names


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _segments(line: str) -> list[str]:
    return [seg.strip() for seg in _SEGMENT_SPLIT.split(line.strip()) if seg.strip()]


def _strip_decoration(text: str) -> str:
    """Drop pronouns and other parentheses, honorifics, post-nominals and emoji."""
    words = _NON_NAME_CHARS.sub(" ", _PAREN.sub(" ", text)).split()
    while len(words) > 2 and words[-1].rstrip(".") in _POSTNOMINALS:
        words.pop()
    while len(words) > 1 and words[0].lower().rstrip(".") in _HONORIFICS:
        words.pop(0)
    return " ".join(words).strip(" -.,")


def _cjk_name(text: str) -> str | None:
    match = _CJK_NAME.match(text.strip())
    if not match or _has_legal_form(text) or _SIGNOFF.match(text):
        return None
    name = match.group(1)
    return None if _has_title_word(name) or _CJK_UNIT.search(name) else name


def _looks_like_name(text: str, minimum: int = 2) -> bool:
    """2-4 capitalised words without digits (or a CJK name): a person, not a title.

    ``minimum=1`` also accepts a bare first name, which is only safe right after a
    sign-off ("Thanks,\nTom"). Cheap shape tests run before the big word lists.
    """
    if len(text) > 60 or _DIGIT.search(text):
        return False
    if any(ch in _NOT_IN_NAMES for ch in _PAREN.sub(" ", text)):
        return False
    if _CJK.search(text):
        return _cjk_name(text) is not None
    if text.rstrip().endswith((",", ":")):
        return False
    words = _strip_decoration(text).split()
    if not minimum <= len(words) <= 4 or not all(_NAME_WORD.match(w) for w in words):
        return False
    if any(w.lower() in _NOT_NAME_WORDS for w in words) or _URL.search(text):
        return False
    if _has_title_word(text) or _has_legal_form(text) or _SIGNOFF.match(text):
        return False
    return not (_GREETING.match(text) or _not_person(text))


def _normal_case(word: str) -> str:
    if len(word) > 1 and word.isupper() and word.replace(".", "").isalpha():
        return "-".join(part.capitalize() for part in word.split("-"))
    return word


def _clean_name(text: str) -> str | None:
    cjk = _cjk_name(text) if _CJK.search(text) else None
    if cjk:
        return cjk
    words = _strip_decoration(text).split()
    name = " ".join(_normal_case(w) for w in words)
    return name or None


def _name_score(candidate: str, folded_display: str) -> float:
    return float(fuzz.token_set_ratio(_fold(_strip_decoration(candidate)), folded_display))


# ---------------------------------------------------------------------------- detection


class _Line:
    """One stripped line of the text's tail; each test runs at most once, and only if asked."""

    def __init__(self, raw: str, offset: int) -> None:
        self.text = raw.strip()
        self.start = offset + len(raw) - len(raw.lstrip())

    @cached_property
    def rule(self) -> bool:
        return _is_delimiter(self.text)

    @cached_property
    def signoff(self) -> bool:
        return _is_signoff(self.text)

    @cached_property
    def footer(self) -> bool:
        return _is_footer(self.text)

    @cached_property
    def prose(self) -> bool:
        return _is_prose(self.text)

    @cached_property
    def contact(self) -> bool:
        return _is_contact(self.text)

    @cached_property
    def lead(self) -> str:
        """The first segment: the whole line, or its head in "Name | Title | Company"."""
        segments = _segments(self.text)
        return segments[0] if segments else ""

    @cached_property
    def opens_with_name(self) -> bool:
        """Led by a name, a bare first name included ("Tom", "-Joe")."""
        return _looks_like_name(self.lead.strip("-–—/ "), minimum=1)

    @cached_property
    def title(self) -> bool:
        return _has_title_word(self.text)

    @cached_property
    def address_or_company(self) -> bool:
        return bool(_ADDRESS_HINT.search(self.text) or _has_legal_form(self.text))

    @cached_property
    def field(self) -> bool:
        """Carries a signature field: not a rule, footer, sentence or image placeholder."""
        text = self.text
        if not text or text.startswith("[cid:") or text.lower().startswith("[image"):
            return False
        if self.rule or self.footer or self.prose:
            return False
        return bool(_LETTERS.search(text) or _has_phone(text))


def _tail(text: str, nonblank: int = 25) -> list[_Line]:
    """The last ``nonblank`` non-empty lines (and the blank lines between them).

    A signature sits at the end, so only the tail is examined (offsets are counted
    back from the end); this bounds the work per message whatever the body's length.
    """
    raw = text.split("\n")
    tail: list[_Line] = []
    end, count = len(text), 0
    for line in reversed(raw):
        if count >= nonblank or len(tail) >= _MAX_TAIL_LINES:
            break
        end -= len(line)
        tail.append(_Line(line, end))
        end -= 1
        stripped = line.strip()
        count += bool(stripped) and not _is_attachment(stripped)
    tail.reverse()
    return tail


def _next_content(lines: list[_Line], i: int) -> int:
    while i < len(lines) and not lines[i].text:
        i += 1
    return i


def _block_end(lines: list[_Line], start: int) -> int:
    """Index after the last field line of the signature starting at ``start``.

    The block runs to a blank line, a delimiter or a footer; a following paragraph
    joins only if it holds contact, address or company lines (two-paragraph layouts).
    """
    end, i = start, start
    while i < len(lines) and i - start <= _MAX_SIG_LINES:
        line = lines[i]
        if not line.text:
            nxt = _next_content(lines, i)
            if nxt >= len(lines) or not _contact_block(lines, nxt):
                break
            i = nxt
            continue
        if line.footer or (i > start and line.rule):
            break
        end = i + 1 if line.field else end
        i += 1
    return end


def _contact_block(lines: list[_Line], i: int) -> bool:
    block: list[_Line] = []
    while i < len(lines) and lines[i].text and len(block) < 8:
        block.append(lines[i])
        i += 1
    if any(line.footer or line.prose for line in block):
        return False
    return any(line.contact or line.address_or_company for line in block)


def _vcard_end(lines: list[_Line], start: int) -> int:
    for i in range(start, min(len(lines), start + 40)):
        if lines[i].text.upper() == "END:VCARD":
            return i + 1
    return start


def _plausible(lines: list[_Line], start: int, end: int, strict: bool) -> bool:
    """Signature-shaped: short non-prose lines, led by a name or a contact line.

    After a delimiter (not ``strict``) a block led by something else still counts if it
    carries contact, address, company or title lines; after a sign-off it does not, so
    "Thanks,\nSAP AP Team" or a follow-up paragraph is not taken for a signature.
    """
    body = [line for line in lines[start:end] if line.text]
    if not body or len(body) > _MAX_SIG_LINES or body[0].signoff:
        return False
    if any(line.prose for line in body):
        return False
    if len(body[0].lead) > 60:
        return False
    if body[0].opens_with_name or body[0].contact:
        return True
    return not strict and any(_has_evidence(line) for line in body)


def _has_evidence(line: _Line) -> bool:
    return line.contact or line.address_or_company or line.title


def _from_marker(lines: list[_Line], marker: int) -> tuple[int, int] | None:
    start = _next_content(lines, marker + 1)
    if start >= len(lines):
        return None
    if lines[start].text.upper() == "BEGIN:VCARD":
        end = _vcard_end(lines, start)
        return (start, end) if end > start else None
    end = _block_end(lines, start)
    strict = lines[marker].signoff
    return (start, end) if end > start and _plausible(lines, start, end, strict) else None


def _marker_signature(lines: list[_Line]) -> tuple[int, int] | None:
    """The latest delimiter or sign-off line followed by a plausible signature block."""
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].rule or lines[i].signoff:
            found = _from_marker(lines, i)
            if found:
                return found
    return None


def _vcard_block(lines: list[_Line]) -> tuple[int, int] | None:
    for i, line in enumerate(lines):
        if line.text.upper() == "BEGIN:VCARD":
            end = _vcard_end(lines, i)
            return (i, end) if end > i else None
    return None


def _footer_only_suffixes(lines: list[_Line]) -> list[bool]:
    """``result[e]``: below line ``e`` come only footers and at most two short taglines.

    Computed in one backward pass, so checking every candidate block stays linear.
    """
    result = [True] * (len(lines) + 1)
    others, longest = 0, 0
    for e in range(len(lines) - 1, -1, -1):
        line = lines[e]
        if line.text and not line.footer:
            others, longest = others + 1, max(longest, len(line.text.split()))
        result[e] = others <= 2 and longest <= 12
    return result


def _has_separator(line: _Line) -> bool:
    return any(sep in line.text for sep in "|│·•")


def _trailing_block(lines: list[_Line], display: str | None) -> tuple[int, int] | None:
    """Without a marker: a trailing block opened by the sender's name or a name + contacts."""
    folded = _fold(display) if display else ""
    clean_below = _footer_only_suffixes(lines)
    for i, line in enumerate(lines):
        if not line.text or (len(line.text.split(maxsplit=8)) > 8 and not _has_separator(line)):
            continue
        if not clean_below[min(len(lines), i + _MAX_SIG_LINES + 1)]:
            continue
        if not line.lead or len(line.lead) > 60 or line.footer or line.prose:
            continue
        named = bool(folded) and _name_score(line.lead, folded) >= _NAME_MATCH
        if not named and not _looks_like_name(line.lead):
            continue
        end = _block_end(lines, i)
        if end <= i or not clean_below[end] or not _plausible(lines, i, end, strict=True):
            continue
        evidence = any(other.contact or other.title for other in lines[i:end])
        if named or evidence or _has_separator(line):
            return _extend_up(lines, i), end
    return None


def _extend_up(lines: list[_Line], start: int) -> int:
    """Company and title lines written above the name ("株式会社…\n技術部 主任\n松本 亮")."""
    while start > 0:
        above = lines[start - 1]
        if not above.text or above.prose or above.signoff or above.rule or above.footer:
            break
        if not (_has_legal_form(above.text) or above.title):
            break
        start -= 1
    return start


def _is_automated(sender_email: str) -> bool:
    local = sender_email.split("@", 1)[0] if "@" in sender_email else ""
    return bool(_AUTOMATED_LOCAL.match(local))


def find_signature(
    new_text: str, sender_name: str = "", sender_email: str = ""
) -> Signature | None:
    """Locate the sender's signature at the end of ``new_text`` (None if there is none).

    A signature opens after the last "-- " / rule line or sign-off that is followed by
    a signature-shaped block; without one, a trailing block must name the sender or
    look like a name followed by contact lines. Footers and notices are never included.
    """
    if _is_automated(sender_email or ""):
        return None
    lines = _tail(new_text or "")
    display = clean_display_name(sender_name or "", sender_email or "")
    found = _marker_signature(lines) or _vcard_block(lines) or _trailing_block(lines, display)
    if not found:
        return None
    first, last = lines[found[0]], lines[found[1] - 1]
    finish = last.start + len(last.text)
    return Signature(text=new_text[first.start : finish], start=first.start)


# ---------------------------------------------------------------------------- fields


def _domain(sender_email: str) -> str:
    return (
        sender_email.rsplit("@", 1)[-1].strip().lower().rstrip(".") if "@" in sender_email else ""
    )


def _domain_label(host: str) -> str:
    """The registrable name of a host: "harborview-analytics" for .com, .co.uk, www. ..."""
    labels = [label for label in host.lower().split(".") if label]
    if len(labels) < 2:
        return ""
    labels = labels[:-1]
    if len(labels) >= 2 and labels[-1] in _SECOND_LEVEL:
        labels = labels[:-1]
    label = labels[-1]
    return "" if label in _FREE_MAIL else label


def _domain_labels(
    sender_email: str, emails: tuple[str, ...], website: str | None
) -> tuple[str, ...]:
    """Domains that name the sender's organisation: the From domain, then the signature's."""
    hosts = [_domain(sender_email), *(_domain(email) for email in emails)]
    if website:
        hosts.append(website.removeprefix("https://"))
    labels = (_domain_label(host) for host in hosts)
    return tuple(dict.fromkeys(label for label in labels if len(label) >= 4))


def _international_region(text: str) -> str | None:
    """Region of the first number written with a "+" country code, if any."""
    match = _INTERNATIONAL.search(text)
    if not match:
        return None
    try:
        code = phonenumbers.parse(match.group(), None).country_code
    except phonenumbers.NumberParseException:
        return None
    region = phonenumbers.region_code_for_country_code(code) if code else None
    return None if region in (None, "ZZ", "001") else str(region)


def _region(sender_email: str, default_region: str | None, text: str) -> str:
    """National-format numbers are read in the sender's country, judged by the ccTLD."""
    tld = _domain(sender_email).rsplit(".", 1)[-1]
    if len(tld) == 2 and tld not in _GENERIC_CCTLDS:
        region = "GB" if tld == "uk" else tld.upper()
        if region in phonenumbers.SUPPORTED_REGIONS:
            return region
    if default_region:
        return default_region.upper()
    return _international_region(text) or "US"


def _phone_kind(prefix: str, number: phonenumbers.PhoneNumber) -> str:
    """The label closest before the number decides; unlabeled mobile ranges are mobile."""
    last = None
    for match in _PHONE_LABEL.finditer(prefix[-30:]):
        last = match
    if last and last.lastgroup:
        return last.lastgroup
    mobile = phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
    return "mobile" if mobile else "work"


def _line_phones(line: str, region: str) -> Iterator[Phone]:
    previous = 0
    matcher = phonenumbers.PhoneNumberMatcher(line, region, phonenumbers.Leniency.VALID)
    for match in matcher:
        number = match.number
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        yield Phone(e164=e164, kind=_phone_kind(line[previous : match.start], number))
        previous = match.end


def _phones(lines: list[str], region: str) -> tuple[Phone, ...]:
    seen: dict[str, Phone] = {}
    for line in lines:
        if not _has_phone(line):
            continue
        for phone in _line_phones(line, region):
            seen.setdefault(phone.e164, phone)
    return tuple(seen.values())


def _emails(text: str) -> tuple[str, ...]:
    found = (match.group().lower().rstrip(".") for match in _EMAIL.finditer(text))
    return tuple(dict.fromkeys(found))


def _linkedin(text: str) -> str | None:
    match = _LINKEDIN.search(text)
    return f"https://www.linkedin.com/in/{match.group(1)}" if match else None


def _website(text: str) -> str | None:
    """The first web address that is not a social profile or part of an email address."""
    for match in _URL.finditer(_EMAIL.sub(" ", text)):
        host = match.group(1).lower()
        if not _SOCIAL_HOST.search(host):
            return f"https://{host}"
    return None


@dataclass(frozen=True)
class _Segment:
    line: int
    text: str


def _all_segments(lines: list[str]) -> list[_Segment]:
    return [_Segment(i, seg) for i, line in enumerate(lines) for seg in _segments(line)]


def _is_contact_segment(text: str) -> bool:
    return _is_contact(text) or bool(_ADDRESS_HINT.search(text)) or ":" in text[:12]


def _name_candidates(segments: list[_Segment]) -> list[int]:
    """Segments that could be a person's name: short, no digits, no title or company words."""
    out = []
    for i, seg in enumerate(segments):
        if seg.line > 3 or _is_contact_segment(seg.text) or len(seg.text.split()) > 6:
            continue
        if _has_title_word(seg.text) or _has_legal_form(seg.text):
            continue
        out.append(i)
    return out


def _pick_name(segments: list[_Segment], display: str | None) -> int | None:
    """Index of the name segment: the best match for the display name, else the first name."""
    candidates = _name_candidates(segments)
    if display:
        folded = _fold(display)
        scored = [(_name_score(segments[i].text, folded), i) for i in candidates]
        best = max(scored, key=lambda pair: pair[0], default=None)
        if best and best[0] >= _NAME_MATCH:
            return best[1]
    return next((i for i in candidates if _looks_like_name(segments[i].text)), None)


def _full_name(name: str | None, display: str | None, labels: tuple[str, ...]) -> str | None:
    """The signature's spelling wins, unless it is just a first name the display extends."""
    if name and display and _extends(display, name):
        return display
    if name:
        return name
    if display and _is_person(display, labels):
        return display
    return None


def _extends(display: str, name: str) -> bool:
    """ "Tom" signed by "Tom Baker": the display name is the more complete form."""
    if " " in name or _CJK.search(name):
        return False
    return _fold(display).split()[0] == _fold(name)


def _is_person(display: str, labels: tuple[str, ...]) -> bool:
    """A display name that names the company ("Acme Billing", "Acme Learning") is no one."""
    if _not_person(display) or not _LETTERS.search(display):
        return False
    return not any(_matches_domain(display, label) for label in labels)


def _squash(text: str) -> str:
    return "".join(ch for ch in _fold(text) if ch.isalnum())


def _matches_domain(text: str, label: str) -> bool:
    """ "Harborview Analytics" for harborview-analytics.com, tolerant of abbreviations."""
    squashed, wanted = _squash(text), _squash(label)
    if len(wanted) < 4 or not squashed or _DIGIT.search(text):
        return False
    if len(squashed) >= len(wanted):
        return fuzz.partial_ratio(wanted, squashed) >= _DOMAIN_MATCH
    return fuzz.ratio(wanted, squashed) >= _DOMAIN_MATCH


def _is_companyish(text: str, labels: tuple[str, ...]) -> bool:
    return _has_legal_form(text) or any(_matches_domain(text, label) for label in labels)


def _split_title(text: str, labels: tuple[str, ...]) -> tuple[str, str | None]:
    """ "VP Sales at Acme" -> ("VP Sales", "Acme"); commas split only before a company."""
    at = _AT_SPLIT.search(text)
    if at and _has_title_word(text[: at.start()]):
        return text[: at.start()].strip(), text[at.end() :].strip() or None
    dash = _DASH_SPLIT.search(text)
    if dash and not _has_title_word(text[dash.end() :]):
        return text[: dash.start()].strip(), text[dash.end() :].strip() or None
    comma = text.find(", ")
    if comma > 0 and _is_companyish(text[comma + 2 :], labels):
        return text[:comma].strip(), text[comma + 2 :].strip()
    return text.strip(), None


def _cjk_title(text: str) -> str:
    """ "営業本部 第二営業部 課長" -> "課長": the department words are not the title."""
    tokens = [tok for tok in text.split() if _has_title_word(tok)]
    return tokens[-1] if tokens else text


@dataclass(frozen=True)
class _Title:
    text: str | None = None
    company: str | None = None
    index: int = -1


def _title(segments: list[_Segment], after: int, labels: tuple[str, ...]) -> _Title:
    """The first title-like segment after the name line, else one before it."""
    order = list(range(after, len(segments))) + list(range(max(after - 1, 0)))
    for i in order:
        text = segments[i].text
        if _is_contact_segment(text) or not _has_title_word(text):
            continue
        if _has_legal_form(text) and not _split_title(text, labels)[1]:
            continue
        if _CJK.search(text):
            return _Title(_cjk_title(text), None, i)
        title, company = _split_title(text, labels)
        return _Title(title, company, i)
    return _Title()


def _company(segments: list[_Segment], skip: set[int], labels: tuple[str, ...]) -> str | None:
    usable = [
        seg
        for i, seg in enumerate(segments)
        if i not in skip and not _is_contact_segment(seg.text) and "@" not in seg.text
    ]
    for seg in usable:
        if _has_legal_form(seg.text) and not _has_title_word(seg.text):
            return seg.text.strip(" ,")
    for seg in usable:
        if len(seg.text.split()) <= 6 and any(_matches_domain(seg.text, lab) for lab in labels):
            return seg.text.strip(" ,")
    return None


def _company_below(segments: list[_Segment], above: int, skip: set[int]) -> str | None:
    """Last resort: the segment right below the title, if it reads like an organisation."""
    i = above + 1
    if above < 0 or i >= len(segments) or i in skip:
        return None
    text = segments[i].text.strip(" ,")
    if _is_contact_segment(text) or _has_title_word(text) or _DIGIT.search(text):
        return None
    words = text.split()
    if not 1 <= len(words) <= 6 or not text[:1].isupper() or _is_department(text):
        return None
    return text


def _is_department(text: str) -> bool:
    lower = text.lower()
    return any(word in lower for word in _DEPARTMENT_WORDS) or lower.endswith(("部", "室", "课"))


def _vcard_fields(lines: list[str], region: str) -> Fields:
    values: dict[str, str] = {}
    phones: list[Phone] = []
    for line in lines:
        match = _VCARD_LINE.match(line.strip())
        if not match:
            continue
        key, params, value = match.group("key"), match.group("params"), match.group("value")
        if key == "TEL":
            phones.extend(_line_phones(f"{params}: {value}", region))
        else:
            values.setdefault(key, value.strip())
    text = "\n".join(lines)
    org = values.get("ORG", "").split(";")[0] or None
    return Fields(
        full_name=values.get("FN") or None,
        job_title=values.get("TITLE") or None,
        company=org,
        phones=tuple(phones),
        emails=_emails(text),
        website=_website(values.get("URL", "")),
        linkedin=_linkedin(text),
    )


def parse_signature(
    sig: str,
    sender_name: str = "",
    sender_email: str = "",
    default_region: str | None = None,
) -> Fields:
    """Read contact fields from a signature block (which may be empty).

    The sender's display name anchors the name line and the organisation's domains
    anchor the company line; an empty block still yields the display name when it
    names a person, so contacts without signatures get a name.
    """
    sender_email = sender_email or ""
    lines = [line.strip()[:_MAX_PARSE_LINE] for line in (sig or "").split("\n") if line.strip()]
    lines = lines[:_MAX_PARSE_LINES]
    sig = "\n".join(lines)
    region = _region(sender_email, default_region, sig)
    if lines and lines[0].upper() == "BEGIN:VCARD":
        return _vcard_fields(lines, region)
    automated = _is_automated(sender_email)
    display = None if automated else clean_display_name(sender_name or "", sender_email)
    emails, website = _emails(sig), _website(sig)
    labels = _domain_labels(sender_email, emails, website)
    segments = _all_segments(lines)
    name_at = _pick_name(segments, display)
    name = _clean_name(segments[name_at].text) if name_at is not None else None
    title = _title(segments, 0 if name_at is None else name_at + 1, labels)
    return Fields(
        full_name=_full_name(name, display, labels),
        job_title=title.text,
        company=_organisation(segments, name_at, title, labels),
        phones=_phones(lines, region),
        emails=emails,
        website=website,
        linkedin=_linkedin(sig),
    )


def _organisation(
    segments: list[_Segment], name_at: int | None, title: _Title, labels: tuple[str, ...]
) -> str | None:
    """Legal form, then the sender's domain, then "Title at Company", then position."""
    skip = set() if name_at is None else {name_at}
    if title.text:
        skip |= {i for i, seg in enumerate(segments) if title.text in seg.text}
    found = _company(segments, skip, labels) or title.company
    return found or _company_below(segments, title.index, skip)
