"""Word pools for ``gen_mailbox.py``: names, companies, phrases, newsletter brands.

Kept apart from the generator so that the generator reads as logic, not lists.
Everything here is fictional; phone numbers sit in ranges reserved for drama or
documentation where a country has one (US 555-01xx, UK 020 7946 0xxx, 07700 900xxx),
and IP addresses are the RFC 5737 documentation blocks.
"""

from __future__ import annotations

# Locale code -> (top-level domain, weight among companies). The weights set the
# mix of .com/.io/.de/.co.uk/.fr/.co.jp/.com.au that a CRM's domain logic meets.
LOCALES: dict[str, tuple[str, float]] = {
    "us": ("com", 0.34),
    "io": ("io", 0.12),
    "de": ("de", 0.16),
    "uk": ("co.uk", 0.12),
    "fr": ("fr", 0.10),
    "jp": ("co.jp", 0.08),
    "au": ("com.au", 0.08),
}

EN_FIRST = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda",
    "David", "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica",
    "Thomas", "Sarah", "Christopher", "Karen", "Daniel", "Lisa", "Matthew", "Nancy",
    "Anthony", "Sandra", "Mark", "Ashley", "Steven", "Emily", "Andrew", "Michelle",
    "Joshua", "Amanda", "Kevin", "Melissa", "Brian", "Rebecca", "Ryan", "Laura",
    "Jacob", "Rachel", "Gary", "Olivia", "Nicholas", "Hannah", "Eric", "Grace",
    "Jonathan", "Chloe", "Priya", "Raj", "Wei", "Mei", "Carlos", "Sofia",
)
EN_LAST = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
    "Rodriguez", "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Taylor",
    "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris",
    "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Green", "Baker", "Adams", "Nelson", "Hill", "Campbell", "Mitchell",
    "Carter", "Roberts", "Patel", "Shah", "Chen", "Nguyen", "O'Brien", "Murphy",
    "Kelly", "Sullivan", "Fitzgerald", "McAllister", "Hughes", "Price", "Bennett",
    "Wood", "Barnes", "Fisher", "Hayes", "Foster", "Porter",
)
DE_FIRST = (
    "Jürgen", "Jörg", "Björn", "Sören", "Günter", "Käthe", "Lena", "Lukas", "Anna",
    "Felix", "Sabine", "Stefan", "Katrin", "Markus", "Claudia", "Tobias", "Julia",
    "Matthias", "Ute", "Dirk", "Heike", "Florian", "Birgit", "Andreas", "Monika",
    "Uwe", "Sandra", "Ralf", "Nicole", "Thorsten", "Maximilian", "Johanna",
)
DE_LAST = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
    "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf",
    "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann",
    "Hartmann", "Lange", "Weiß", "Groß", "Köhler", "Jäger", "Böhm", "Vogel",
    "Friedrich", "Keller", "Günther", "Frank", "Berger",
)
FR_FIRST = (
    "François", "Hélène", "Amélie", "Céline", "Jérôme", "Loïc", "Chloé", "Mathieu",
    "Camille", "Nicolas", "Élodie", "Julien", "Sébastien", "Aurélie", "Thibault",
    "Manon", "Guillaume", "Léa", "Benoît", "Margaux", "Pierre", "Sophie", "Antoine",
    "Inès", "Clément", "Émilie", "Olivier", "Gaëlle",
)
FR_LAST = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
    "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garnier", "Faure",
    "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Girard", "Lemaître",
    "Bérenger", "Fontaine", "Chevalier", "Mercier", "Lambert", "Bonnet",
)
# (kanji, romaji): Japanese contacts appear under either spelling.
JP_FAMILY = (
    ("佐藤", "Sato"), ("鈴木", "Suzuki"), ("高橋", "Takahashi"), ("田中", "Tanaka"),
    ("渡辺", "Watanabe"), ("伊藤", "Ito"), ("山本", "Yamamoto"), ("中村", "Nakamura"),
    ("小林", "Kobayashi"), ("加藤", "Kato"), ("吉田", "Yoshida"), ("山田", "Yamada"),
    ("佐々木", "Sasaki"), ("松本", "Matsumoto"), ("井上", "Inoue"), ("木村", "Kimura"),
    ("林", "Hayashi"), ("清水", "Shimizu"), ("山口", "Yamaguchi"), ("森", "Mori"),
)
JP_GIVEN = (
    ("太郎", "Taro"), ("健", "Ken"), ("翔太", "Shota"), ("大輔", "Daisuke"),
    ("拓也", "Takuya"), ("直樹", "Naoki"), ("陽子", "Yoko"), ("恵", "Megumi"),
    ("美咲", "Misaki"), ("由美", "Yumi"), ("花子", "Hanako"), ("健一", "Kenichi"),
    ("誠", "Makoto"), ("裕子", "Yuko"), ("明美", "Akemi"), ("隆", "Takashi"),
    ("浩二", "Koji"), ("聡", "Satoshi"), ("真由美", "Mayumi"), ("亮", "Ryo"),
)

