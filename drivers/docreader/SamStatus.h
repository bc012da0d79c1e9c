#pragma once
// SW3, the reader module's own status byte, mapped to a clear fault (pure). The table follows the
// module protocol documentation (SAM_V communication protocol: "SW1 SW2 SW3" status list); SW1 and
// SW2 are the card's APDU status words the module passes on and carry no meaning of their own here.

#include <cstdint>
#include <string>
#include <string_view>

namespace sentinel::docreader {

namespace sw3 {
inline constexpr std::uint8_t kSuccess = 0x90;          // operation succeeded
inline constexpr std::uint8_t kNoContent = 0x91;        // the card holds nothing for this item
inline constexpr std::uint8_t kCardFound = 0x9F;        // find card: a card is in the field
inline constexpr std::uint8_t kChecksumError = 0x10;    // the module got a frame with a bad CHK
inline constexpr std::uint8_t kLengthError = 0x11;      // the module got a frame with a bad LEN
inline constexpr std::uint8_t kCommandError = 0x21;     // bad command, value or order
inline constexpr std::uint8_t kNotPermitted = 0x23;     // operation beyond the module's rights
inline constexpr std::uint8_t kUnrecognised = 0x24;     // unrecognised error
inline constexpr std::uint8_t kCardAuthFailed = 0x31;   // the card failed to authenticate the SAM
inline constexpr std::uint8_t kSamAuthFailed = 0x32;    // the SAM failed to authenticate the card
inline constexpr std::uint8_t kInfoCheckFailed = 0x33;  // the card's data failed verification
inline constexpr std::uint8_t kUnknownCardType = 0x40;  // not a card type the SAM knows
inline constexpr std::uint8_t kReadFailed = 0x41;       // reading the card failed
inline constexpr std::uint8_t kRandomFailed = 0x47;     // getting the card's random number failed
inline constexpr std::uint8_t kSelfTestFailed = 0x60;   // SAM self-test failed: accepts no command
inline constexpr std::uint8_t kUnauthorised = 0x66;     // SAM not authorised: cannot be used
inline constexpr std::uint8_t kNoCard = 0x80;           // find card: no card in the field
inline constexpr std::uint8_t kSelectFailed = 0x81;     // selecting the card failed
inline constexpr std::uint8_t kCommFault = 0xFF;        // communication fault (vendor libraries)
}  // namespace sw3

enum class StatusScope {
    Success,  // 0x90, 0x9F, and 0x80 to "find card": not a fault
    Card,     // about the card in the field: the read failed (DOCUMENT_UNREADABLE)
    Reader,   // about the module, its SAM or the line: for the technician
};

struct StatusMeaning {
    std::string_view text;  // "reading the card failed"; "unknown status" when not in the table
    StatusScope scope = StatusScope::Reader;
    bool retryable = false;  // presenting the card again, or asking again, may help
    bool known = false;
};

StatusMeaning meaningOf(std::uint8_t sw3);

// "reading the card failed (SW3 0x41)"; "unknown status 0xA5" for values not in the table.
std::string describeStatus(std::uint8_t sw3);

}  // namespace sentinel::docreader
