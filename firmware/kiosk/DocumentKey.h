#pragma once
// Dedupe keys for identity-document presentations (DESIGN §8, §15): a keyed hash of type and number
// under a key made when the keyer is made and never stored — the same document gives the same key
// within this process (a card swiped twice, a passport held in view), and the key says nothing of
// the document to anyone who reads it (logs, counters).

#include <array>
#include <cstdint>
#include <string>

#include "firmware/base/IdentityDocument.h"

namespace sentinel::kiosk {

class DocumentKeyer {
public:
    DocumentKeyer();  // a fresh random key
    // "<prefix>:" + 32 hex characters.
    std::string keyOf(std::string_view prefix, const IdentityDocument& document) const;

private:
    std::array<std::uint8_t, 32> salt_{};
};

}  // namespace sentinel::kiosk
