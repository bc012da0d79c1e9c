#include "drivers/docreader/SamScript.h"

#include <charconv>
#include <cstdio>
#include <utility>

namespace sentinel::docreader {
namespace {

constexpr std::chrono::milliseconds kDefaultWait{10000};
// Waits check for an interruption this often.
constexpr std::chrono::milliseconds kWaitSlice{100};
constexpr unsigned kByteBits = 8;

std::vector<std::string> tokenize(std::string_view line, std::string& error) {
    std::vector<std::string> out;
    std::string cur;
    bool inToken = false, quoted = false;
    for (char c : line) {
        if (c == '"') {
            quoted = !quoted;
            inToken = true;
            continue;
        }
        if (!quoted && c == '#') break;
        if (!quoted && (c == ' ' || c == '\t' || c == '\r')) {
            if (inToken) out.push_back(std::move(cur));
            cur.clear();
            inToken = false;
            continue;
        }
        cur.push_back(c);
        inToken = true;
    }
    if (quoted) error = "unterminated quote";
    if (inToken) out.push_back(std::move(cur));
    return out;
}

std::optional<long long> integer(std::string_view s) {
    long long v = 0;
    int base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s.remove_prefix(2);
        base = 16;
    }
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
    if (ec != std::errc{} || end != s.data() + s.size() || v < 0) return std::nullopt;
    return v;
}

Result<std::uint8_t> byteArg(std::string_view s) {
    auto v = integer(s);
    if (!v || *v > 0xFF) return makeError("'" + std::string(s) + "' is not a byte (0x00–0xFF)");
    return static_cast<std::uint8_t>(*v);
}

Result<std::chrono::milliseconds> msArg(std::string_view s) {
    auto v = integer(s);
    if (!v) return makeError("'" + std::string(s) + "' is not a number of milliseconds");
    return std::chrono::milliseconds{*v};
}

Result<CommandFilter> filterArg(const std::vector<std::string>& t, std::size_t at) {
    if (t.size() <= at) return CommandFilter{};
    auto f = commandFilterFromName(t[at]);
    if (!f)
        return makeError("'" + t[at] +
                         "' is not a command (find, select, read, status, samid, reset, any)");
    return *f;
}

Status tooMany(const std::vector<std::string>& t, std::size_t max) {
    if (t.size() > max) return makeError("unexpected '" + t[max] + "'");
    return Ok{};
}

// Waits for `done`, in slices so that an interruption (pause → false) ends it.
Status waitFor(ScriptRunner& r, const std::function<bool(const SamDevice&)>& done,
               std::chrono::milliseconds timeout, const std::string& what) {
    auto left = timeout;
    while (true) {
        const auto slice = std::min(left, kWaitSlice);
        if (r.simulator().waitUntil(done, slice)) return Ok{};
        left -= slice;
        if (left.count() <= 0)
            return makeError(what + ": not within " + std::to_string(timeout.count()) + " ms");
        if (!r.pause(std::chrono::milliseconds{0})) return makeError(what + ": interrupted");
    }
}

using Run = std::function<Status(ScriptRunner&)>;

Result<Run> present(const std::vector<std::string>& t) {
    if (t.size() < 2) return makeError("present needs a card kind: cn-id, permit-j or pr-i");
    auto kind = simCardKindFromName(t[1]);
    if (!kind) return makeError("'" + t[1] + "' is not a card kind (cn-id, permit-j, pr-i)");
    std::vector<std::pair<std::string, std::string>> fields;
    for (std::size_t i = 2; i < t.size(); ++i) {
        const auto eq = t[i].find('=');
        if (eq == std::string::npos || eq == 0)
            return makeError("'" + t[i] + "' is not FIELD=VALUE");
        fields.emplace_back(t[i].substr(0, eq), t[i].substr(eq + 1));
    }
    auto card = makeSimCard(*kind, fields);
    if (!card) return card.error();
    return Run([card = std::move(card).value()](ScriptRunner& r) {
        r.simulator().withDevice([&](SamDevice& d) {
            r.readsAtPresent = d.reads();
            d.present(card);
        });
        return Status(Ok{});
    });
}

Result<Run> parseTokens(const std::vector<std::string>& t) {
    const std::string& verb = t[0];
    if (verb == "present") return present(t);
    if (verb == "remove") {
        if (auto st = tooMany(t, 1); !st) return st.error();
        return Run([](ScriptRunner& r) {
            r.simulator().withDevice([](SamDevice& d) { d.remove(); });
            return Status(Ok{});
        });
    }
    if (verb == "wait") {
        if (t.size() != 2) return makeError("wait MS");
        auto d = msArg(t[1]);
        if (!d) return d.error();
        return Run([d = *d](ScriptRunner& r) {
            if (!r.pause(d)) return Status(makeError("interrupted"));
            return Status(Ok{});
        });
    }
    if (verb == "wait-read" || verb == "wait-find") {
        if (auto st = tooMany(t, 2); !st) return st.error();
        auto timeout = Result<std::chrono::milliseconds>(kDefaultWait);
        if (t.size() == 2) timeout = msArg(t[1]);
        if (!timeout) return timeout.error();
        const bool read = verb == "wait-read";
        return Run([read, timeout = *timeout](ScriptRunner& r) {
            if (read) {
                const auto since = r.readsAtPresent;
                return waitFor(
                    r, [since](const SamDevice& d) { return d.reads() > since; }, timeout,
                    "wait-read: the reader did not read the card");
            }
            std::uint64_t since = 0;
            r.simulator().withDevice([&](SamDevice& d) { since = d.finds(); });
            return waitFor(
                r, [since](const SamDevice& d) { return d.finds() > since; }, timeout,
                "wait-find: the reader did not look for a card");
        });
    }
    if (verb == "garbage") {
        if (t.size() < 2) return makeError("garbage COUNT|hex:BYTES [CMD]");
        if (auto st = tooMany(t, 3); !st) return st.error();
        std::vector<std::uint8_t> bytes;
        if (t[1].rfind("hex:", 0) == 0) {
            const std::string hex = t[1].substr(4);
            if (hex.empty() || hex.size() % 2) return makeError("hex: needs pairs of hex digits");
            for (std::size_t i = 0; i < hex.size(); i += 2) {
                auto b = integer("0x" + hex.substr(i, 2));
                if (!b) return makeError("'" + t[1] + "' is not hex");
                bytes.push_back(static_cast<std::uint8_t>(*b));
            }
        } else {
            auto n = integer(t[1]);
            if (!n || *n == 0) return makeError("'" + t[1] + "' is not a byte count");
            bytes = garbagePattern(static_cast<std::size_t>(*n));
        }
        auto on = filterArg(t, 2);
        if (!on) return on.error();
        return Run([bytes, on = *on](ScriptRunner& r) {
            r.simulator().withDevice([&](SamDevice& d) { d.injectGarbage(bytes, on); });
            return Status(Ok{});
        });
    }
    if (verb == "drip") {
        if (t.size() != 2) return makeError("drip MS|off");
        std::chrono::milliseconds d{0};
        if (t[1] != "off") {
            auto v = msArg(t[1]);
            if (!v) return v.error();
            d = *v;
        }
        return Run([d](ScriptRunner& r) {
            r.simulator().withDevice([&](SamDevice& dev) { dev.setDrip(d); });
            return Status(Ok{});
        });
    }
    if (verb == "stall") {
        if (t.size() < 2) return makeError("stall MS [CMD] [after=N]");
        auto hold = msArg(t[1]);
        if (!hold) return hold.error();
        CommandFilter on;
        std::size_t after = 0;
        for (std::size_t i = 2; i < t.size(); ++i) {
            if (t[i].rfind("after=", 0) == 0) {
                auto n = integer(std::string_view(t[i]).substr(6));
                if (!n) return makeError("'" + t[i] + "': after=N, N a byte count");
                after = static_cast<std::size_t>(*n);
            } else if (auto f = commandFilterFromName(t[i])) {
                on = *f;
            } else {
                return makeError("'" + t[i] + "' is neither a command nor after=N");
            }
        }
        return Run([hold = *hold, on, after](ScriptRunner& r) {
            r.simulator().withDevice([&](SamDevice& d) { d.injectStall(hold, on, after); });
            return Status(Ok{});
        });
    }
    if (verb == "bad-checksum" || verb == "silent") {
        if (auto st = tooMany(t, 2); !st) return st.error();
        auto on = filterArg(t, 1);
        if (!on) return on.error();
        const bool silent = verb == "silent";
        return Run([silent, on = *on](ScriptRunner& r) {
            r.simulator().withDevice(
                [&](SamDevice& d) { silent ? d.injectSilence(on) : d.injectBadChecksum(on); });
            return Status(Ok{});
        });
    }
    if (verb == "status") {
        if (t.size() < 2) return makeError("status 0xNN [CMD]");
        if (auto st = tooMany(t, 3); !st) return st.error();
        auto sw3 = byteArg(t[1]);
        if (!sw3) return sw3.error();
        auto on = filterArg(t, 2);
        if (!on) return on.error();
        return Run([sw3 = *sw3, on = *on](ScriptRunner& r) {
            r.simulator().withDevice([&](SamDevice& d) { d.injectStatus(sw3, on); });
            return Status(Ok{});
        });
    }
    if (verb == "pull-mid-read") {
        if (auto st = tooMany(t, 2); !st) return st.error();
        std::optional<std::size_t> after;
        if (t.size() == 2) {
            if (t[1].rfind("after=", 0) != 0) return makeError("pull-mid-read [after=N]");
            auto n = integer(std::string_view(t[1]).substr(6));
            if (!n) return makeError("'" + t[1] + "': after=N, N a byte count");
            after = static_cast<std::size_t>(*n);
        }
        return Run([after](ScriptRunner& r) {
            r.simulator().withDevice([&](SamDevice& d) { d.injectPullMidRead(after); });
            return Status(Ok{});
        });
    }
    if (verb == "sam-status") {
        if (t.size() != 2) return makeError("sam-status 0xNN");
        auto sw3 = byteArg(t[1]);
        if (!sw3) return sw3.error();
        return Run([sw3 = *sw3](ScriptRunner& r) {
            r.simulator().withDevice([&](SamDevice& d) { d.setSamStatus(sw3); });
            return Status(Ok{});
        });
    }
    if (verb == "sam-id") {
        if (t.size() != 2) return makeError("sam-id XX.XX-YYYYMMDD-NNNNNNNNNN-NNNNNNNNNN");
        auto id = parseSamId(t[1]);
        if (!id)
            return makeError("'" + t[1] +
                             "' is not a SAM id (XX.XX-YYYYMMDD-NNNNNNNNNN-NNNNNNNNNN)");
        return Run([id = *id](ScriptRunner& r) {
            r.simulator().withDevice([&](SamDevice& d) { d.setSamId(id); });
            return Status(Ok{});
        });
    }
    if (verb == "echo") {
        std::string text;
        for (std::size_t i = 1; i < t.size(); ++i) text += (i > 1 ? " " : "") + t[i];
        return Run([text](ScriptRunner& r) {
            r.say(text);
            return Status(Ok{});
        });
    }
    return makeError("unknown step '" + verb + "'");
}

}  // namespace