# Company name stems per locale; combined with an industry word they give a large
# space of distinct names, so company domains never collide by accident.
COMPANY_STEMS: dict[str, tuple[str, ...]] = {
    "us": (
        "Northwind", "Bluepeak", "Kestrel", "Ironbridge", "Summit", "Redwood", "Cobalt",
        "Harborview", "Granite", "Silverline", "Clearwater", "Pinecrest", "Lakeshore",
        "Brightpath", "Copperfield", "Eastgate", "Westfield", "Stonebrook", "Falcon",
        "Meridian", "Highland", "Riverbend", "Oakridge", "Sterling", "Beacon",
        "Trailhead", "Keystone", "Frontier", "Lumen", "Crestline",
    ),
    "io": (
        "Stackly", "Gridbeam", "Vectra", "Nimbic", "Flowpilot", "Datavane", "Quorra",
        "Sensora", "Botwise", "Loopwork", "Kinetiq", "Partsy", "Fleetlane", "Shiftgrid",
        "Pickwise", "Opsloop", "Tracklet", "Motiv", "Cellar", "Routeable", "Zentrik",
        "Axlebase", "Plantly", "Forgepoint",
    ),
    "de": (
        "Rheinwerk", "Alpenstahl", "Nordlicht", "Elbtal", "Schwarzwald", "Isartal",
        "Mainfeld", "Harzberg", "Bodensee", "Moselgrund", "Weserland", "Spreewerk",
        "Ostwind", "Lindenhof", "Eichenbach", "Sonnenfeld", "Hansewerk", "Brückner",
        "Falkenstein", "Neckartal", "Ammersee", "Taunus",
    ),
    "uk": (
        "Thameside", "Pennine", "Cotswold", "Highgate", "Kingsmead", "Albion",
        "Ashford", "Brackenridge", "Whitcombe", "Marlow", "Fenwick", "Harrowgate",
        "Westmoor", "Tyneside", "Sherwood", "Blackwater", "Ravenscroft", "Elmstead",
        "Larkhill", "Caledon",
    ),
    "fr": (
        "Soleil", "Mistral", "Lavande", "Garonne", "Loiret", "Vercors", "Armor",
        "Bellerive", "Clairval", "Montclair", "Beaulieu", "Rivesaltes", "Auvergne",
        "Valmont", "Lumière", "Orion", "Cévennes", "Dauphin",
    ),
    "jp": (
        "Hoshino", "Sakura", "Fujimi", "Kawaguchi", "Asahi", "Midori", "Takara",
        "Yamato", "Hikari", "Sanwa", "Tokai", "Kiyomizu", "Minato", "Daiichi",
        "Shinsei", "Kobe",
    ),
    "au": (
        "Outback", "Coral", "Southern Cross", "Bluegum", "Wattle", "Eucalypt",
        "Harbourside", "Koala", "Red Centre", "Tasman", "Murray", "Kimberley",
        "Bondi", "Sunshine Coast", "Darling", "Pilbara",
    ),
}
COMPANY_WORDS: dict[str, tuple[str, ...]] = {
    "us": (
        "Logistics", "Analytics", "Dynamics", "Systems", "Robotics", "Medical", "Foods",
        "Packaging", "Automation", "Manufacturing", "Industries", "Fulfillment",
        "Components", "Plastics", "Pharma", "Distribution", "Engineering", "Labs",
        "Supply", "Electronics",
    ),
    "io": ("", "Labs", "AI", "HQ", "Cloud", "Robotics", "Ops", "Systems", "Data", "Hub"),
    "de": (
        "Logistik", "Maschinenbau", "Antriebstechnik", "Automation", "Systeme",
        "Fördertechnik", "Kunststofftechnik", "Verpackung", "Elektronik", "Präzision",
        "Lebensmittel", "Pharma", "Metallbau", "Anlagenbau",
    ),
    "uk": (
        "Logistics", "Engineering", "Foods", "Packaging", "Automation", "Distribution",
        "Pharmaceuticals", "Components", "Manufacturing", "Systems", "Freight",
        "Precision",
    ),
    "fr": (
        "Automatisme", "Industrie", "Logistique", "Solutions", "Emballage", "Mécanique",
        "Robotique", "Systèmes", "Agroalimentaire", "Pharma",
    ),
    "jp": ("Seiki", "Kogyo", "Denki", "Shoji", "Seisakusho", "Kikai", "Butsuryu", "Kasei"),
    "au": (
        "Freight", "Logistics", "Engineering", "Foods", "Mining Services", "Packaging",
        "Automation", "Agri", "Distribution", "Manufacturing",
    ),
}
LEGAL_FORMS: dict[str, tuple[str, ...]] = {
    "us": ("Inc.", "LLC", "Corp.", "Inc.", ""),
    "io": ("", "", "Inc."),
    "de": ("GmbH", "GmbH", "AG", "GmbH & Co. KG", "SE"),
    "uk": ("Ltd", "Ltd", "Limited", "plc", "LLP"),
    "fr": ("SAS", "SA", "SARL", "SAS"),
    "jp": ("Co., Ltd.", "K.K.", "Corporation"),
    "au": ("Pty Ltd", "Pty Ltd", "Pty. Ltd.", "Limited"),
}
CITIES: dict[str, tuple[str, ...]] = {
    "us": ("Chicago", "Austin", "Denver", "Atlanta", "Columbus", "San Jose", "Boston"),
    "io": ("San Francisco", "Berlin", "London", "New York", "Tel Aviv", "Amsterdam"),
    "de": ("München", "Düsseldorf", "Stuttgart", "Hamburg", "Köln", "Nürnberg", "Bremen"),
    "uk": ("London", "Manchester", "Leeds", "Bristol", "Glasgow", "Birmingham"),
    "fr": ("Lyon", "Toulouse", "Lille", "Nantes", "Grenoble", "Bordeaux", "Paris"),
    "jp": ("Tokyo", "Osaka", "Nagoya", "Yokohama", "Kobe", "Fukuoka"),
    "au": ("Sydney", "Melbourne", "Brisbane", "Perth", "Adelaide"),
}

