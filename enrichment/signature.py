"""Who signed a message: the signature block of the sender's new text and its fields.

The public face of signature reading; the work is split by question:

- ``signature_block``: where the signature is (``find_signature``), given only the new
  text that ``quotes.split_reply`` returns, so no quoted signature is ever taken, read
  through ``signature_tail`` (the text's last lines, each with its tests remembered);
- ``signature_fields``: what it says (``parse_signature``), with the name picked there,
  title, company and department from ``signature_org`` and the address from ``postal``;
- ``phones`` and ``web_links``: numbers in E.164 with their kind, emails, web sites,
  LinkedIn and X;
- ``signature_lines`` / ``signature_names``: tests of single lines and name lines;
- ``signature_words``: the general vocabulary (sign-offs, footers, titles) as data.

All of it is pure: no I/O, no network (tldextract's bundled suffix list is used offline).
"""

from __future__ import annotations

from enrichment.phones import Phone
from enrichment.signature_block import Signature, find_signature
from enrichment.signature_fields import Fields, parse_signature

__all__ = ["Fields", "Phone", "Signature", "find_signature", "parse_signature"]
