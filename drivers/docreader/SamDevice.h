#pragma once
// A simulated ID-card reader module: the SAM protocol's device side as a pure model. It takes the
// bytes a reader driver writes, answers them as a module would for the card in its field, and lets
// a script inject every fault a real line shows — garbage before the preamble, replies one byte at
// a time, stalls, bad checksums, a card pulled mid-read, any SW3. Time is passed in (no clock, no
// thread): SamSimulator serves it on a pseudo-terminal, tests drive it on a fake clock.
//
// The cards are made up (test data): the model holds no real person's data.

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/docreader/CardText.h"
#include "drivers/docreader/SamProtocol.h"
#include "firmware/base/Result.h"
#include "firmware/base/Time.h"

namespace sentinel::docreader {

// What the card gives to "read card": the 256-byte text block and the photo bytes.
struct SimCard {
    std::array<std::uint8_t, kTextBlockBytes> text{};
    std::vector<std::uint8_t> photo = std::vector<std::uint8_t>(kPhotoBytes, 0);
};

// Card kinds the simulator can make, by script name: "cn-id", "permit-j", "pr-i".
enum class SimCardKind { CnId, PermitJ, ForeignI };
std::optional<SimCardKind> simCardKindFromName(std::string_view name);

// A card of `kind` with made-up defaults for every field (numbers pass GB 11643); `fields` then
// overrides them by name (UTF-8 values). Names — cn-id and permit-j: name, sex, nation, birth,
// address, number, authority, validity, and for permit-j pass, issues; pr-i: name (English),
// cn-name, sex, number, nationality, valid-from, valid-to, birth, version, authority; every kind:
// type (the card type character at byte 248), photo (hex, up to 1024 bytes; the rest zero).
// Errors: unknown field, a value too long for its field, bad hex.
Result<SimCard> makeSimCard(SimCardKind kind,
                            const std::vector<std::pair<std::string, std::string>>& fields);

// Writes `utf8` into `field` of a text block as UCS-2LE, padded with spaces; error when it does not
// fit or is not valid UTF-8 within the Basic Multilingual Plane.
Status putTextField(std::span<std::uint8_t> text, TextField field, std::string_view utf8);

// Which requests a fault applies to: one command, or any.
using CommandFilter = std::optional<Command>;
// "find", "select", "read", "status", "samid", "reset", "any" (→ nullopt inside the optional).
std::optional<CommandFilter> commandFilterFromName(std::string_view name);

class SamDevice {
  public:
    SamDevice();

    // Bytes written by the reader driver, received at `now`. Each complete request is answered
    // (with the faults armed for it); replies are queued with the times their bytes go out.
    void receive(std::span<const std::uint8_t> bytes, MonoTime now);
    // Reply bytes due by `now`, removed from the queue.
    std::vector<std::uint8_t> takeDue(MonoTime now);
    // When the next queued byte is due; nullopt when nothing is queued.
    std::optional<MonoTime> nextDue() const;
    // Drops every queued byte (a reader that closed the line).
    void clearOutput() { output_.clear(); }

    // The card in the field.
    void present(SimCard card);
    void remove();
    bool cardInField() const { return card_.has_value(); }

    // SW3 of the answer to SAM status (0x90: ready); other values also refuse SAM id.
    void setSamStatus(std::uint8_t sw3) { samStatus_ = sw3; }
    void setSamId(std::array<std::uint8_t, kSamIdBytes> id) { samId_ = id; }
    // Replies one byte at a time, `perByte` apart (0: off).
    void setDrip(std::chrono::milliseconds perByte) { drip_ = perByte; }

    // One-shot faults, each used by the next request it matches.
    void injectGarbage(std::vector<std::uint8_t> bytes, CommandFilter on = {});  // before the reply
    void injectStall(std::chrono::milliseconds hold, CommandFilter on = {},
                     std::size_t afterBytes = 0);
    void injectBadChecksum(CommandFilter on = {});
    void injectStatus(std::uint8_t sw3, CommandFilter on = {});  // answer with this SW3 and no data
    void injectSilence(CommandFilter on = {});                   // no answer at all
    // The next read: `afterBytes` of the reply go out (default: half of it), then the card leaves
    // the field and nothing more comes.
    void injectPullMidRead(std::optional<std::size_t> afterBytes = {});

    // Counters, for scripts and tests that wait for the reader to have done something.
    std::uint64_t requests() const { return requests_; }
    std::uint64_t finds() const { return finds_; }
    std::uint64_t reads() const {
        return reads_;
    }  // read replies with the card's data sent in full

  private:
    enum class FaultKind { Garbage, Stall, BadChecksum, Status, Silence, Pull };
    struct Fault {
        FaultKind kind = FaultKind::Garbage;
        CommandFilter on;
        std::vector<std::uint8_t> garbage;
        std::chrono::milliseconds hold{0};
        std::size_t afterBytes = 0;
        bool afterBytesGiven = false;
        std::uint8_t sw3 = 0;
    };
    static Fault fault(FaultKind kind, CommandFilter on) {
        Fault f;
        f.kind = kind;
        f.on = on;
        return f;
    }
    void answer(Command c, MonoTime now);
    void answerBadRequest(std::uint8_t sw3, MonoTime now);
    std::vector<std::uint8_t> normalReply(Command c);
    std::optional<Fault> takeFault(FaultKind kind, Command c);
    void queue(std::span<const std::uint8_t> bytes, MonoTime start);

    FrameDecoder decoder_{FrameKind::Request};
    std::deque<std::pair<MonoTime, std::uint8_t>> output_;
    std::optional<SimCard> card_;
    bool selected_ = false;
    std::uint8_t samStatus_;
    std::array<std::uint8_t, kSamIdBytes> samId_{};
    std::chrono::milliseconds drip_{0};
    std::vector<Fault> faults_;
    std::uint64_t requests_ = 0, finds_ = 0, reads_ = 0;
};

}  // namespace sentinel::docreader
