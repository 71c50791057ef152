"""Vocabulary for reading signatures: general knowledge about mail, kept apart from logic.

Everything here is data that a reader of business mail in the nine supported languages
(English, German, French, Spanish, Dutch, Italian, Portuguese, Chinese, Japanese) would
list from experience: closing phrases, mobile-client footers, disclaimer and company
register wording, phone labels, legal forms, job-title and department words,
honorifics, country names. Nothing is copied from any labelled corpus; extending a list
is the way to support a new habit, and the modules that use a list compile it once at
import.

Entries of the ``*_PHRASES`` tuples are regular-expression fragments in lower case
(``\\s+`` between words, optional parts in ``(?:...)?``); word lists are
whitespace-separated.
"""

from __future__ import annotations


def words(text: str) -> frozenset[str]:
    """A whitespace-separated word list as a set."""
    return frozenset(text.split())


def in_order(text: str) -> tuple[str, ...]:
    """A whitespace-separated list whose order matters (regex alternations)."""
    return tuple(text.split())


# Closing phrases that stand alone on a line before the name ("Best regards," / "Thanks").
SIGNOFF_PHRASES: dict[str, tuple[str, ...]] = {
    "en": (
        r"(?:best|kind|kindest|warm|warmest|many|with\s+(?:best|kind|warm)|my\s+best)\s+regards",
        r"regards|rgds|br|best|all\s+(?:the\s+)?best|(?:best|warm)\s+wishes|cheers",
        r"(?:yours\s+)?(?:sincerely|truly|faithfully)(?:\s+yours)?|yours|respectfully",
        r"(?:many\s+)?thanks(?:\s+(?:again|so\s+much|a\s+lot|very\s+much|in\s+advance))?",
        r"thank\s+you(?:\s+(?:again|so\s+much|very\s+much|in\s+advance))?|thx|ta|with\s+thanks",
        r"take\s+care|talk\s+soon|speak\s+soon|have\s+a\s+(?:great|nice|good)\s+(?:day|week|weekend)",
        r"(?:best\s+regards|thanks)\s*(?:and|&)\s*(?:thanks|(?:best\s+|kind\s+)?regards)",
        r"(?:thanks|thank\s+you)\s+kindly|much\s+appreciated|greetings(?:\s+from\s+\S+)?",
        r"warmly|cordially|love|your\s+(?:friend|pal|buddy)",
    ),
    "de": (  # Swiss spelling "Grüsse" included
        r"mit\s+(?:freundlichen|besten|herzlichen|vielen|lieben)\s+grü(?:ß|ss)en(?:\s+aus\s+\S+)?",
        r"mit\s+freundlichem\s+gru(?:ß|ss)|mfg|lg|vg",
        r"(?:(?:freundliche|viele|beste|liebe|herzliche|schöne|sonnige)\s+)?grü(?:ß|ss)e"
        r"(?:\s+aus\s+\S+)?",
        r"gru(?:ß|ss)|danke(?:\s+schön)?|vielen\s+dank|besten\s+dank",
        r"danke\s+und\s+(?:viele\s+|beste\s+)?(?:gru(?:ß|ss)|grü(?:ß|ss)e)",
    ),
    "fr": (
        r"(?:bien\s+|très\s+)?cordialement|bien\s+à\s+(?:vous|toi)|amicalement|sincèrement",
        r"(?:meilleures|sincères)\s+salutations|salutations(?:\s+distinguées)?",
        r"belle\s+journée|bonne\s+(?:journée|soirée)|merci(?:\s+beaucoup|\s+d'avance)?",
        r"à\s+bientôt|amitiés|bises|au\s+plaisir|excellente\s+journée",
        r"merci\s+et\s+(?:belle|bonne)\s+(?:journée|soirée)",
    ),
    "es": (
        r"(?:reciba\s+)?(?:un\s+)?(?:cordial\s+)?saludos?(?:\s+cordiales)?|atentamente",
        r"(?:muchas\s+)?gracias(?:\s+de\s+antemano)?|un\s+abrazo|cordialmente",
    ),
    "pt": (
        r"atenciosamente|saudações|grat[oa]|(?:muito\s+)?obrigad[oa]|att|atte",
        r"(?:com\s+os\s+)?(?:melhores\s+)?cumprimentos|(?:um\s+)?abraços?",
    ),
    "it": (
        r"cordiali\s+saluti|distinti\s+saluti|saluti|un\s+(?:caro\s+)?saluto|grazie(?:\s+mille)?",
        r"a\s+presto|buona\s+giornata|buon\s+lavoro|cordialità|saluti\s+cordiali",
    ),
    "nl": (
        r"(?:met\s+)?(?:vriendelijke|hartelijke)\s+groet(?:en)?|groet(?:en|jes)?|mvg",
        r"(?:alvast\s+)?bedankt|dank\s+(?:je|u)(?:\s+wel)?|met\s+groet|fijne\s+dag",
    ),
    "zh": (
        r"此致|敬礼|此致敬礼|顺祝商祺|顺颂商祺|顺颂时祺|祝商祺|商祺|祝好",
        r"谢谢|多谢|感谢|敬上|祝工作顺利",
    ),
    "ja": (
        r".{0,20}(?:よろしく|宜しく)お願い(?:いた|致)?します|.{0,20}お願い申し上げます|以上(?:です)?",
        r"ありがとうございます|ありがとうございました",
    ),
}

