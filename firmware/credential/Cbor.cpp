#include "firmware/credential/Cbor.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "firmware/base/Utf8.h"

namespace sentinel::credential {
namespace {

// RFC 8949 §3: major types and additional-information values.
constexpr uint8_t kMajorUnsigned = 0, kMajorNegative = 1, kMajorBytes = 2, kMajorText = 3, kMajorArray = 4,
                  kMajorMap = 5, kMajorTag = 6, kMajorSimple = 7;
constexpr uint8_t kInfoOneByte = 24, kInfoTwoBytes = 25, kInfoFourBytes = 26, kInfoEightBytes = 27;
constexpr uint8_t kInfoIndefinite = 31;
constexpr uint8_t kBreak = 0xFF;
constexpr uint64_t kMinExtendedSimple = 32;  // §3.3: simple values 24..31 in the extra byte are invalid

double halfToDouble(uint16_t h) {
    const int exp = (h >> 10) & 0x1F;
    const int mant = h & 0x3FF;
    double v = 0.0;
    if (exp == 0) {
        v = std::ldexp(mant, -24);
    } else if (exp != 31) {
        v = std::ldexp(mant + 1024, exp - 25);
    } else {
        v = mant == 0 ? std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
    }
    return (h & 0x8000) ? -v : v;
}

class Reader {
public:
    Reader(std::span<const uint8_t> in, unsigned maxDepth) : in_(in), maxDepth_(maxDepth) {}

    Result<CborValue> readTop() {
        CborValue v;
        if (!item(v, 0)) return makeError(error_);
        if (pos_ != in_.size()) return makeError("cbor: bytes after the item");
        return v;
    }

private:
    size_t left() const { return in_.size() - pos_; }

    bool fail(const char* message) {
        error_ = message;
        return false;
    }

    // Reads the argument of a head whose additional information is `info` (< 28).
    bool argument(uint8_t info, uint64_t& value) {
        if (info < kInfoOneByte) {
            value = info;
            return true;
        }
        size_t n = 0;
        switch (info) {
            case kInfoOneByte: n = 1; break;
            case kInfoTwoBytes: n = 2; break;
            case kInfoFourBytes: n = 4; break;
            case kInfoEightBytes: n = 8; break;
            default: return fail("cbor: reserved additional information");
        }
        if (left() < n) return fail("cbor: truncated head");
        value = 0;
        for (size_t k = 0; k < n; ++k) value = (value << 8) | in_[pos_ + k];
        pos_ += n;
        return true;
    }

    bool string(uint8_t major, uint8_t info, CborValue& v) {
        std::vector<uint8_t> buf;
        if (info == kInfoIndefinite) {
            for (;;) {
                if (left() == 0) return fail("cbor: truncated indefinite string");
                const uint8_t b = in_[pos_];
                if (b == kBreak) {
                    ++pos_;
                    break;
                }
                ++pos_;
                if ((b >> 5) != major || (b & 0x1F) == kInfoIndefinite) return fail("cbor: bad string chunk");
                uint64_t len = 0;
                if (!argument(b & 0x1F, len)) return false;
                if (len > left()) return fail("cbor: string longer than the input");
                buf.insert(buf.end(), in_.begin() + static_cast<std::ptrdiff_t>(pos_),
                           in_.begin() + static_cast<std::ptrdiff_t>(pos_ + len));
                pos_ += len;
            }
        } else {
            uint64_t len = 0;
            if (!argument(info, len)) return false;
            if (len > left()) return fail("cbor: string longer than the input");
            buf.assign(in_.begin() + static_cast<std::ptrdiff_t>(pos_),
                       in_.begin() + static_cast<std::ptrdiff_t>(pos_ + len));
            pos_ += len;
        }
        if (major == kMajorText) {
            if (!validUtf8({reinterpret_cast<const char*>(buf.data()), buf.size()})) return fail("cbor: text is not UTF-8");
            v.type = CborType::Text;
            v.text.assign(buf.begin(), buf.end());
        } else {
            v.type = CborType::Bytes;
            v.bytes = std::move(buf);
        }
        return true;
    }