TITLES: dict[str, tuple[str, ...]] = {
    "en": (
        "Head of Procurement", "Operations Manager", "VP Engineering", "Plant Manager",
        "Purchasing Manager", "Director of Operations", "Senior Buyer", "CTO",
        "Automation Engineer", "Supply Chain Lead", "Project Manager", "Managing Director",
        "Facilities Manager", "Production Engineer", "Chief Operating Officer",
        "Category Manager, Indirect Spend", "Continuous Improvement Lead",
    ),
    "de": (
        "Einkaufsleiter", "Leiterin Produktion", "Technischer Leiter", "Geschäftsführer",
        "Strategischer Einkäufer", "Projektleiterin Automatisierung", "Werksleiter",
        "Leiter Instandhaltung", "Head of Operations",
    ),
    "fr": (
        "Responsable des achats", "Directeur technique", "Directrice des opérations",
        "Chef de projet", "Ingénieur méthodes", "Acheteur industriel", "Directeur d'usine",
    ),
    "jp": (
        "Purchasing Manager", "General Manager, Production", "Engineering Section Chief",
        "購買部 課長", "生産技術部 部長", "Overseas Sales Manager",
    ),
}

FREEMAIL: dict[str, tuple[str, ...]] = {
    "us": ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "hotmail.com"),
    "io": ("gmail.com", "protonmail.com", "outlook.com"),
    "de": ("gmx.de", "web.de", "t-online.de", "gmail.com"),
    "uk": ("hotmail.co.uk", "gmail.com", "btinternet.com", "yahoo.co.uk"),
    "fr": ("orange.fr", "free.fr", "gmail.com", "laposte.net"),
    "jp": ("gmail.com", "yahoo.co.jp", "outlook.jp"),
    "au": ("bigpond.com", "gmail.com", "outlook.com.au"),
}

# People of the owner's own company (the "team").
INTERNAL_FIRST = (
    "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy", "Mallory",
    "Niaj", "Olivia", "Peggy", "Rupert", "Sybil", "Trent", "Victor", "Wendy",
)