# Footers mail clients append ("Sent from my iPhone"); matched at the start of a line.
MOBILE_FOOTER_PHRASES = (
    r"sent\s+(?:from|via|with|using)\s",
    r"get\s+outlook\s+for",
    r"von\s+meinem\s",
    r"gesendet\s+(?:von|mit)\s",
    r"envoyé\s+(?:de|depuis)\s",
    r"enviado\s+(?:desde|do|de)\s",
    r"inviato\s+da\s",
    r"verzonden\s+(?:met|vanaf)\s",
    r"verstuurd\s+vanaf\s",
    r"发自我的|从我的",
    r"(?:iphone|ipad|android)から送信|送信元",
)

# Wording of confidentiality notices, unsubscribe and "consider the environment" lines,
# and mailing-list archive footers; lower-case, searched anywhere in a line.
LEGAL_PHRASES = (
    r"confiden[ct]",
    r"intended\s+(?:solely\s+)?(?:for\s+the\s+)?(?:named\s+)?recipient|intended\s+solely",
    r"not\s+the\s+intended|privileged|disclaimer",
    r"vertraulich|adressat|irrtümlich|umwelt\s+(?:zuliebe|denken)|dsgvo",
    r"riservat|per\s+errore|avviso",
    r"vertrouwelijk|geadresseerde|uitsluitend\s+bestemd",
    r"destinat[aá]ri|por\s+(?:error|engano)|aviso\s+legal",
    r"par\s+erreur|pensez\s+à\s+l'environnement|rgpd",
    r"by\s+mistake|in\s+error|if\s+you\s+(?:have\s+)?received\s+this|gdpr",
    r"unsubscribe|you\s+are\s+receiving\s+this|consider\s+the\s+environment|before\s+printing",
    r"view\s+this\s+message\s+in\s+context|mailing\s+list\s+archive",
    r"保密|機密|本邮件|本メール|誤って受信|宛先に記載",
)

# Copyright lines name a company but close a newsletter, not a person's signature;
# plain lower-case substrings.
COPYRIGHT_MARKS = ("copyright", "all rights reserved", "©")
# Company register footers (German Impressum, UK/FR/IT/ES/NL registration lines).
REGISTER_PHRASES = (
    r"sitz(?:\s+der\s+gesellschaft)?\s*:|registergericht|amtsgericht|hr[ab]\s*\d",
    r"geschäftsführung\s*:|geschäftsführer\s*:|ust\.?-?\s*id|vorstand\s*:|aufsichtsrat",
    r"registered\s+(?:office|in\s+\w+)|company\s+(?:no|number|registration)",
    r"vat\s+(?:no|number|reg)|rcs\s|siret|capital\s+social|kvk|p\.\s*iva|cif\s*:",
)

