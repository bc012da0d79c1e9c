// libFuzzer target: the MRZ parser (firmware/mrz/MrzParser) on arbitrary text, and the identity
// document of whatever passes every check. Aborts if a read that passes is not a well-formed MRZ.
#include <cstdlib>
#include <string_view>

#include "firmware/mrz/MrzParser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto parsed = sentinel::mrz::parseMrzText(text);
    if (!parsed) return 0;
    const auto& f = parsed->fields;
    const int lines = sentinel::mrz::lineCount(f.format);
    if (lines != sentinel::mrz::kTd3Lines && lines != sentinel::mrz::kTd1Lines) std::abort();
    if (parsed->checks.all()) {
        auto doc = sentinel::mrz::toIdentityDocument(*parsed, 2026);
        if (!doc) std::abort();
        // YYYY-MM-DD, YYYY-MM or YYYY; empty when the whole birth date is printed unknown ("<<<<<<").
        const std::size_t n = doc->birthDate.size();
        if (n != 0 && n != 4 && n != 7 && n != 10) std::abort();
    }
    return 0;
}
