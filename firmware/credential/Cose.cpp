#include "firmware/credential/Cose.h"

#include <string_view>

#include "firmware/credential/Cbor.h"

namespace sentinel::credential {
namespace {

constexpr size_t kCoseSign1Elements = 4;  // [protected, unprotected, payload, signature]
constexpr size_t kSigStructureElements = 4;  // [context, body_protected, external_aad, payload]
constexpr std::string_view kSignature1Context = "Signature1";  // RFC 9052 §4.4

}  // namespace

Result<CoseSign1> parseCoseSign1(std::span<const uint8_t> bytes) {
    auto decoded = cborDecode(bytes);
    if (!decoded) return decoded.error();
    const CborValue* top = &decoded.value();
    const bool cwtTagged = top->type == CborType::Tag && top->number == kTagCwt;
    if (cwtTagged) top = &top->items.front();
    if (top->type == CborType::Tag) {
        if (top->number != kTagCoseSign1) return makeError("cose: unexpected tag");
        top = &top->items.front();
    } else if (cwtTagged) {
        return makeError("cose: CWT tag 61 not followed by COSE_Sign1 tag 18");
    }
    if (top->type != CborType::Array || top->items.size() != kCoseSign1Elements) {
        return makeError("cose: not a 4-element COSE_Sign1 array");
    }
    const CborValue& prot = top->items[0];
    const CborValue& unprot = top->items[1];
    const CborValue& payload = top->items[2];
    const CborValue& signature = top->items[3];
    if (prot.type != CborType::Bytes) return makeError("cose: protected header is not a bstr");
    if (unprot.type != CborType::Map) return makeError("cose: unprotected header is not a map");
    if (payload.type != CborType::Bytes) return makeError("cose: payload is not a bstr");
    if (signature.type != CborType::Bytes) return makeError("cose: signature is not a bstr");

    CoseSign1 out;
    out.protectedBytes = prot.bytes;
    CborValue protMap;
    protMap.type = CborType::Map;
    if (!prot.bytes.empty()) {
        auto inner = cborDecode(prot.bytes);
        if (!inner) return inner.error();
        if (inner->type != CborType::Map) return makeError("cose: protected header is not a map");
        protMap = std::move(inner.value());
    }
    if (protMap.hasDuplicateKeys() || unprot.hasDuplicateKeys()) return makeError("cose: duplicate header label");

    if (const CborValue* alg = protMap.find(kHeaderAlg)) {
        if (!alg->asInt()) return makeError("cose: alg is not an integer");
        out.alg = alg->asInt();
    } else if (unprot.find(kHeaderAlg) != nullptr) {
        out.algOnlyUnprotected = true;
    }
    const CborValue* protKid = protMap.find(kHeaderKid);
    const CborValue* unprotKid = unprot.find(kHeaderKid);
    if ((protKid && protKid->type != CborType::Bytes) || (unprotKid && unprotKid->type != CborType::Bytes)) {
        return makeError("cose: kid is not a bstr");
    }
    if (protKid) {
        out.kid = protKid->bytes;
        out.kidSource = KidSource::Protected;
    } else if (unprotKid) {
        out.kid = unprotKid->bytes;
        out.kidSource = KidSource::Unprotected;
    }
    out.payload = payload.bytes;
    out.signature = signature.bytes;
    return out;
}

std::vector<uint8_t> sigStructure(std::span<const uint8_t> protectedBytes, std::span<const uint8_t> payload) {
    CborWriter w;
    w.array(kSigStructureElements).text(kSignature1Context).bytes(protectedBytes).bytes({}).bytes(payload);
    return w.take();
}

}  // namespace sentinel::credential
