"""What a job title says about rank and function: seniority and department.

A CRM filters and routes by these ("every VP of Sales we talk to"), and titles are
written in many ways and languages, so each is read from words, not whole titles.
Seniority is the highest rank a title names: "VP Engineering" is a vp, "Assistant
to the CEO" is not a c-level (an assistant or deputy "to" someone works for them).
Department is the first function word found, so "Director of Sales Operations" is
sales; titles that name only a rank ("Managing Director", "CEO") have the
executive department.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Rank words, highest rank first; each a regex alternative matched on word bounds.
_SENIORITY: tuple[tuple[str, str], ...] = (
    ("c-level", r"c[eotfiomrsd]o|chief|(?<!vice[ -])(?:president|presidente|präsident|"
                r"président|présidente)|"
                r"founder|co-?founder|gründer|fondateur|fundador|fondatore|inhaber|"
                r"(?<!product )(?<!process )(?<!business )(?<!data )owner|"
                r"propriétaire|managing director|geschäftsführer(?:in)?|gerente general|"
                r"directeur général|directrice générale|director general|"
                r"direttore generale|amministratore delegato|"
                r"社長|代表取締役|总裁|總裁|总经理|總經理|董事长|董事長"),
    ("vp", r"vp|svp|evp|avp|vice[- ]president|vizepräsident|vice-président|"
           r"vicepresidente|head of|leiter(?:in)?|bereichsleiter(?:in)?|"
           r"副社長|副总裁|副總裁"),
    ("director", r"director|directora|directeur|directrice|direttore|direttrice|"
                 r"diretor|diretora|directeur|direktor(?:in)?|prokurist(?:in)?|"
                 r"部長|本部長|总监|總監"),
    ("manager", r"manager|managerin|gerente|gestionnaire|responsable|responsabile|lead|"
                r"supervisor|superviseur|teamleiter(?:in)?|abteilungsleiter(?:in)?|"
                r"coordinator|koordinator(?:in)?|coordinateur|coordinatrice|"
                r"課長|係長|经理|經理|主管"),
)
# Word bounds for Latin script only: CJK titles have no spaces between words.
_BEFORE, _AFTER = r"(?<![A-Za-zÀ-ÿ0-9&])", r"(?![A-Za-zÀ-ÿ0-9&])"
# A partner of a firm is its top rank; a "Business Partner" or "Partner Manager" is not.
_PARTNER = re.compile(r"^(?:(?:managing|senior|equity|founding|name)\s+)?partner$",
                      re.IGNORECASE)
_SENIORITY_RE = tuple((level, re.compile(f"{_BEFORE}(?:{words}){_AFTER}", re.IGNORECASE))
                      for level, words in _SENIORITY)
# "Assistant to the CEO", "Executive Assistant to the President": the rank is theirs.
_WORKS_FOR = re.compile(r"\b(?:assistant|assistent(?:in)?|assistante|asistente|"
                        r"assistente|secretary|sekretär(?:in)?|secrétaire|"
                        r"office of)\b.*\b(?:to|of|du|de la|de|des|der|del|della)\b",
                        re.IGNORECASE)

# Function words: department -> regex alternatives, checked in this order.
_DEPARTMENTS: tuple[tuple[str, str], ...] = (
    ("sales", r"sales|vertriebs?|verkaufs?|ventes?|commercial|commerciale|comercial|vendite|"
              r"vendas|ventas|verkoop|business development|account (?:executive|manager)|"
              r"key account|营业|営業|销售|銷售"),
    ("marketing", r"marketing|brand|communications?|kommunikation|communication|"
                  r"comunicación|comunicazione|comunicação|(?-i:PR)|public relations|"
                  r"growth|content|広報|市场|市場"),
    ("customer success", r"customer success|customer service|support|kundenservice|"
                         r"kundendienst|service client|atención al cliente|"
                         r"assistenza clienti|helpdesk|help desk"),
    ("finance", r"finance|financial|financier|financière|financiero|financiera|"
                r"finanziario|financeiro|finanzen|finanz|finances|finanzas|finanza|finanças|"
                r"accounting|accountant|buchhaltung|comptabilité|comptable|contabilidad|"
                r"contabilità|contabilidade|controller|controlling|treasury|cfo|"
                r"tax|steuer|billing|payroll|財務|経理|财务|會計|会计"),
    ("procurement", r"procurement|purchasing|purchase|buyer|einkaufs?|einkäufer(?:in)?|"
                    r"achats?|acheteur|acheteuse|compras|acquisti|inkoop|sourcing|購買|采购"),
    ("legal", r"legal|counsel|lawyer|attorney|solicitor|recht|rechtsabteilung|justitiar|"
              r"juriste|juridique|abogad[oa]|jurídic[oa]|avvocato|legale|advogad[oa]|"
              r"compliance|paralegal|法務|法务"),
    ("human resources", r"(?-i:HR)|human resources|people|talent|"
                        r"recruit(?:er|ing|ment)|personalabteilung|ressources humaines|"
                        r"recursos humanos|risorse umane|人事"),
    ("engineering", r"engineering|engineer|entwicklung|entwickler(?:in)?|ingenieur(?:in)?|"
                    r"ingénieur|ingeniero|ingegnere|engenheir[oa]|developer|development|"
                    r"software|r&d|research|architect|devops|cto|技術|技术|研发|開発"),
    ("information technology", r"(?-i:IT)|information technology|informatique|informática|"
                               r"informatica|sysadmin|system administrator|"
                               r"infrastructure|security|cio|ciso|情報システム"),
    ("product", r"product|produkt|produit|producto|prodotto|produto|ux|design|designer"),
    ("operations", r"operations|operational|betrieb|opérations|operaciones|operazioni|"
                   r"operações|logistics|logistik|logistique|logística|supply chain|"
                   r"production|produktion|manufacturing|fertigung|quality|qualität|"
                   r"qualité|calidad|qualità|facility|facilities|coo|運営|运营"),
)
_DEPARTMENT_RE = tuple((name, re.compile(f"{_BEFORE}(?:{words}){_AFTER}", re.IGNORECASE))
                       for name, words in _DEPARTMENTS)


@lru_cache(maxsize=4096)
def seniority(title: str | None) -> str | None:
    """``c-level``, ``vp``, ``director``, ``manager`` or ``individual``; None without
    a title."""
    if not title or not title.strip():
        return None
    if _WORKS_FOR.search(title):
        return "individual"
    if _PARTNER.match(title.strip()):
        return "c-level"
    for level, pattern in _SENIORITY_RE:
        if pattern.search(title):
            return level
    return "individual"


@lru_cache(maxsize=4096)
def department(title: str | None) -> str | None:
    """The function a title names; ``executive`` for a top rank with no function
    ("CEO", "Managing Director"); None when it names neither."""
    if not title or not title.strip():
        return None
    for name, pattern in _DEPARTMENT_RE:
        if pattern.search(title):
            return name
    return "executive" if seniority(title) == "c-level" else None
