#include "drivers/docreader/SamDevice.h"

#include <algorithm>
#include <map>

#include "drivers/docreader/SamStatus.h"

namespace sentinel::docreader {
namespace {

// Made-up cards (GB 11643 check characters computed; no real person).
struct Default {
    std::string_view name;
    TextField field;
    std::string_view value;
};
constexpr Default kResidentDefaults[] = {
    {"name", resident::kName, "张三"},
    {"sex", resident::kSex, "1"},
    {"nation", resident::kNation, "01"},
    {"birth", resident::kBirth, "19491231"},
    {"address", resident::kAddress, "北京市东城区示例路1号"},
    {"number", resident::kNumber, "11010519491231002X"},
    {"authority", resident::kAuthority, "北京市公安局东城分局"},
    {"validity", resident::kValidity, "2015010120350101"},
};
constexpr Default kPermitDefaults[] = {
    {"name", resident::kName, "陈大文"},
    {"sex", resident::kSex, "1"},
    {"birth", resident::kBirth, "19900101"},
    {"address", resident::kAddress, "广东省深圳市福田区示例路2号"},
    {"number", resident::kNumber, "810000199001011230"},
    {"authority", resident::kAuthority, "深圳市公安局"},
    {"validity", resident::kValidity, "2020010120250101"},
    {"pass", resident::kPassNumber, "H12345678"},
    {"issues", resident::kIssueCount, "01"},
};
constexpr Default kForeignDefaults[] = {
    {"name", foreign::kEnglishName, "DOE JOHN"},
    {"sex", foreign::kSex, "1"},
    {"number", foreign::kNumber, "USA110079010101"},
    {"nationality", foreign::kNationality, "USA"},
    {"cn-name", foreign::kChineseName, "约翰"},
    {"valid-from", foreign::kValidFrom, "20200101"},
    {"valid-to", foreign::kValidTo, "20300101"},
    {"birth", foreign::kBirth, "19790101"},
    {"version", foreign::kVersion, "01"},
    {"authority", foreign::kAuthorityCode, "1100"},
};

constexpr std::uint8_t kSelectSerialBytes = 8;  // select answers with the card's 8-byte serial
constexpr std::uint8_t kFindIinBytes = 4;       // find answers with 4 bytes (IIN, zero on ID cards)
constexpr std::size_t kMaxGarbage = 4096;
constexpr unsigned kByteBits = 8;

template <std::size_t N>
std::span<const Default> table(const Default (&t)[N]) {
    return {t, N};
}

std::span<const Default> defaultsFor(SimCardKind kind) {
    switch (kind) {
        case SimCardKind::CnId:
            return table(kResidentDefaults);
        case SimCardKind::PermitJ:
            return table(kPermitDefaults);
        case SimCardKind::ForeignI:
            return table(kForeignDefaults);
    }
    return {};
}

char16_t typeFor(SimCardKind kind) {
    switch (kind) {
        case SimCardKind::CnId:
            return u' ';
        case SimCardKind::PermitJ:
            return kTypePermitJ;
        case SimCardKind::ForeignI:
            return kTypeForeignI;
    }
    return u' ';
}

int hexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

Result<std::vector<std::uint8_t>> parseHex(std::string_view s) {
    std::vector<std::uint8_t> out;
    if (s.size() % 2 != 0)
        return makeError("hex '" + std::string(s) + "' has an odd number of digits");
    for (std::size_t i = 0; i < s.size(); i += 2) {
        const int hi = hexValue(s[i]), lo = hexValue(s[i + 1]);
        if (hi < 0 || lo < 0) return makeError("'" + std::string(s) + "' is not hex");
        out.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
    }
    return out;
}

// UTF-8 → UCS-2 code units; nullopt on invalid UTF-8 or a character outside the BMP.
std::optional<std::u16string> toUcs2(std::string_view s) {
    std::u16string out;
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        unsigned cp = 0;
        std::size_t n = 0;
        if (c < 0x80) {
            cp = c, n = 1;
        } else if ((c & 0xE0) == 0xC0) {
            cp = c & 0x1F, n = 2;
        } else if ((c & 0xF0) == 0xE0) {
            cp = c & 0x0F, n = 3;
        } else {
            return std::nullopt;
        }
        if (i + n > s.size()) return std::nullopt;
        for (std::size_t k = 1; k < n; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) return std::nullopt;
            cp = cp << 6 | (cc & 0x3F);
        }
        if (cp >= 0xD800 && cp <= 0xDFFF) return std::nullopt;
        out.push_back(static_cast<char16_t>(cp));
        i += n;
    }
    return out;
}

void putChar(std::span<std::uint8_t> text, std::size_t offset, char16_t c) {
    text[offset] = static_cast<std::uint8_t>(c & 0xFF);
    text[offset + 1] = static_cast<std::uint8_t>(c >> kByteBits);
}

}  // namespace

std::optional<SimCardKind> simCardKindFromName(std::string_view name) {
    if (name == "cn-id") return SimCardKind::CnId;
    if (name == "permit-j") return SimCardKind::PermitJ;
    if (name == "pr-i") return SimCardKind::ForeignI;
    return std::nullopt;
}

