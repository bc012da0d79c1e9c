#pragma once
// The three-letter codes an MRZ's issuing state and nationality may hold (ICAO Doc 9303 Part 3 §5:
// ISO 3166-1 alpha-3, plus "D" for Germany and the codes ICAO assigns itself: UN bodies, refugees
// and stateless persons, British territories, Kosovo, the EU, the specimen state UTO). Neither field
// has a check digit: the reader takes a read only when both are codes of this list, so a misread
// letter there (H/M, P/F, G/Q) is caught unless it happens to make another valid code.

#include <string_view>

namespace sentinel::mrz {

// `code` as MrzFields holds it (fillers removed: "D", "UTO"). Pure.
bool isStateCode(std::string_view code);

}  // namespace sentinel::mrz