std::optional<std::array<std::uint8_t, kSamIdBytes>> parseSamId(std::string_view text) {
    // XX.XX-YYYYMMDD-NNNNNNNNNN-NNNNNNNNNN: 2, 2, 8, 10, 10 digits.
    constexpr std::array<std::size_t, 5> kDigits{2, 2, 8, 10, 10};
    constexpr std::array<char, 4> kSeparators{'.', '-', '-', '-'};
    constexpr std::array<std::size_t, 5> kBytes{2, 2, 4, 4, 4};
    std::array<std::uint8_t, kSamIdBytes> out{};
    std::size_t at = 0, outAt = 0;
    for (std::size_t k = 0; k < kDigits.size(); ++k) {
        if (at + kDigits[k] > text.size()) return std::nullopt;
        unsigned long long v = 0;
        const auto part = text.substr(at, kDigits[k]);
        const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
        if (ec != std::errc{} || end != part.data() + part.size()) return std::nullopt;
        if (v >> (kBytes[k] * kByteBits)) return std::nullopt;
        for (std::size_t b = 0; b < kBytes[k]; ++b)
            out[outAt++] = static_cast<std::uint8_t>(v >> (b * kByteBits));
        at += kDigits[k];
        if (k < kSeparators.size()) {
            if (at >= text.size() || text[at] != kSeparators[k]) return std::nullopt;
            ++at;
        }
    }
    if (at != text.size()) return std::nullopt;
    return out;
}