Status putTextField(std::span<std::uint8_t> text, TextField field, std::string_view utf8) {
    auto units = toUcs2(utf8);
    if (!units)
        return makeError("'" + std::string(utf8) +
                         "' is not UTF-8 within the Basic Multilingual Plane");
    if (units->size() * 2 > field.bytes) {
        return makeError("'" + std::string(utf8) + "' is longer than its field (" +
                         std::to_string(field.bytes / 2) + " characters)");
    }
    for (std::size_t i = 0; i < field.bytes / 2; ++i)
        putChar(text, field.offset + 2 * i, i < units->size() ? (*units)[i] : u' ');
    return Ok{};
}

Result<SimCard> makeSimCard(SimCardKind kind,
                            const std::vector<std::pair<std::string, std::string>>& fields) {
    SimCard card;
    std::fill(card.text.begin(), card.text.end(), 0);
    for (std::size_t i = 0; i < card.text.size(); i += 2) putChar(card.text, i, u' ');
    const auto defaults = defaultsFor(kind);
    for (const auto& d : defaults) {
        if (auto st = putTextField(card.text, d.field, d.value); !st) return st.error();
    }
    putChar(card.text, kCardTypeOffset, typeFor(kind));
    for (const auto& [key, value] : fields) {
        if (key == "photo") {
            auto bytes = parseHex(value);
            if (!bytes) return makeError("photo: " + bytes.error().message);
            if (bytes->size() > kPhotoBytes)
                return makeError("photo: over " + std::to_string(kPhotoBytes) + " bytes");
            std::copy(bytes->begin(), bytes->end(), card.photo.begin());
            continue;
        }
        if (key == "type") {
            auto units = toUcs2(value);
            if (!units || units->size() != 1)
                return makeError("type: one character (' ', J, I, …)");
            putChar(card.text, kCardTypeOffset, (*units)[0]);
            continue;
        }
        auto it = std::find_if(defaults.begin(), defaults.end(),
                               [&](const Default& d) { return d.name == key; });
        if (it == defaults.end()) return makeError("no field '" + key + "' on this card");
        if (auto st = putTextField(card.text, it->field, value); !st)
            return makeError(key + ": " + st.error().message);
    }
    return card;
}

std::optional<CommandFilter> commandFilterFromName(std::string_view name) {
    static const std::map<std::string_view, Command> kNames{
        {"find", kFindCard},    {"select", kSelectCard}, {"read", kReadText},
        {"status", kSamStatus}, {"samid", kSamId},       {"reset", kResetSam},
    };
    if (name == "any") return CommandFilter{};
    auto it = kNames.find(name);
    if (it == kNames.end()) return std::nullopt;
    return CommandFilter{it->second};
}

SamDevice::SamDevice() : samStatus_(sw3::kSuccess) {
    // A made-up SAM id: 05.01-20200101-0000000001-0123456789.
    constexpr std::array<std::uint8_t, kSamIdBytes> kId{0x05, 0x00, 0x01, 0x00, 0xA5, 0x3A,
                                                        0x34, 0x01, 0x01, 0x00, 0x00, 0x00,
                                                        0x15, 0xCD, 0x5B, 0x07};
    samId_ = kId;
}

void SamDevice::present(SimCard card) {
    card_ = std::move(card);
    selected_ = false;
}

void SamDevice::remove() {
    card_.reset();
    selected_ = false;
}

void SamDevice::injectGarbage(std::vector<std::uint8_t> bytes, CommandFilter on) {
    if (bytes.size() > kMaxGarbage) bytes.resize(kMaxGarbage);
    Fault f = fault(FaultKind::Garbage, on);
    f.garbage = std::move(bytes);
    faults_.push_back(std::move(f));
}

void SamDevice::injectStall(std::chrono::milliseconds hold, CommandFilter on,
                            std::size_t afterBytes) {
    Fault f = fault(FaultKind::Stall, on);
    f.hold = hold;
    f.afterBytes = afterBytes;
    faults_.push_back(std::move(f));
}

void SamDevice::injectBadChecksum(CommandFilter on) {
    faults_.push_back(fault(FaultKind::BadChecksum, on));
}

void SamDevice::injectStatus(std::uint8_t sw3, CommandFilter on) {
    Fault f = fault(FaultKind::Status, on);
    f.sw3 = sw3;
    faults_.push_back(std::move(f));
}

void SamDevice::injectSilence(CommandFilter on) {
    faults_.push_back(fault(FaultKind::Silence, on));
}

void SamDevice::injectPullMidRead(std::optional<std::size_t> afterBytes) {
    Fault f = fault(FaultKind::Pull, kReadText);
    f.afterBytes = afterBytes.value_or(0);
    f.afterBytesGiven = afterBytes.has_value();
    faults_.push_back(std::move(f));
}

std::optional<SamDevice::Fault> SamDevice::takeFault(FaultKind kind, Command c) {
    for (auto it = faults_.begin(); it != faults_.end(); ++it) {
        if (it->kind == kind && (!it->on || *it->on == c)) {
            Fault f = std::move(*it);
            faults_.erase(it);
            return f;
        }
    }
    return std::nullopt;
}