PRODUCTS = (
    "ARX-400 gripper", "Cobot C7", "AMR-200 mobile robot", "VisionKit 3", "SafeZone scanner",
    "palletizing cell", "Cobot C12", "tool changer TC-50", "service contract",
    "spare parts kit", "fleet manager licence", "welding cell W3",
)
# Short forms used in file names and subjects.
PRODUCT_CODES = ("ARX-400", "C7", "AMR-200", "VK3", "SZ-1", "PC-90", "C12", "TC-50", "W3")

EN_SUBJECTS = (
    "Quote for {qty}x {product}", "Follow-up: demo on {weekday}", "Contract renewal 2027",
    "Invoice {ref}", "Site visit in {city}", "Question about the {product}",
    "Meeting next week?", "{company} / {us} - next steps", "PO {ref}",
    "Delivery date for order {ref}", "Pricing for {product}", "Intro call",
    "Trial results", "RFQ: automation of packaging line 3", "Updated proposal",
    "Technical questions before the PO", "Lead times for Q1", "NDA for review",
    "Safety certification for the {product}", "Can we move our call?",
    "Reference customer in {city}?", "Integration with our WMS", "Budget approval",
    "Service visit {date}", "Warranty claim {ref}", "Training dates",
    "Your talk at the trade fair", "Commissioning checklist", "Feedback on the pilot",
)
DE_SUBJECTS = (
    "Angebot für {qty}x {product}", "Rückfrage zum {product}", "Termin am {weekday}",
    "Bestellung {ref}", "Lieferzeit für Auftrag {ref}", "Besuch in {city}",
    "Preisanfrage {product}", "Unterlagen für die Freigabe", "Wartungsvertrag 2027",
)
FR_SUBJECTS = (
    "Devis pour {qty}x {product}", "Question sur le {product}", "Rendez-vous {weekday}",
    "Commande {ref}", "Visite du site de {city}", "Proposition mise à jour",
    "Délais de livraison", "Contrat de maintenance 2027",
)

EN_GREETINGS = ("Hi {first},", "Hello {first},", "Dear {first},", "{first},", "Hi {first} -")
DE_GREETINGS = (
    "Hallo {first},", "Guten Tag {first} {last},", "Sehr geehrte Damen und Herren,", "Hallo,",
)
FR_GREETINGS = ("Bonjour {first},", "Bonjour Monsieur, Madame,", "Bonjour,", "Chère {first},")
JP_GREETINGS = ("{last}-san,", "Dear {first},", "{last}様", "Hello {first},")