    bool container(uint8_t info, bool isMap, CborValue& v, unsigned depth) {
        v.type = isMap ? CborType::Map : CborType::Array;
        const size_t per = isMap ? 2 : 1;
        if (info == kInfoIndefinite) {
            for (;;) {
                if (left() == 0) return fail("cbor: truncated indefinite container");
                if (in_[pos_] == kBreak) {
                    ++pos_;
                    return true;
                }
                for (size_t k = 0; k < per; ++k) {
                    v.items.emplace_back();
                    if (!item(v.items.back(), depth)) return false;
                }
            }
        }
        uint64_t count = 0;
        if (!argument(info, count)) return false;
        // Every element takes at least one byte: a count beyond the bytes left is a lie.
        if (count > left() / per) return fail("cbor: element count beyond the input");
        for (uint64_t k = 0; k < count * per; ++k) {
            v.items.emplace_back();
            if (!item(v.items.back(), depth)) return false;
        }
        return true;
    }

    bool item(CborValue& v, unsigned depth) {
        if (left() == 0) return fail("cbor: truncated");
        const uint8_t initial = in_[pos_++];
        const uint8_t major = initial >> 5;
        const uint8_t info = initial & 0x1F;
        switch (major) {
            case kMajorUnsigned:
            case kMajorNegative:
                if (info == kInfoIndefinite) return fail("cbor: indefinite integer");
                v.type = major == kMajorUnsigned ? CborType::Unsigned : CborType::Negative;
                return argument(info, v.number);
            case kMajorBytes:
            case kMajorText: return string(major, info, v);
            case kMajorArray:
            case kMajorMap:
                if (depth + 1 > maxDepth_) return fail("cbor: nested too deeply");
                return container(info, major == kMajorMap, v, depth + 1);
            case kMajorTag:
                if (info == kInfoIndefinite) return fail("cbor: indefinite tag");
                if (depth + 1 > maxDepth_) return fail("cbor: nested too deeply");
                v.type = CborType::Tag;
                if (!argument(info, v.number)) return false;
                v.items.emplace_back();
                return item(v.items.back(), depth + 1);
            case kMajorSimple: return simple(info, v);
            default: return fail("cbor: impossible major type");
        }
    }

    bool simple(uint8_t info, CborValue& v) {
        if (info == kInfoIndefinite) return fail("cbor: unexpected break");
        if (info < kInfoOneByte) {
            v.type = CborType::Simple;
            v.number = info;
            return true;
        }
        uint64_t raw = 0;
        if (!argument(info, raw)) return false;
        switch (info) {
            case kInfoOneByte:
                if (raw < kMinExtendedSimple) return fail("cbor: invalid simple value");
                v.type = CborType::Simple;
                v.number = raw;
                return true;
            case kInfoTwoBytes: v.real = halfToDouble(static_cast<uint16_t>(raw)); break;
            case kInfoFourBytes: v.real = std::bit_cast<float>(static_cast<uint32_t>(raw)); break;
            default: v.real = std::bit_cast<double>(raw); break;
        }
        v.type = CborType::Float;
        return true;
    }