void SamDevice::queue(std::span<const std::uint8_t> bytes, MonoTime start) {
    MonoTime t = start;
    if (!output_.empty()) t = std::max(t, output_.back().first);
    for (auto b : bytes) {
        output_.emplace_back(t, b);
        t += drip_;
    }
}

void SamDevice::receive(std::span<const std::uint8_t> bytes, MonoTime now) {
    while (!bytes.empty()) {
        bytes = bytes.subspan(decoder_.push(bytes));
        while (auto d = decoder_.next()) {
            if (d->status == DecodeStatus::BadChecksum) {
                answerBadRequest(sw3::kChecksumError, now);
            } else if (d->status == DecodeStatus::BadLength) {
                answerBadRequest(sw3::kLengthError, now);
            } else if (auto r = requestOf(d->frame)) {
                answer(r->command, now);
            }
        }
    }
}

void SamDevice::answerBadRequest(std::uint8_t status, MonoTime now) {
    ++requests_;
    const auto reply = encodeReply(0, 0, status);
    queue(reply, now);
}

std::vector<std::uint8_t> SamDevice::normalReply(Command c) {
    if (c == kFindCard) {
        ++finds_;
        if (!card_) return encodeReply(0, 0, sw3::kNoCard);
        const std::array<std::uint8_t, kFindIinBytes> iin{};
        return encodeReply(0, 0, sw3::kCardFound, iin);
    }
    if (c == kSelectCard) {
        if (!card_) return encodeReply(0, 0, sw3::kSelectFailed);
        selected_ = true;
        const std::array<std::uint8_t, kSelectSerialBytes> serial{};
        return encodeReply(0, 0, sw3::kSuccess, serial);
    }
    if (c == kReadText) {
        if (!card_) return encodeReply(0, 0, sw3::kReadFailed);
        if (!selected_) return encodeReply(0, 0, sw3::kCommandError);
        std::vector<std::uint8_t> data;
        data.reserve(kReadLengthsBytes + card_->text.size() + card_->photo.size());
        data.push_back(static_cast<std::uint8_t>(card_->text.size() >> kByteBits));
        data.push_back(static_cast<std::uint8_t>(card_->text.size() & 0xFF));
        data.push_back(static_cast<std::uint8_t>(card_->photo.size() >> kByteBits));
        data.push_back(static_cast<std::uint8_t>(card_->photo.size() & 0xFF));
        data.insert(data.end(), card_->text.begin(), card_->text.end());
        data.insert(data.end(), card_->photo.begin(), card_->photo.end());
        return encodeReply(0, 0, sw3::kSuccess, data);
    }
    if (c == kSamStatus) return encodeReply(0, 0, samStatus_);
    if (c == kSamId) {
        if (samStatus_ != sw3::kSuccess) return encodeReply(0, 0, samStatus_);
        return encodeReply(0, 0, sw3::kSuccess, samId_);
    }
    if (c == kResetSam) {
        selected_ = false;
        return encodeReply(0, 0, sw3::kSuccess);
    }
    return encodeReply(0, 0, sw3::kCommandError);
}

void SamDevice::answer(Command c, MonoTime now) {
    ++requests_;
    if (takeFault(FaultKind::Silence, c)) return;
    if (auto g = takeFault(FaultKind::Garbage, c)) queue(g->garbage, now);
    std::vector<std::uint8_t> reply;
    if (auto s = takeFault(FaultKind::Status, c)) {
        if (c == kFindCard) ++finds_;
        reply = encodeReply(0, 0, s->sw3);
    } else {
        reply = normalReply(c);
    }
    if (takeFault(FaultKind::BadChecksum, c)) reply.back() ^= 0xFF;
    if (c == kReadText && reply.size() > kHeaderBytes + kMinReplyLen) {
        if (auto pull = takeFault(FaultKind::Pull, c)) {
            const std::size_t keep = std::min(
                pull->afterBytesGiven ? pull->afterBytes : reply.size() / 2, reply.size() - 1);
            queue(std::span<const std::uint8_t>(reply).first(keep), now);
            remove();
            return;
        }
    }
    if (auto stall = takeFault(FaultKind::Stall, c)) {
        const std::size_t first = std::min(stall->afterBytes, reply.size());
        queue(std::span<const std::uint8_t>(reply).first(first), now);
        queue(std::span<const std::uint8_t>(reply).subspan(first), now + stall->hold);
        return;
    }
    const bool full = c == kReadText && reply.size() > kHeaderBytes + kMinReplyLen &&
                      reply[kHeaderBytes + 2] == sw3::kSuccess;
    queue(reply, now);
    if (full) ++reads_;
}

std::vector<std::uint8_t> SamDevice::takeDue(MonoTime now) {
    std::vector<std::uint8_t> out;
    while (!output_.empty() && output_.front().first <= now) {
        out.push_back(output_.front().second);
        output_.pop_front();
    }
    return out;
}

std::optional<MonoTime> SamDevice::nextDue() const {
    if (output_.empty()) return std::nullopt;
    return output_.front().first;
}

}  // namespace sentinel::docreader
