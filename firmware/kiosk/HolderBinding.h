#pragma once
// Holder binding (DESIGN §15, policy.holder_binding): does an HC1 certificate belong to the person
// whose passport or TD1 card the camera read? Pure functions over the two holders; the pairing in
// time (which presentation waits for which) is the kiosk loop's (Kiosk.h). Everything here handles
// personal data: results are values that say nothing of it, and nothing is logged.

#include <optional>
#include <string>
#include <string_view>

#include "firmware/base/IdentityDocument.h"

namespace sentinel::kiosk {

enum class HolderBinding {
    Off,      // the certificate's holder is not looked at
    Show,     // its masked name and birth year go on the result card, for staff (the default)
    Require,  // an HC1 PASS needs a matching machine-readable document within the window
};
std::string_view toString(HolderBinding b);
std::optional<HolderBinding> holderBindingFromString(std::string_view s);

// Documents that can bind: those read from an MRZ (passport, TD1 card). A resident ID card's name is
// not in Latin script and cannot be compared with a certificate's transliterated name.
bool canBind(DocumentType t);

// ICAO Doc 9303 Part 3 §6 transliteration of a name written in Latin script (UTF-8): upper case,
// national characters as the Doc 9303 table recommends (Ä → AE, Ø → OE, ß → SS, É → E, …), hyphens,
// commas and spaces → one space, apostrophes and full stops dropped. Empty when the name holds a
// character outside Latin script (another script has no transliteration this table knows).
SecretString icaoTransliterate(std::string_view utf8);

// A name for comparison: upper case, '<' and runs of spaces → one space, trimmed.
SecretString normalisedName(std::string_view name);

enum class BindingOutcome {
    Match,       // names and birth date agree
    Mismatch,    // they do not: another person's certificate or document
    Unbindable,  // the certificate names nobody comparable (no family name, an unreadable dob)
};
// §15: the certificate's family name (nam.fnt, else nam.fn transliterated) equals the document's
// primary identifier; the first of its given names (gnt, else gn transliterated) equals the first
// given name on the document; and its birth date equals the document's as far as both are given
// (dob "1964" or "1964-08" compares only the year or year and month). Years compare by their last
// two digits: an MRZ prints no century, so the document's century is a guess. Names that differ only
// in how a state spelled an umlaut (MUELLER / MULLER, AA / A) match: both spellings are Doc 9303's.
BindingOutcome compareHolder(const CertificateHolder& certificate, const IdentityDocument& document);

// What the result card shows for staff (policy.holder_binding show or require): each family name
// part and the first given name as an initial followed by one '*' per further letter (at most 8),
// then the birth year: "M********* E**** (1964)". Empty when the certificate names nobody.
std::string maskedHolder(const CertificateHolder& certificate);

}  // namespace sentinel::kiosk
