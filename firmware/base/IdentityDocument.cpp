#include "firmware/base/IdentityDocument.h"

#include <array>
#include <utility>

namespace sentinel {
namespace {

constexpr std::array<std::pair<DocumentType, std::string_view>, 5> kNames{{
    {DocumentType::CnId, "CN-ID"},
    {DocumentType::CnPermitJ, "CN-PERMIT-J"},
    {DocumentType::CnPrI, "CN-PR-I"},
    {DocumentType::Passport, "PASSPORT"},
    {DocumentType::IdTd1, "ID-TD1"},
}};

}  // namespace

std::string_view toString(DocumentType t) {
    for (const auto& [type, name] : kNames) {
        if (type == t) return name;
    }
    return "CN-ID";
}

std::optional<DocumentType> documentTypeFromString(std::string_view s) {
    for (const auto& [type, name] : kNames) {
        if (name == s) return type;
    }
    return std::nullopt;
}

std::string_view recordFormat(DocumentType t) {
    return t == DocumentType::Passport || t == DocumentType::IdTd1 ? "MRZ" : "ID";
}

}  // namespace sentinel