std::vector<std::uint8_t> garbagePattern(std::size_t count) {
    // Partial preambles (AA AA AA 96 without 69, a lone 69) and a bad LEN after a whole preamble is
    // not here: that one is `garbage hex:AAAAAA9669FFFF`.
    constexpr std::array<std::uint8_t, 10> kPattern{0xAA, 0xAA, 0xAA, 0x96, 0x00,
                                                    0x55, 0x69, 0xAA, 0x13, 0xC3};
    std::vector<std::uint8_t> out(count);
    for (std::size_t i = 0; i < count; ++i) out[i] = kPattern[i % kPattern.size()];
    return out;
}

Result<std::optional<ScriptStep>> parseScriptLine(std::string_view line) {
    std::string error;
    auto tokens = tokenize(line, error);
    if (!error.empty()) return makeError(error);
    if (tokens.empty()) return std::optional<ScriptStep>{};
    auto run = parseTokens(tokens);
    if (!run) return run.error();
    std::string text(line);
    while (!text.empty() && (text.back() == '\r' || text.back() == ' ')) text.pop_back();
    return std::optional<ScriptStep>{ScriptStep{std::move(text), std::move(run).value()}};
}

Result<std::vector<ScriptStep>> parseScript(std::string_view text) {
    std::vector<ScriptStep> steps;
    int lineNo = 0;
    while (!text.empty()) {
        ++lineNo;
        const auto nl = text.find('\n');
        const auto line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        auto step = parseScriptLine(line);
        if (!step) return makeError("line " + std::to_string(lineNo) + ": " + step.error().message);
        if (*step) steps.push_back(std::move(**step));
    }
    return steps;
}

ScriptRunner::ScriptRunner(SamSimulator& simulator,
                           std::function<bool(std::chrono::milliseconds)> pause, std::ostream* log)
    : simulator_(simulator), pause_(std::move(pause)), log_(log) {}

void ScriptRunner::say(const std::string& line) {
    if (log_) (*log_) << line << std::endl;
}

Status ScriptRunner::run(const ScriptStep& step) {
    say("samsim: " + step.text);
    return step.run(*this);
}

}  // namespace sentinel::docreader
