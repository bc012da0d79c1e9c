#pragma once
// An identity document as the kiosk presents it for an online lookup (DESIGN §15, §5 v1.1
// `document`): from an ID-card reader (resident ID card, HK/Macao/Taiwan residence permit, foreign
// permanent residence card) or from an MRZ in the camera picture (passport, TD1 card). Every field
// is personal data: SecretString, zeroised when the document goes (STYLE 19). Never log, journal,
// show or send any of it beyond the lookup request.

#include <optional>
#include <string_view>

#include "firmware/base/Secret.h"

namespace sentinel {

enum class DocumentType {
    CnId,       // "CN-ID": second-generation resident identity card
    CnPermitJ,  // "CN-PERMIT-J": residence permit for HK, Macao and Taiwan residents (card type 'J')
    CnPrI,      // "CN-PR-I": foreign permanent resident ID card (card type 'I')
    Passport,   // "PASSPORT": ICAO 9303 TD3
    IdTd1,      // "ID-TD1": ICAO 9303 TD1 card
};

// The §5 v1.1 request spelling: "CN-ID", "CN-PERMIT-J", "CN-PR-I", "PASSPORT", "ID-TD1".
std::string_view toString(DocumentType t);
std::optional<DocumentType> documentTypeFromString(std::string_view s);
// The decision record's `format` for a document: "ID" (card reader) or "MRZ" (camera).
std::string_view recordFormat(DocumentType t);

struct IdentityDocument {
    DocumentType type = DocumentType::CnId;
    SecretString number;       // document number as printed (resident ID: 18 characters, GB 11643)
    SecretString birthDate;    // "YYYY-MM-DD"; MRZ dates carry no century — see firmware/mrz
    SecretString nationality;  // ISO 3166-1 alpha-3 ("CHN")
    // Names. Card readers: the name as printed (UTF-8, Chinese for CN-ID) in `name`. MRZ: the
    // primary identifier and the given names, ICAO-transliterated, '<' replaced by spaces.
    SecretString name;
    SecretString primaryIdentifier;
    SecretString givenNames;

    void wipe() noexcept {
        number.wipe();
        birthDate.wipe();
        nationality.wipe();
        name.wipe();
        primaryIdentifier.wipe();
        givenNames.wipe();
    }
};

// The holder a health certificate names (EU DCC `nam` and `dob`), for §15 holder binding: read
// only from a credential whose signature verified. Personal data like the document above: zeroised
// when the last holder lets go; only a masked form reaches the screen (masked()).
struct CertificateHolder {
    SecretString familyName;          // nam.fn, as the issuer wrote it (any script)
    SecretString familyNameStandard;  // nam.fnt: ICAO 9303 transliteration, A–Z and '<'
    SecretString givenName;           // nam.gn
    SecretString givenNameStandard;   // nam.gnt
    SecretString birthDate;           // dob: "YYYY-MM-DD", "YYYY-MM", "YYYY" or "" (unknown)

    void wipe() noexcept {
        familyName.wipe();
        familyNameStandard.wipe();
        givenName.wipe();
        givenNameStandard.wipe();
        birthDate.wipe();
    }
};

}  // namespace sentinel
