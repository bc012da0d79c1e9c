#pragma once
// Our own CBOR (RFC 8949) reader and a small writer. Debian's libcbor 0.8 must never see untrusted
// bytes (a 5-byte input makes it allocate gigabytes), so HC1 is parsed here. Pure, no I/O.
//
// Reader guarantees: nesting depth ≤ kMaxCborDepth; a declared length or element count is checked
// against the bytes left *before* anything is read or allocated (every element takes at least one
// byte), so memory is bounded by a small multiple of the input size; the whole input must be one
// item (no trailing bytes); text strings must be valid UTF-8; reserved additional-information
// values and stray "break" bytes are errors.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "firmware/base/Result.h"

namespace sentinel::credential {

// DESIGN §2: bounded CBOR. HCERT needs 6 levels (claims → hcert → dcc → t → entry → value).
inline constexpr unsigned kMaxCborDepth = 16;

enum class CborType { Unsigned, Negative, Bytes, Text, Array, Map, Tag, Simple, Float };

struct CborValue {
    CborType type = CborType::Simple;
    // Unsigned: the value. Negative: n, the value being -1 - n. Tag: the tag number.
    // Simple: the simple value (20 false, 21 true, 22 null, 23 undefined).
    uint64_t number = 0;
    double real = 0.0;                 // Float (half, single and double all widen to double)
    std::vector<uint8_t> bytes;        // Bytes
    std::string text;                  // Text
    std::vector<CborValue> items;      // Array: elements; Map: key, value, key, value…; Tag: the tagged item

    bool isInt() const { return type == CborType::Unsigned || type == CborType::Negative; }
    // The integer when it fits int64_t.
    std::optional<int64_t> asInt() const;
    size_t mapSize() const { return type == CborType::Map ? items.size() / 2 : 0; }
    // Map lookup by integer or text key: the first matching value, nullptr when absent or not a map.
    const CborValue* find(int64_t key) const;
    const CborValue* find(std::string_view key) const;
    // True when two keys of this map are equal integers or equal texts (ambiguous headers/claims).
    bool hasDuplicateKeys() const;
};

Result<CborValue> cborDecode(std::span<const uint8_t> input, unsigned maxDepth = kMaxCborDepth);

// Definite-length, shortest-form encoder (used by the test issuer and the tests).
class CborWriter {
public:
    CborWriter& unsignedInt(uint64_t v);
    CborWriter& integer(int64_t v);
    CborWriter& bytes(std::span<const uint8_t> v);
    CborWriter& text(std::string_view v);
    CborWriter& array(uint64_t count);  // then `count` items
    CborWriter& map(uint64_t pairs);    // then `pairs` key/value item pairs
    CborWriter& tag(uint64_t number);   // then one item
    CborWriter& float64(double v);
    CborWriter& boolean(bool v);
    CborWriter& null();
    // Appends already encoded CBOR as the next item.
    CborWriter& raw(std::span<const uint8_t> encoded);

    const std::vector<uint8_t>& data() const { return out_; }
    std::vector<uint8_t> take() { return std::move(out_); }

private:
    void head(uint8_t major, uint64_t value);
    std::vector<uint8_t> out_;
};

}  // namespace sentinel::credential