# Attachment names that Outlook and Lotus Notes list below the text.
ATTACHMENT_EXTENSIONS = words(
    "pdf doc docx xls xlsx pptx ppt txt zip jpg jpeg png gif vcf wpd csv msg htm html rtf "
    "tif tiff eml"
)

# Local parts of machine senders whose mail has no personal signature.
AUTOMATED_LOCAL_PARTS = words(
    """
    noreply no-reply donotreply do-not-reply donot-reply notification notifications
    mailer-daemon postmaster bounce bounces alert alerts newsletter news billing system
    automated automate
    """
)

# Phone labels by kind; one-letter labels (T, M, F, P, D, C, O) only count as whole words.
PHONE_LABELS: dict[str, str] = {
    "mobile": "mobile mobil mob cell cellular handy port portable móvil movil celular tlm "
    "gsm wireless hp m c 手机 携帯 📱",
    "fax": "fax telefax facsimile fx f 传真 ＦＡＸ",
    "other": "hotline whatsapp switchboard zentrale central standard support service "
    "toll-free tollfree home privat private",
    "work": "t tel tél tfn phone ph p o office direct dir did d work telefon telephone téléphone "
    "teléfono telefone telefono voice 电话 座机 ☎ 📞",
}

# Legal forms of companies, compared as whole tokens with any trailing "." removed.
LEGAL_FORMS = words(
    """
    Inc INC Incorporated LLC L.L.C Ltd LTD Limited LLP PLC plc GmbH mbH AG KG KGaA SE SAS
    S.A.S SARL S.A.R.L SA S.A S.L SL S.L.U S.p.A SpA S.r.l Srl SRL B.V BV N.V NV K.K Pty Pte
    Corp Corporation Co Company Lda Ltda LP OÜ AB A/S ApS Oy e.V S.C SC
    """
)
CJK_LEGAL_FORMS = ("株式会社", "有限会社", "合同会社", "有限公司", "集团", "公司", "(株)", "（株）")

