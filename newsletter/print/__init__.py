"""The print edition: from a built month to the print shop's package.

job        print_edition() / print_job(): the whole job, build folder to print/
proof      print_proof(): the generic edition alone, for review, without the customer data
document   the issue for paper (WeasyPrint), generic and addressed base
assets     images and fonts for WeasyPrint; low-resolution warnings
frontpage  the mailing panel's layout on page 1; window: envelope window geometry
overlay    each copy's personal layer: address, greeting, QR code
addressed  the addressed copies: base PDF + one small layer per recipient
labels     Avery 5160 labels
pdfdraw    small PDF layers drawn directly: embedded font text, QR codes
mailing    who gets it by post (mailing list); postal: address blocks
shop       mailing-list CSV, job ticket, the package zip, emailing it to the shop
compat     the only place touching pypdf/WeasyPrint internals
"""