EN_SENTENCES = (
    "Thanks for the call yesterday, it was very helpful.",
    "As discussed, I have attached the updated quote for {qty} units of the {product}.",
    "Could you send me the datasheet for the {product}?",
    "We are planning the rollout for {date} and would like to confirm the lead time.",
    "Our budget for this project is around {amount}.",
    "I spoke with our plant manager in {city} and he is keen to see a demo.",
    "Would {weekday} at {time} work for a quick call?",
    "Please find our purchase order {ref} attached.",
    "The pilot went well overall, but we saw a few issues with the vacuum cups.",
    "Can you confirm whether the price includes installation and training?",
    "I'll loop in our engineering lead so she can answer the integration questions.",
    "We need the safety documentation before our internal review on {weekday}.",
    "Let me know if you need anything else from our side.",
    "Sorry for the late reply, it has been a busy week here.",
    "Our legal team has a few comments on the NDA, see below.",
    "Is there any flexibility on the payment terms?",
    "We would like to order {qty} more units, same configuration as last time.",
    "The delivery for order {ref} has not arrived yet, can you check the status?",
    "I'm out of the office from {date}, please contact my colleague in the meantime.",
    "The team at {company} was impressed by the cycle times you showed.",
    "Could we get a reference customer in the food industry?",
    "Attached is the layout of the line, the robot would sit between stations 4 and 5.",
    "We have approval for phase one, phase two depends on the results.",
    "Our IT department asks whether the fleet manager can run on premises.",
    "Happy to set up a site visit in {city} next month.",
    "I have forwarded your proposal to our CFO for sign-off.",
    "We compared three vendors and yours is currently the preferred option.",
    "Please update the quote to reflect the discount we discussed.",
    "The invoice {ref} shows the wrong delivery address.",
    "Can your technician come on {weekday} morning instead?",
    "We are still waiting for the certificate of conformity.",
    "Great to meet you at the trade fair last week.",
    "Just following up on my previous email.",
    "Our maintenance team would like a two-day training on site.",
    "The robot stopped twice this week with error E-214, can you advise?",
    "We will need the final drawings by {date} at the latest.",
    "Thanks, that answers my question.",
    "Looking forward to working together on this.",
)
DE_SENTENCES = (
    "vielen Dank für das nette Telefonat gestern.",
    "Anbei erhalten Sie unsere Bestellung {ref}.",
    "Könnten Sie uns ein Angebot über {qty} Stück {product} schicken?",
    "Wir planen die Inbetriebnahme für den {date}.",
    "Unser Budget liegt bei etwa {amount}.",
    "Passt Ihnen {weekday} um {time} Uhr für einen kurzen Termin?",
    "Die Lieferung zu Auftrag {ref} ist leider noch nicht angekommen.",
    "Bitte senden Sie uns die Konformitätserklärung vorab zu.",
    "Unser Werk in {city} würde die Anlage gerne vor Ort sehen.",
    "Können Sie die Zahlungsbedingungen noch einmal prüfen?",
    "Ich melde mich nach Rücksprache mit der Geschäftsführung.",
    "Für Rückfragen stehe ich Ihnen gerne zur Verfügung.",
    "Die Schulung für unsere Instandhaltung sollte zwei Tage dauern.",
    "Der Roboter hat diese Woche zweimal mit Fehler E-214 angehalten.",
)
FR_SENTENCES = (
    "merci pour l'échange d'hier, c'était très utile.",
    "Vous trouverez ci-joint notre bon de commande {ref}.",
    "Pourriez-vous nous envoyer un devis pour {qty} unités du {product} ?",
    "Nous prévoyons la mise en service pour le {date}.",
    "Notre budget est d'environ {amount}.",
    "Seriez-vous disponible {weekday} à {time} pour un point rapide ?",
    "La livraison de la commande {ref} n'est pas encore arrivée.",
    "Notre usine de {city} souhaiterait voir une démonstration.",
    "Je reviens vers vous après validation par la direction.",
    "Je reste à votre disposition pour toute question.",
    "Pouvez-vous confirmer que le prix inclut la formation ?",
)
INTERNAL_SENTENCES = (
    "Can you take a look at the {company} quote before I send it?",
    "FYI, {company} just asked for a site visit in {city}.",
    "Are you joining the pipeline review on {weekday}?",
    "I've updated the forecast for Q1, please check your accounts.",
    "The demo unit is booked until {date}, we need another one for {company}.",
    "Legal approved the NDA template, use the new version from now on.",
    "Can you cover the call with {company} on {weekday}? I'm travelling.",
    "Heads-up: price list 2027 goes live on {date}.",
    "Who owns the {company} account now that Mallory moved teams?",
    "Lunch on {weekday}?",
)
EN_CLOSINGS = (
    "Thanks,", "Best,", "Cheers,", "Thanks!", "Best regards,", "Kind regards,", "Regards,",
)
SIGNOFFS: dict[str, tuple[str, ...]] = {
    "en": ("Best regards,", "Kind regards,", "Many thanks,", "Regards,", "All the best,"),
    "de": ("Mit freundlichen Grüßen", "Viele Grüße", "Beste Grüße", "Freundliche Grüße"),
    "fr": ("Cordialement,", "Bien cordialement,", "Bien à vous,", "Salutations distinguées,"),
    "jp": ("よろしくお願いいたします。", "Best regards,", "Kind regards,"),
}
MOBILE_FOOTERS = (
    "Sent from my iPhone", "Sent from my iPad", "Get Outlook for iOS",
    "Get Outlook for Android", "Von meinem iPhone gesendet", "Envoyé de mon iPhone",
    "Sent from Mail for Windows",
)
DISCLAIMERS = (
    "This email and any attachments are confidential and intended solely for the "
    "addressee. If you have received it in error, please notify the sender and delete it.",
    "CONFIDENTIALITY NOTICE: The information in this message is privileged. Please "
    "consider the environment before printing this email.",
    "Diese E-Mail enthält vertrauliche Informationen. Wenn Sie nicht der richtige "
    "Adressat sind, informieren Sie bitte sofort den Absender und vernichten Sie diese Mail.",
)
OOO_TEXTS = (
    "Thank you for your message. I am out of the office until {date} with limited access "
    "to email. For urgent matters please contact our office.",
    "Vielen Dank für Ihre Nachricht. Ich bin bis zum {date} nicht im Büro. In dringenden "
    "Fällen wenden Sie sich bitte an unsere Zentrale.",
    "Merci pour votre message. Je suis absent(e) jusqu'au {date}.",
)