TITLE_ACRONYMS = words(
    "CEO CFO COO CTO CIO CMO CSO CRO CPO CISO VP SVP EVP AVP GM MD PDG DG DAF DRH"
)
TITLE_WORDS = words(
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
    consulente tecnico diretor diretora responsável engenheiro engenheira
    coordenador coordenadora inkoper adviseur medewerker accountmanager eigenaar
    assistante gestionnaire technicien technicienne contrôleur contrôleuse juriste
    consultante analyste développeur développeuse stagiaire administrativo administrativa
    asesor asesora contable abogado abogada impiegato impiegata avvocato gestor gestora
    assistente sócio sócia advogado advogada verkoper hoofd
    leader chief proprietor generalist estimator underwriter actuary surveyor foreman
    nurse physician lecturer curator librarian translator interpreter copywriter
    photographer ambassador evangelist liaison dispatcher
    gesellschafter vorsitzender vorsitzende syndikus justiziar justiziarin
    attaché attachée délégué déléguée fondateur fondatrice associé associée avocat avocate
    secrétaire socio socia fundador fundadora encargado encargada comprador compradora
    vendedor vendedora auxiliar administrador administradora titolare fondatore
    fondatrice addetto addetta segretaria encarregado encarregada oprichter coördinator
    """
)
# German and Dutch titles are compounds ("Vertriebsingenieur", "Teamleider"); English
# professions share endings ("Geologist", "Physicist"). Matched inside lower-case words.
TITLE_STEMS = in_order(
    "ingenieur leider berater sachbearbeiter referent assistent kauffrau kaufmann einkäufer "
    "spezialist manager direktor leiter mitarbeiter leitung controller entwickler architekt "
    "buchhalter koordinator disponent techniker betreuer anwalt anwältin assistenz "
    "ologist physicist chemist therapist "
    "journalist pharmacist"
)
CJK_TITLES = in_order(
    "总经理 经理 总监 主管 工程师 董事 主任 总裁 助理 专员 顾问 会计 秘书 部长 科长 处长 组长 "
    "部長 課長 係長 社長 取締役 代表 次長 専務 常務 会長 顧問 秘書 マネージャー マネジャー "
    "エンジニア 担当 室長 本部長 所長 店長 主査 リーダー ディレクター コンサルタント"
)
# Endings of CJK organisational units ("销售部", "経営企画室"), which are not names.
CJK_UNIT_ENDINGS = (
    "部",
    "室",
    "课",
    "課",
    "所",
    "处",
    "組",
    "组",
    "中心",
    "公司",
    "会社",
    "集团",
    "店",
)

# Words that make a display name or a line an organisation or a role, not a person.
NOT_PERSON_WORDS = words(
    """
    team support billing service services notification notifications noreply no-reply info
    sales newsletter admin helpdesk customer accounts department group office inc llc ltd
    gmbh corp company bank system mailer calendar shop store
    """
)
# Common words that are never part of a person's name line.
NOT_NAME_WORDS = words(
    """
    the our your my us we you contact click here view see please thank thanks regards dear
    hi hello best all from to for with and or at in on by is are this that more info new
    today now online email e-mail mail phone fax web website page home news date time
    request id name type subject re fw fwd attached attachment note notes message
    update reminder meeting agenda call order invoice total price summary
    """
)
# One-word answers that may end a message on their own line ("Agreed", "OK"): a
# closing is a name or initials, never one of these (compared lower-case, no final ".").
REPLY_WORDS = words(
    """
    ok okay yes no yep nope done agreed noted sure great perfect understood confirmed
    approved fine fyi asap tbd welcome congratulations congrats enjoy later tomorrow
    ja nein erledigt einverstanden verstanden super prima genau
    oui non entendu parfait noté compris
    sí si vale perfecto entendido hecho claro
    nee akkoord begrepen top
    sì capito fatto perfetto certo
    sim não feito perfeito entendido combinado
    """
)
# Honorifics, academic and professional prefixes dropped before a name, and the German
# signing-authority marks "i.A." / "i.V." / "ppa." (compared lower-case, no final ".").
HONORIFICS = words(
    """
    dr dra prof mr mrs ms mx sir dame herr frau mme mlle sr sra ing dott dott.ssa avv geom
    rag mag ir drs lic dipl.-ing dipl.-kfm dipl.-inf univ.-prof i.a i.v ppa
    """
)
# Post-nominals nameparser's suffix list lacks: UK and Canadian professional
# designations and institution memberships (chartered engineers, accountants,
# surveyors, personnel and procurement institutes).
EXTRA_POSTNOMINALS = words(
    """
    acca cima acma fcma cgma frcs peng ceng ieng engtech freng frsa fca aca fcca mrics
    frics miet fiet mice fice mimeche fimeche mcipd fcipd mcips fcips mciob fciob
    """
)
# Organisational units: unit words, and the functions companies name departments after.
# A signature segment made only of these (and connectors) is a department ("Legal &
# Compliance", "Service Comptabilité", "Departamento de Compras", "Einkauf").
DEPARTMENT_WORDS = words(
    """
    department dept division abteilung bereich service servicio departamento ufficio
    afdeling team group operations success direction dirección direzione direção
    """
)
DEPARTMENT_FUNCTIONS = words(
    """
    sales marketing finance financial accounting accounts procurement purchasing logistics
    legal compliance hr human resources it engineering r&d research development product
    support customer customers service services quality assurance administration
    communications treasury tax audit risk security facilities supply chain business
    partnerships strategy corporate affairs investor relations public pr design operations
    vertrieb einkauf logistik buchhaltung personal finanzen controlling recht
    rechtsabteilung qualitätsmanagement qualitätssicherung entwicklung forschung technik
    kundenservice kundendienst verwaltung produktion
    comptabilité achats ventes commerciale commercial juridique ressources humaines finances
    logistique qualité client clients informatique
    compras ventas finanzas contabilidad logística recursos humanos jurídico calidad
    administración atención al
    acquisti vendite amministrazione contabilità logistica qualità risorse umane legale
    vendas financeiro contabilidade qualidade
    inkoop verkoop financiën boekhouding logistiek juridische zaken personeelszaken
    klantenservice kwaliteit
    """
)
DEPARTMENT_CONNECTORS = words("& and of de des du la le y e und en van di del della da do das dos")
GREETING_PHRASES = (
    r"hi|hello|hey|dear|good\s+(?:morning|afternoon|evening)",
    r"hallo|guten\s+tag|liebe[rs]?|sehr\s+geehrte[rs]?",
    r"bonjour|bonsoir|cher|chère",
    r"hola|buenos\s+días|buenas|estimad[oa]s?",
    r"ciao|gentile|buongiorno",
    r"olá|bom\s+dia|boa\s+tarde|prezad[oa]",
    r"beste|geachte|hoi",
)
# Street-type words that mark a postal address line after a house number.
STREET_WORDS = in_order(
    "street st avenue ave road rd suite ste floor blvd lane drive way square straße strasse "
    "str weg platz allee rue boulevard calle avda avenida paseo plaza carrer via viale corso "
    "piazza rua av travessa alameda praça rodovia estrada laan straat gracht"
)
# Web-mail domains: their names never stand for the sender's organisation.
FREE_MAIL_LABELS = words(
    """
    gmail googlemail yahoo hotmail outlook live msn aol icloud me mac gmx web t-online
    orange free wanadoo laposte libero proton protonmail yandex qq 163 126 sina naver
    """
)
# Country-code TLDs used as generic ones (.io, .co, .ai): they say nothing of a country.
GENERIC_CCTLDS = words("io co ai me tv fm ly cc ws to sh gg ac app la im is")
# Country codes that are also common file extensions ("setup.py", "run.sh"): a bare
# host with one of these suffixes is only a website when written with www. or a scheme.
FILE_LIKE_SUFFIXES = words("py sh pl pm md rs cs ps so mk sc")
# Networks whose "@handle" is not an X/Twitter handle ("Instagram: @acme").
OTHER_HANDLE_NETWORKS = words(
    "instagram insta ig tiktok threads telegram github mastodon bluesky skype facebook fb "
    "youtube linkedin snapchat"
)
# Social networks and link shorteners: never the sender's website.
SOCIAL_HOSTS = words(
    "linkedin.com twitter.com x.com facebook.com instagram.com youtube.com xing.com "
    "github.com t.co bit.ly"
)
# Country names as written at the end of an address, in English and the country's own
# language(s), for reading national-format phone numbers of senders on generic domains.
COUNTRY_NAMES: dict[str, str] = {
    "US": "usa|u.s.a.|united states|united states of america",
    "CA": "canada",
    "MX": "mexico|méxico",
    "BR": "brazil|brasil",
    "AR": "argentina",
    "CL": "chile",
    "CO": "colombia",
    "GB": "uk|u.k.|united kingdom|great britain|england|scotland|wales|northern ireland",
    "IE": "ireland|éire",
    "DE": "germany|deutschland",
    "AT": "austria|österreich",
    "CH": "switzerland|schweiz|suisse|svizzera",
    "FR": "france",
    "BE": "belgium|belgique|belgië",
    "LU": "luxembourg",
    "NL": "netherlands|the netherlands|nederland|holland",
    "ES": "spain|españa",
    "PT": "portugal",
    "IT": "italy|italia",
    "DK": "denmark|danmark",
    "SE": "sweden|sverige",
    "NO": "norway|norge",
    "FI": "finland|suomi",
    "PL": "poland|polska",
    "CZ": "czech republic|czechia|česko",
    "GR": "greece",
    "TR": "turkey|türkiye",
    "IL": "israel",
    "AE": "uae|united arab emirates",
    "ZA": "south africa",
    "IN": "india",
    "SG": "singapore",
    "MY": "malaysia",
    "HK": "hong kong|香港",
    "CN": "china|p.r. china|中国|中华人民共和国",
    "TW": "taiwan|台灣|台湾",
    "JP": "japan|日本",
    "KR": "korea|south korea",
    "AU": "australia",
    "NZ": "new zealand",
}
