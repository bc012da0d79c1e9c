#include "firmware/mrz/StateCodes.h"

#include <gtest/gtest.h>

namespace sentinel::mrz {
namespace {

TEST(StateCodes, IsoAlpha3CodesAreStateCodes) {
    EXPECT_TRUE(isStateCode("GBR"));
    EXPECT_TRUE(isStateCode("CHN"));
    EXPECT_TRUE(isStateCode("ZWE"));
    EXPECT_TRUE(isStateCode("ABW"));
}

TEST(StateCodes, IcaosOwnCodesAreStateCodes) {
    EXPECT_TRUE(isStateCode("D"));    // Germany, printed D<<
    EXPECT_TRUE(isStateCode("UTO"));  // the Doc 9303 specimen state
    EXPECT_TRUE(isStateCode("XXA"));  // stateless
    EXPECT_TRUE(isStateCode("UNO"));
    EXPECT_TRUE(isStateCode("GBD"));
}

TEST(StateCodes, AMisreadLetterIsNoStateCode) {
    EXPECT_FALSE(isStateCode("FHL"));  // PHL, P read as F
    EXPECT_FALSE(isStateCode("CBR"));  // GBR, G read as C
    EXPECT_FALSE(isStateCode("UTQ"));
    EXPECT_FALSE(isStateCode("D<<"));  // fillers are removed before the check
    EXPECT_FALSE(isStateCode(""));
    EXPECT_FALSE(isStateCode("gbr"));
}

}  // namespace
}  // namespace sentinel::mrz