# Bulk senders: (brand, domain, local part, kind). Kind picks subjects and headers.
BULK_SENDERS = (
    ("CloudForge", "cloudforge.io", "noreply", "notification"),
    ("Calendarly", "calendarly.com", "no-reply", "notification"),
    ("TicketDesk", "ticketdesk.app", "notifications", "notification"),
    ("PayStream", "paystream.com", "billing", "transactional"),
    ("Automation Today", "automation-today.com", "newsletter", "newsletter"),
    ("RoboWorld Expo", "roboworld-expo.de", "news", "newsletter"),
    ("LinkUp", "linkup-network.com", "messages-noreply", "notification"),
    ("ShipTrack", "shiptrack.co.uk", "noreply", "transactional"),
    ("FactoryPulse", "factorypulse.io", "hello", "newsletter"),
    ("Industrie Magazin", "industrie-magazin.de", "newsletter", "newsletter"),
    ("DocuSeal", "docuseal-sign.com", "dse", "transactional"),
    ("GitHarbor", "githarbor.com", "notifications", "notification"),
    ("SlackPoint", "slackpoint.com", "feedback", "notification"),
    ("TravelDesk", "traveldesk.com", "bookings", "transactional"),
    ("Supply Chain Weekly", "supplychainweekly.com", "editors", "newsletter"),
    ("Salesbridge", "salesbridge.io", "no-reply", "notification"),
    ("Webinar Hub", "webinarhub.com", "events", "newsletter"),
    ("Usine Nouvelle Digest", "usine-digest.fr", "info", "newsletter"),
    ("Expense Owl", "expenseowl.com", "receipts", "transactional"),
    ("Zoomcast", "zoomcast.us", "no-reply", "notification"),
    ("Tokyo Robotics Forum", "robotics-forum.co.jp", "info", "newsletter"),
    ("AusManufacturing", "ausmanufacturing.com.au", "news", "newsletter"),
)
BULK_SUBJECTS: dict[str, tuple[str, ...]] = {
    "newsletter": (
        "{brand} Weekly: automation trends you missed", "This month at {brand}",
        "Webinar: scaling robotics in 2027", "{brand} Digest #{n}",
        "Last chance: early-bird tickets", "5 ways to cut changeover time",
        "Your November update from {brand}",
    ),
    "notification": (
        "New sign-in to your {brand} account", "[{brand}] Build #{n} failed",
        "You have {n} new notifications", "Reminder: meeting tomorrow at 10:00",
        "Someone mentioned you in #sales", "Your weekly activity summary",
        "Action required: verify your email",
    ),
    "transactional": (
        "Your receipt from {brand} #{n}", "Invoice {n} is available",
        "Your shipment is on its way", "Booking confirmation {n}",
        "Please sign: Master Services Agreement", "Payment received - thank you",
    ),
}
# How bulk mail is sent: return-path template and Message-ID host per ESP.
ESPS = (
    ("ses", "{hex}@us-east-1.amazonses.com", "email.amazonses.com"),
    ("sendgrid", "bounces+{num}-{hex4}={rcpt}@em{num4}.{domain}", "geopod-ismtpd-{num1}"),
    ("mailchimp", "bounce-mc.us{num1}_{num}.{num}-{rcpt}@mail{num3}.atl{num2}.mcsv.net",
     "mail{num3}.atl{num2}.mcdlv.net"),
    ("mailgun", "bounce+{hex4}.{num}-{rcpt}@mg.{domain}", "mg.{domain}"),
    ("hubspot", "{num}-{hex}@bounce.{domain}", "{num}.hubspotemail.net"),
)

# Role mailboxes at companies (not people, but companies' shared inboxes).
ROLE_LOCALS = ("info", "support", "sales", "accounts", "orders", "hello", "office", "service")
ROLE_SUBJECTS = (
    "Re: Your enquiry", "Remittance advice {ref}", "[Ticket #{n}] Request received",
    "Order confirmation {ref}", "Thank you for contacting us", "Updated bank details",
    "Supplier onboarding form", "Statement of account",
)

# RFC 5737 documentation addresses for Received: headers.
DOC_NETS = ("192.0.2", "198.51.100", "203.0.113")

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
WEEKDAYS_DE = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag")
WEEKDAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi")
