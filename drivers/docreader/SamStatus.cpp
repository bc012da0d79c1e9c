#include "drivers/docreader/SamStatus.h"

#include <array>
#include <cstdio>

namespace sentinel::docreader {
namespace {

struct Entry {
    std::uint8_t sw3;
    StatusMeaning meaning;
};

using S = StatusScope;
constexpr std::array kTable{
    Entry{sw3::kSuccess, {"operation succeeded", S::Success, false, true}},
    Entry{sw3::kCardFound, {"card found", S::Success, false, true}},
    Entry{sw3::kNoCard, {"no card in the field", S::Success, true, true}},
    Entry{sw3::kNoContent, {"the card holds no such item", S::Card, false, true}},
    Entry{sw3::kChecksumError,
          {"the reader received a frame with a bad checksum", S::Reader, true, true}},
    Entry{sw3::kLengthError,
          {"the reader received a frame with a bad length", S::Reader, true, true}},
    Entry{sw3::kCommandError,
          {"the reader refused the command (value or order)", S::Reader, true, true}},
    Entry{sw3::kNotPermitted,
          {"the reader refused an operation beyond its rights", S::Reader, false, true}},
    Entry{sw3::kUnrecognised, {"the reader reported an unrecognised error", S::Reader, true, true}},
    Entry{sw3::kCardAuthFailed,
          {"the card failed to authenticate the reader", S::Card, true, true}},
    Entry{sw3::kSamAuthFailed, {"the reader failed to authenticate the card", S::Card, true, true}},
    Entry{sw3::kInfoCheckFailed, {"the card's data failed verification", S::Card, true, true}},
    Entry{sw3::kUnknownCardType, {"not a card type the reader knows", S::Card, false, true}},
    Entry{sw3::kReadFailed, {"reading the card failed", S::Card, true, true}},
    Entry{sw3::kRandomFailed, {"the card gave no random number", S::Card, true, true}},
    Entry{sw3::kSelfTestFailed,
          {"the reader's SAM failed its self-test and accepts no command", S::Reader, false, true}},
    Entry{sw3::kUnauthorised, {"the reader's SAM is not authorised", S::Reader, false, true}},
    Entry{sw3::kSelectFailed, {"selecting the card failed", S::Card, true, true}},
    Entry{sw3::kCommFault, {"the reader reported a communication fault", S::Reader, true, true}},
};

}  // namespace

StatusMeaning meaningOf(std::uint8_t value) {
    for (const auto& e : kTable) {
        if (e.sw3 == value) return e.meaning;
    }
    return StatusMeaning{"unknown status", S::Reader, false, false};
}

std::string describeStatus(std::uint8_t value) {
    const auto m = meaningOf(value);
    char buf[96];
    if (!m.known) {
        std::snprintf(buf, sizeof buf, "unknown status 0x%02X", value);
    } else {
        std::snprintf(buf, sizeof buf, "%.*s (SW3 0x%02X)", static_cast<int>(m.text.size()),
                      m.text.data(), value);
    }
    return buf;
}

}  // namespace sentinel::docreader
