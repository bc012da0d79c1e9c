#include "firmware/mrz/StateCodes.h"

#include <algorithm>
#include <array>

namespace sentinel::mrz {
namespace {

// ISO 3166-1 alpha-3 as Debian's iso-codes 4.15 lists it (249 codes), and ICAO Doc 9303 Part 3's
// own codes (D, EUE, GBD, GBN, GBO, GBP, GBS, RKS, UNA, UNK, UNO, UTO, XBA, XCC, XCE, XCO, XDC, XEC,
// XES, XIM, XMP, XOM, XPO, XXA, XXB, XXC, XXX); sorted.
constexpr std::array<std::string_view, 276> kCodes{
    "ABW", "AFG", "AGO", "AIA", "ALA", "ALB", "AND", "ARE", "ARG", "ARM", "ASM", "ATA", "ATF", "ATG",
    "AUS", "AUT", "AZE", "BDI", "BEL", "BEN", "BES", "BFA", "BGD", "BGR", "BHR", "BHS", "BIH", "BLM",
    "BLR", "BLZ", "BMU", "BOL", "BRA", "BRB", "BRN", "BTN", "BVT", "BWA", "CAF", "CAN", "CCK", "CHE",
    "CHL", "CHN", "CIV", "CMR", "COD", "COG", "COK", "COL", "COM", "CPV", "CRI", "CUB", "CUW", "CXR",
    "CYM", "CYP", "CZE", "D", "DEU", "DJI", "DMA", "DNK", "DOM", "DZA", "ECU", "EGY", "ERI", "ESH",
    "ESP", "EST", "ETH", "EUE", "FIN", "FJI", "FLK", "FRA", "FRO", "FSM", "GAB", "GBD", "GBN", "GBO",
    "GBP", "GBR", "GBS", "GEO", "GGY", "GHA", "GIB", "GIN", "GLP", "GMB", "GNB", "GNQ", "GRC", "GRD",
    "GRL", "GTM", "GUF", "GUM", "GUY", "HKG", "HMD", "HND", "HRV", "HTI", "HUN", "IDN", "IMN", "IND",
    "IOT", "IRL", "IRN", "IRQ", "ISL", "ISR", "ITA", "JAM", "JEY", "JOR", "JPN", "KAZ", "KEN", "KGZ",
    "KHM", "KIR", "KNA", "KOR", "KWT", "LAO", "LBN", "LBR", "LBY", "LCA", "LIE", "LKA", "LSO", "LTU",
    "LUX", "LVA", "MAC", "MAF", "MAR", "MCO", "MDA", "MDG", "MDV", "MEX", "MHL", "MKD", "MLI", "MLT",
    "MMR", "MNE", "MNG", "MNP", "MOZ", "MRT", "MSR", "MTQ", "MUS", "MWI", "MYS", "MYT", "NAM", "NCL",
    "NER", "NFK", "NGA", "NIC", "NIU", "NLD", "NOR", "NPL", "NRU", "NZL", "OMN", "PAK", "PAN", "PCN",
    "PER", "PHL", "PLW", "PNG", "POL", "PRI", "PRK", "PRT", "PRY", "PSE", "PYF", "QAT", "REU", "RKS",
    "ROU", "RUS", "RWA", "SAU", "SDN", "SEN", "SGP", "SGS", "SHN", "SJM", "SLB", "SLE", "SLV", "SMR",
    "SOM", "SPM", "SRB", "SSD", "STP", "SUR", "SVK", "SVN", "SWE", "SWZ", "SXM", "SYC", "SYR", "TCA",
    "TCD", "TGO", "THA", "TJK", "TKL", "TKM", "TLS", "TON", "TTO", "TUN", "TUR", "TUV", "TWN", "TZA",
    "UGA", "UKR", "UMI", "UNA", "UNK", "UNO", "URY", "USA", "UTO", "UZB", "VAT", "VCT", "VEN", "VGB",
    "VIR", "VNM", "VUT", "WLF", "WSM", "XBA", "XCC", "XCE", "XCO", "XDC", "XEC", "XES", "XIM", "XMP",
    "XOM", "XPO", "XXA", "XXB", "XXC", "XXX", "YEM", "ZAF", "ZMB", "ZWE"
};

}  // namespace

bool isStateCode(std::string_view code) {
    static_assert(std::is_sorted(kCodes.begin(), kCodes.end()));
    return std::binary_search(kCodes.begin(), kCodes.end(), code);
}

}  // namespace sentinel::mrz