    std::span<const uint8_t> in_;
    unsigned maxDepth_;
    size_t pos_ = 0;
    const char* error_ = "cbor: error";
};

std::string keyRepresentation(const CborValue& k) {
    switch (k.type) {
        case CborType::Unsigned: return "u" + std::to_string(k.number);
        case CborType::Negative: return "n" + std::to_string(k.number);
        case CborType::Text: return "t" + k.text;
        case CborType::Bytes: return "b" + std::string(k.bytes.begin(), k.bytes.end());
        default: return {};
    }
}

}  // namespace

std::optional<int64_t> CborValue::asInt() const {
    constexpr auto kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    if (type == CborType::Unsigned && number <= kMax) return static_cast<int64_t>(number);
    if (type == CborType::Negative && number <= kMax) return -1 - static_cast<int64_t>(number);
    return std::nullopt;
}

const CborValue* CborValue::find(int64_t key) const {
    if (type != CborType::Map) return nullptr;
    for (size_t i = 0; i + 1 < items.size(); i += 2) {
        if (items[i].isInt() && items[i].asInt() == key) return &items[i + 1];
    }
    return nullptr;
}

const CborValue* CborValue::find(std::string_view key) const {
    if (type != CborType::Map) return nullptr;
    for (size_t i = 0; i + 1 < items.size(); i += 2) {
        if (items[i].type == CborType::Text && items[i].text == key) return &items[i + 1];
    }
    return nullptr;
}

bool CborValue::hasDuplicateKeys() const {
    if (type != CborType::Map) return false;
    std::vector<std::string> keys;
    keys.reserve(mapSize());
    for (size_t i = 0; i + 1 < items.size(); i += 2) {
        std::string k = keyRepresentation(items[i]);
        if (!k.empty()) keys.push_back(std::move(k));
    }
    std::sort(keys.begin(), keys.end());
    return std::adjacent_find(keys.begin(), keys.end()) != keys.end();
}

Result<CborValue> cborDecode(std::span<const uint8_t> input, unsigned maxDepth) {
    return Reader(input, maxDepth).readTop();
}

void CborWriter::head(uint8_t major, uint64_t value) {
    const auto m = static_cast<uint8_t>(major << 5);
    if (value < kInfoOneByte) {
        out_.push_back(static_cast<uint8_t>(m | value));
        return;
    }
    size_t n = 8;
    uint8_t info = kInfoEightBytes;
    if (value <= 0xFF) {
        n = 1;
        info = kInfoOneByte;
    } else if (value <= 0xFFFF) {
        n = 2;
        info = kInfoTwoBytes;
    } else if (value <= 0xFFFFFFFFULL) {
        n = 4;
        info = kInfoFourBytes;
    }
    out_.push_back(static_cast<uint8_t>(m | info));
    for (size_t k = n; k-- > 0;) out_.push_back(static_cast<uint8_t>(value >> (8 * k)));
}

CborWriter& CborWriter::unsignedInt(uint64_t v) {
    head(kMajorUnsigned, v);
    return *this;
}

CborWriter& CborWriter::integer(int64_t v) {
    if (v >= 0) {
        head(kMajorUnsigned, static_cast<uint64_t>(v));
    } else {
        head(kMajorNegative, static_cast<uint64_t>(-1 - v));
    }
    return *this;
}

CborWriter& CborWriter::bytes(std::span<const uint8_t> v) {
    head(kMajorBytes, v.size());
    out_.insert(out_.end(), v.begin(), v.end());
    return *this;
}

CborWriter& CborWriter::text(std::string_view v) {
    head(kMajorText, v.size());
    out_.insert(out_.end(), v.begin(), v.end());
    return *this;
}

CborWriter& CborWriter::array(uint64_t count) {
    head(kMajorArray, count);
    return *this;
}

CborWriter& CborWriter::map(uint64_t pairs) {
    head(kMajorMap, pairs);
    return *this;
}

CborWriter& CborWriter::tag(uint64_t number) {
    head(kMajorTag, number);
    return *this;
}

CborWriter& CborWriter::float64(double v) {
    out_.push_back(static_cast<uint8_t>((kMajorSimple << 5) | kInfoEightBytes));
    const auto bits = std::bit_cast<uint64_t>(v);
    for (size_t k = 8; k-- > 0;) out_.push_back(static_cast<uint8_t>(bits >> (8 * k)));
    return *this;
}

CborWriter& CborWriter::boolean(bool v) {
    constexpr uint8_t kFalse = 0xF4, kTrue = 0xF5;
    out_.push_back(v ? kTrue : kFalse);
    return *this;
}

CborWriter& CborWriter::null() {
    constexpr uint8_t kNull = 0xF6;
    out_.push_back(kNull);
    return *this;
}

CborWriter& CborWriter::raw(std::span<const uint8_t> encoded) {
    out_.insert(out_.end(), encoded.begin(), encoded.end());
    return *this;
}

}  // namespace sentinel::credential
