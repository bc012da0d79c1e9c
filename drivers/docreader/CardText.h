#pragma once
// The reply to "read card" (30 01) decoded into an IdentityDocument (DESIGN §15), pure.
//
// Reply data: text length (2, big-endian) · photo length (2, big-endian) · the text block (256
// bytes, UCS-2LE, fields at fixed byte offsets, padded with spaces) · the photo (1024 bytes,
// compressed; never decoded). The card type at byte 248 selects the layout:
//   ' ' (or 0)  second-generation resident ID card        → CN-ID
//   'J'         residence permit for HK/Macao/Taiwan residents: the resident ID layout, the nation
//               field reserved, plus pass number (220–237) and issue count (238–241) → CN-PERMIT-J
//   'I'         foreign permanent resident ID card (2017 layout): English name 0–119, sex 120–121,
//               number 122–151 (15 characters), nationality 152–157 (ISO 3166-1 alpha-3), Chinese
//               name 158–187, validity 188–219, birth date 220–235, card version 236–239, authority
//               code 240–247                              → CN-PR-I
// Any other type (e.g. 'Y', the 2023 foreign permanent resident card, whose layout is not
// established here) is an error naming the type. The address, the photo and the fields the lookup
// does not need are never decoded. Every intermediate buffer is zeroised; errors never hold field
// values.

#include <cstddef>
#include <cstdint>
#include <span>

#include "firmware/base/IdentityDocument.h"
#include "firmware/base/Result.h"

namespace sentinel::docreader {

inline constexpr std::size_t kTextBlockBytes = 256;
inline constexpr std::size_t kPhotoBytes = 1024;
inline constexpr std::size_t kReadLengthsBytes = 4;  // text length (2) + photo length (2)
inline constexpr std::size_t kCardTypeOffset = 248;

// A field of the text block: byte offset and size (UCS-2LE: two bytes a character).
struct TextField {
    std::size_t offset = 0;
    std::size_t bytes = 0;
};

namespace resident {  // CN-ID, and CN-PERMIT-J with the additions below
inline constexpr TextField kName{0, 30};
inline constexpr TextField kSex{30, 2};
inline constexpr TextField kNation{32, 4};
inline constexpr TextField kBirth{36, 16};
inline constexpr TextField kAddress{52, 70};
inline constexpr TextField kNumber{122, 36};
inline constexpr TextField kAuthority{158, 30};
inline constexpr TextField kValidity{188, 32};
inline constexpr TextField kPassNumber{220, 18};  // J only
inline constexpr TextField kIssueCount{238, 4};   // J only
}  // namespace resident

namespace foreign {  // CN-PR-I
inline constexpr TextField kEnglishName{0, 120};
inline constexpr TextField kSex{120, 2};
inline constexpr TextField kNumber{122, 30};
inline constexpr TextField kNationality{152, 6};
inline constexpr TextField kChineseName{158, 30};
inline constexpr TextField kValidFrom{188, 16};
inline constexpr TextField kValidTo{204, 16};
inline constexpr TextField kBirth{220, 16};
inline constexpr TextField kVersion{236, 4};
inline constexpr TextField kAuthorityCode{240, 8};
}  // namespace foreign

inline constexpr TextField kCardType{kCardTypeOffset, 2};
inline constexpr char16_t kTypePermitJ = u'J';
inline constexpr char16_t kTypeForeignI = u'I';

// The 256-byte text block → document. Number, birth date (YYYY-MM-DD, a real date), nationality
// ("CHN" for CN-ID and CN-PERMIT-J) and name (as printed, UTF-8; CN-PR-I: the English name, or the
// Chinese one when it is blank). Errors: wrong size, unsupported card type, a field that is empty,
// malformed or not valid UCS-2.
Result<IdentityDocument> decodeTextBlock(std::span<const std::uint8_t> text);

// A "read card" reply's data (after SW1-SW3): checks the two lengths (text exactly 256 bytes, photo
// at most 1024, together exactly the data that came) and decodes the text block.
Result<IdentityDocument> decodeReadData(std::span<const std::uint8_t> data);

}  // namespace sentinel::docreader
