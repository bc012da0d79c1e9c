#include "firmware/rules/CertLogic.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

namespace sentinel::rules {
namespace {

using nlohmann::json;

// Date-times are values of their own in CertLogic (only plusTime/dccDateOfBirth make them). They
// live in the evaluator's JSON values as a binary of this subtype holding the epoch milliseconds;
// parsed JSON never contains binaries, so a date-time cannot be forged by data or a literal.
constexpr std::uint8_t kDateTimeSubtype = 0xD7;
constexpr std::int64_t kMsPerSecond = 1000;
constexpr std::int64_t kMsPerMinute = 60 * kMsPerSecond;
constexpr std::int64_t kMsPerHour = 60 * kMsPerMinute;
constexpr std::int64_t kMsPerDay = 24 * kMsPerHour;
// ECMAScript Date range (ECMA-262 §21.4.1.1: ±8.64e15 ms), which plusTime's semantics come from.
constexpr std::int64_t kMaxDateTimeMs = 8'640'000'000'000'000;
constexpr std::int64_t kMaxYearsOrMonths = 10'000'000;  // keeps year arithmetic far from overflow

// Internal: thrown inside the evaluator only, turned into an Error value at the API (STYLE 4).
struct EvalError {
    std::string message;
};

[[noreturn]] void fail(std::string message) { throw EvalError{std::move(message)}; }

std::optional<std::int64_t> asInt(const json& v) {
    if (v.is_number_integer() && !v.is_number_unsigned()) return v.get<std::int64_t>();
    if (v.is_number_unsigned()) {
        const auto u = v.get<std::uint64_t>();
        if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
        return static_cast<std::int64_t>(u);
    }
    if (v.is_number_float()) {
        const double d = v.get<double>();
        // JavaScript's Number.isInteger: 42.0 is an integer. Bound well inside int64.
        if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9.0e18) return static_cast<std::int64_t>(d);
    }
    return std::nullopt;
}

json makeDateTime(std::int64_t ms) {
    json::binary_t::container_type bytes(8);
    std::memcpy(bytes.data(), &ms, sizeof ms);
    return json::binary(std::move(bytes), kDateTimeSubtype);
}

std::optional<std::int64_t> asDateTime(const json& v) {
    if (!v.is_binary()) return std::nullopt;
    const auto& b = v.get_binary();
    if (!b.has_subtype() || b.subtype() != kDateTimeSubtype || b.size() != 8) return std::nullopt;
    std::int64_t ms = 0;
    std::memcpy(&ms, b.data(), sizeof ms);
    return ms;
}

// Howard Hinnant's civil-date algorithms (proleptic Gregorian, days since 1970-01-01).
std::int64_t daysFromCivil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
    std::int64_t year;
    unsigned month, day;
};

Civil civilFromDays(std::int64_t z) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return {y + (m <= 2), m, d};
}

bool isLeap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned lastDayOfMonth(std::int64_t y, unsigned m) {
    static constexpr std::array<unsigned, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && isLeap(y) ? 29 : kDays[m - 1];
}

std::int64_t floorDiv(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Reads exactly `n` digits at `pos`.
bool readDigits(std::string_view s, std::size_t& pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const char c = s[pos + i];
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
    }
    pos += n;
    out = v;
    return true;
}

enum class Partial { Year, Month, Full };

// The date part shared by plusTime and dccDateOfBirth; partial dates read as the last day they allow.
std::optional<std::int64_t> parseDatePart(std::string_view s, std::size_t& pos) {
    int year = 0, month = 12, day = 0;
    if (!readDigits(s, pos, 4, year)) return std::nullopt;
    Partial partial = Partial::Year;
    if (pos < s.size() && s[pos] == '-') {
        ++pos;
        if (!readDigits(s, pos, 2, month)) return std::nullopt;
        partial = Partial::Month;
        if (pos < s.size() && s[pos] == '-') {
            ++pos;
            if (!readDigits(s, pos, 2, day)) return std::nullopt;
            partial = Partial::Full;
        }
    }
    if (month < 1 || month > 12) return std::nullopt;
    const unsigned last = lastDayOfMonth(year, static_cast<unsigned>(month));
    if (partial != Partial::Full) day = static_cast<int>(last);
    if (day < 1 || static_cast<unsigned>(day) > last) return std::nullopt;
    return daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * kMsPerDay;
}

std::optional<std::int64_t> parseOffsetMs(std::string_view s, std::size_t& pos) {
    const int sign = s[pos] == '-' ? -1 : 1;
    ++pos;
    std::size_t digits = 0;
    while (pos + digits < s.size() && digits < 5 && s[pos + digits] >= '0' && s[pos + digits] <= '9') ++digits;
    int hours = 0, minutes = 0;
    std::size_t p = pos;
    if (digits == 1 || digits == 2) {
        readDigits(s, p, digits, hours);
        if (p < s.size() && s[p] == ':') {
            ++p;
            if (!readDigits(s, p, 2, minutes)) return std::nullopt;
        }
    } else if (digits == 3 || digits == 4) {
        readDigits(s, p, digits - 2, hours);
        readDigits(s, p, 2, minutes);
    } else {
        return std::nullopt;
    }
    if (hours > 23 || minutes > 59) return std::nullopt;
    pos = p;
    return sign * (hours * kMsPerHour + minutes * 60 * kMsPerSecond);
}

json toDateTimeOrFail(std::optional<std::int64_t> ms, std::string_view what) {
    if (!ms) fail(std::string(what) + ": not a date(-time) in an allowed format");
    return makeDateTime(*ms);
}

// Milliseconds per unit of the fixed-length units: the specification's day and hour, and the
// extension units minute, second, millisecond (DESIGN §12: the built-in rules need the precision of
// the [policy] keys, e.g. 0.5 h or 300 s); 0 for the calendar units year and month.
std::int64_t fixedUnitMs(std::string_view unit) {
    if (unit == "day") return kMsPerDay;
    if (unit == "hour") return kMsPerHour;
    if (unit == "minute") return kMsPerMinute;
    if (unit == "second") return kMsPerSecond;
    if (unit == "millisecond") return 1;
    return 0;
}

std::int64_t plusTime(std::int64_t ms, std::int64_t amount, std::string_view unit) {
    if (const std::int64_t step = fixedUnitMs(unit); step != 0) {
        if (std::llabs(amount) > kMaxDateTimeMs / step) fail("plusTime: amount out of range");
        ms += amount * step;
    } else {
        if (std::llabs(amount) > kMaxYearsOrMonths) fail("plusTime: amount out of range");
        // JavaScript setUTCFullYear/setUTCMonth: move the calendar field, keep day and time, let a
        // day past the month's end roll over (2020-02-29 + 1 year = 2021-03-01).
        const std::int64_t days = floorDiv(ms, kMsPerDay);
        const std::int64_t timeOfDay = ms - days * kMsPerDay;
        const Civil c = civilFromDays(days);
        std::int64_t year = c.year;
        std::int64_t month0 = static_cast<std::int64_t>(c.month) - 1;
        if (unit == "year") {
            year += amount;
        } else {
            month0 += amount;
            year += floorDiv(month0, 12);
            month0 -= floorDiv(month0, 12) * 12;
        }
        ms = (daysFromCivil(year, static_cast<unsigned>(month0 + 1), 1) + c.day - 1) * kMsPerDay + timeOfDay;
    }
    if (std::llabs(ms) > kMaxDateTimeMs) fail("plusTime: date-time out of range");
    return ms;
}

bool isTimeUnit(const json& v) {
    if (!v.is_string()) return false;
    const auto& s = v.get_ref<const json::string_t&>();
    return s == "year" || s == "month" || fixedUnitMs(s) != 0;
}

// JavaScript `===` on the values CertLogic has: primitives by value, arrays/objects/date-times by
// identity (never equal here, as every evaluation makes its own).
bool strictEquals(const json& a, const json& b) {
    if (a.is_number() && b.is_number()) {
        const auto ia = asInt(a), ib = asInt(b);
        if (ia && ib) return *ia == *ib;
        return a.get<double>() == b.get<double>();
    }
    if (a.is_null() || a.is_boolean() || a.is_string()) return a == b;
    return false;
}

// Error messages name the type of a value, never the value: data objects hold personal data and
// evaluation errors end up in logs.
std::string jsText(const json& v) {
    if (asDateTime(v)) return "a date-time";
    switch (v.type()) {
        case json::value_t::null: return "null";
        case json::value_t::boolean: return "a boolean";
        case json::value_t::string: return "a string";
        case json::value_t::array: return "an array";
        case json::value_t::object: return "an object";
        default: return asInt(v) ? "an integer" : "a non-integer number";
    }
}

// ---- validation ----

class Validator {
public:
    explicit Validator(const Limits& limits) : limits_(limits) {}

    void run(const json& e, std::size_t depth) {
        if (stopped_) return;
        if (++nodes_ > limits_.maxNodes) {
            add(e, "expression has more than " + std::to_string(limits_.maxNodes) + " nodes");
            stopped_ = true;
            return;
        }
        if (depth > limits_.maxDepth) {
            add(e, "expression nests deeper than " + std::to_string(limits_.maxDepth) + " levels");
            stopped_ = true;
            return;
        }
        if (e.is_string()) {
            if (e.get_ref<const json::string_t&>().size() > limits_.maxStringBytes)
                add(e, "string longer than " + std::to_string(limits_.maxStringBytes) + " bytes");
            return;
        }
        if (e.is_boolean()) return;
        if (e.is_number()) {
            if (!asInt(e)) add(e, e.dump() + " is a non-integer number");
            return;
        }
        if (e.is_array()) {
            for (const auto& item : e) run(item, depth + 1);
            return;
        }
        if (e.is_object()) {
            operation(e, depth);
            return;
        }
        add(e, "invalid CertLogic expression");
    }

    std::vector<ValidationIssue> issues;

private:
    void add(const json& e, std::string message) {
        // The offending expression is kept only when small: a hostile rule must not make us copy it whole.
        constexpr std::size_t kMaxQuotedNodes = 64;
        issues.push_back({e.size() <= kMaxQuotedNodes && !e.is_binary() ? e : json("…"), std::move(message)});
    }

    void operation(const json& e, std::size_t depth) {
        if (e.size() != 1) {
            add(e, "expression object must have exactly one key, but it has " + std::to_string(e.size()));
            return;
        }
        const std::string& op = e.begin().key();
        const json& values = e.begin().value();
        if (op == "var") {
            if (!values.is_string()) {
                add(e, R"(not of the form { "var": "<path>" })");
                return;
            }
            const auto& path = values.get_ref<const json::string_t&>();
            if (path.size() > limits_.maxStringBytes) {
                add(e, "data access path longer than " + std::to_string(limits_.maxStringBytes) + " bytes");
                return;
            }
            if (!path.empty()) {
                bool ok = path.front() != '.' && path.back() != '.' && path.find("..") == std::string::npos;
                if (!ok) add(e, "data access path doesn't have a valid format: " + path);
            }
            return;
        }
        if (!values.is_array()) {
            add(e, R"(operation not of the form { "<operator>": [ <values...> ] })");
            return;
        }
        const std::size_t n = values.size();
        auto count = [&](bool ok, const std::string& expected) {
            if (!ok) add(e, "an operation with operator \"" + op + "\" must have " + expected + " operands, but it has " +
                                std::to_string(n));
        };
        if (op == "if") {
            count(n == 3, "exactly 3");
        } else if (op == "===" || op == "!==" || op == "in" || op == "+") {
            count(n == 2, "exactly 2");
        } else if (op == "and" || op == "or") {
            count(n >= 2, "at least 2");
        } else if (op == "<" || op == ">" || op == "<=" || op == ">=" || op == "before" || op == "after" ||
                   op == "not-before" || op == "not-after") {
            count(n == 2 || n == 3, "2 or 3");
        } else if (op == "!" || op == "!!" || op == "dccDateOfBirth") {
            count(n == 1, "exactly 1");
        } else if (op == "reduce") {
            count(n == 3, "exactly 3");
        } else if (op == "plusTime") {
            count(n == 3, "exactly 3");
            if (n >= 2 && !asInt(values[1])) add(e, "\"amount\" argument (#2) of \"plusTime\" must be an integer");
            if (n >= 3 && !isTimeUnit(values[2]))
                add(e, "\"unit\" argument (#3) of \"plusTime\" must be a string equal to one of: year, month, day, hour"
                       " (or the extensions minute, second, millisecond)");
        } else if (op == "extractFromUVCI") {
            count(n == 2, "exactly 2");
            if (n >= 2 && !asInt(values[1])) add(e, "\"index\" argument (#2) of \"extractFromUVCI\" must be an integer");
        } else {
            add(e, "unrecognised operator: \"" + op + "\"");
            return;
        }
        for (const auto& v : values) run(v, depth + 1);
    }

    const Limits& limits_;
    std::size_t nodes_ = 0;
    bool stopped_ = false;
};

// ---- evaluation ----

// A value that is either borrowed from the data object / the expression (no copy of a value set
// for each `in`) or owned (computed).
const json& nullJson() {
    static const json kNull;
    return kNull;
}

class Val {
public:
    Val() = default;
    static Val borrow(const json& j) {
        Val v;
        v.ref_ = &j;
        return v;
    }
    // Borrowed from the evaluation context's data object (or its shared value sets): an `in` may
    // use the context's index of it.
    static Val borrowFromData(const json& j) {
        Val v;
        v.ref_ = &j;
        v.fromData_ = true;
        return v;
    }
    bool fromData() const { return fromData_; }
    bool owned() const { return ref_ == nullptr; }
    static Val own(json j) {
        Val v;
        v.owned_.emplace(std::move(j));
        return v;
    }
    const json& get() const { return ref_ ? *ref_ : owned_ ? *owned_ : nullJson(); }
    json take() && { return ref_ ? *ref_ : owned_ ? std::move(*owned_) : json(); }

private:
    const json* ref_ = nullptr;
    // Engaged only for computed values: most values are borrowed, and a json's destructor is not free.
    std::optional<json> owned_;
    bool fromData_ = false;
};

// Results of tests and comparisons, borrowed (no json made and destroyed per operation).
Val boolean(bool b) {
    static const json kTrue(true), kFalse(false);
    return Val::borrow(b ? kTrue : kFalse);
}

// The data context: the data object, or a reduce lambda's {current, accumulator, data}.
struct Scope {
    const json* data = nullptr;  // plain scope
    const json* current = nullptr;
    const json* accumulator = nullptr;
    const Scope* outer = nullptr;  // lambda scope: the scope reduce was evaluated in ("data")

    bool lambda() const { return outer != nullptr; }
};

json materialise(const Scope& s) {
    if (!s.lambda()) return *s.data;
    return json{{"current", *s.current}, {"accumulator", *s.accumulator}, {"data", materialise(*s.outer)}};
}

const json* drill(const json* at, std::string_view fragment) {
    if (at->is_object()) {
        const auto it = at->find(fragment);
        return it == at->end() ? nullptr : &*it;
    }
    if (at->is_array()) {
        if (fragment.empty() || fragment.size() > 9) return nullptr;
        std::size_t index = 0;
        for (char c : fragment) {
            if (c < '0' || c > '9') return nullptr;
            index = index * 10 + static_cast<std::size_t>(c - '0');
        }
        return index < at->size() ? &(*at)[index] : nullptr;
    }
    return nullptr;
}

// The operations, classified once per node visit: a switch on the length and the first characters,
// then one exact comparison (a chain of string comparisons was a fifth of the evaluation time).
enum class Op { Var, If, And, Or, Not, NotNot, StrictEq, StrictNe, In, Plus, Lt, Gt, Le, Ge, Before, After, NotBefore, NotAfter,
                PlusTime, DccDateOfBirth, ExtractFromUVCI, Reduce, Unknown };

Op classify(std::string_view op) {
    auto is = [&](std::string_view name, Op kind) { return op == name ? kind : Op::Unknown; };
    if (op.empty()) return Op::Unknown;
    switch (op.size()) {
        case 1:
            switch (op[0]) {
                case '!': return Op::Not;
                case '+': return Op::Plus;
                case '<': return Op::Lt;
                case '>': return Op::Gt;
                default: return Op::Unknown;
            }
        case 2:
            switch (op[0]) {
                case 'i': return op[1] == 'f' ? Op::If : op[1] == 'n' ? Op::In : Op::Unknown;
                case 'o': return is("or", Op::Or);
                case '!': return is("!!", Op::NotNot);
                case '<': return is("<=", Op::Le);
                case '>': return is(">=", Op::Ge);
                default: return Op::Unknown;
            }
        case 3:
            switch (op[0]) {
                case 'v': return is("var", Op::Var);
                case 'a': return is("and", Op::And);
                case '=': return is("===", Op::StrictEq);
                case '!': return is("!==", Op::StrictNe);
                default: return Op::Unknown;
            }
        case 5: return is("after", Op::After);
        case 6: return op[0] == 'b' ? is("before", Op::Before) : is("reduce", Op::Reduce);
        case 8: return is("plusTime", Op::PlusTime);
        case 9: return is("not-after", Op::NotAfter);
        case 10: return is("not-before", Op::NotBefore);
        case 14: return is("dccDateOfBirth", Op::DccDateOfBirth);
        case 15: return is("extractFromUVCI", Op::ExtractFromUVCI);
        default: return Op::Unknown;
    }
}

// ---- compiled expressions ----
//
// A validated expression is turned once into a tree of nodes: the operator classified, the operands
// in a vector, every var path split into its fragments (array indices parsed, lambda heads known).
// Evaluation walks the nodes with exactly the semantics (and the step count) of walking the JSON; a
// rule keeps its compiled form, so a decision pays for no parsing.

enum class Head { Current, Accumulator, Data, Other };

struct Fragment {
    std::string_view name;
    Head head = Head::Other;
    std::optional<std::size_t> index;  // 1–9 digits: an array index
};

struct Node {
    enum class Kind { Literal, Array, Operation, Var, Invalid };
    Kind kind = Kind::Invalid;
    const json* literal = nullptr;  // Literal: the value in the expression
    Op op = Op::Unknown;
    std::string_view opName;  // for error messages
    std::vector<Node> args;   // Array items, Operation operands
    // Var: the path text, and its fragments when it splits cleanly (no empty fragment); otherwise the
    // text is walked as it is. `slot`: this var's memo slot within its expression.
    const std::string* path = nullptr;
    std::vector<Fragment> fragments;
    bool split = false;
    std::size_t slot = 0;
    std::string invalid;  // Invalid: the error evaluating it gives
};

Fragment fragmentOf(std::string_view name) {
    Fragment f;
    f.name = name;
    f.head = name == "current" ? Head::Current : name == "accumulator" ? Head::Accumulator : name == "data" ? Head::Data : Head::Other;
    if (!name.empty() && name.size() <= 9 && std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        std::size_t index = 0;
        for (char c : name) index = index * 10 + static_cast<std::size_t>(c - '0');
        f.index = index;
    }
    return f;
}

Node compileNode(const json& e, std::size_t& varSlots) {
    Node n;
    switch (e.type()) {
        case json::value_t::string:
        case json::value_t::boolean:
        case json::value_t::number_integer:
        case json::value_t::number_unsigned:
        case json::value_t::number_float:
            n.kind = Node::Kind::Literal;
            n.literal = &e;
            return n;
        case json::value_t::array:
            n.kind = Node::Kind::Array;
            n.args.reserve(e.size());
            for (const auto& item : e) n.args.push_back(compileNode(item, varSlots));
            return n;
        case json::value_t::object: break;
        default: n.invalid = "invalid CertLogic expression"; return n;
    }
    if (e.size() != 1) {
        n.invalid = "expression object must have exactly one key";
        return n;
    }
    n.opName = e.begin().key();
    n.op = classify(n.opName);
    const json& args = e.begin().value();
    if (n.op == Op::Var) {
        if (!args.is_string()) {
            n.invalid = R"(not of the form { "var": "<path>" })";
            return n;
        }
        n.kind = Node::Kind::Var;
        n.path = &args.get_ref<const json::string_t&>();
        n.slot = varSlots++;
        const std::string_view text = *n.path;
        n.split = !text.empty() && text.front() != '.' && text.back() != '.' && text.find("..") == std::string_view::npos;
        if (n.split) {
            std::size_t from = 0;
            for (;;) {
                const auto dot = text.find('.', from);
                n.fragments.push_back(fragmentOf(text.substr(from, dot == std::string_view::npos ? dot : dot - from)));
                if (dot == std::string_view::npos) break;
                from = dot + 1;
            }
        }
        return n;
    }
    if (!args.is_array()) {
        n.invalid = R"(operation not of the form { "<operator>": [ <values...> ] })";
        return n;
    }
    if (n.op == Op::Unknown) {
        n.invalid = "unrecognised operator: \"" + std::string(n.opName) + "\"";
        return n;
    }
    n.kind = Node::Kind::Operation;
    n.args.reserve(args.size());
    for (const auto& a : args) n.args.push_back(compileNode(a, varSlots));
    return n;
}

// The var memo's "not resolved yet" (nullptr is "resolved to nothing"): an address no data object has.
const json* unresolved() {
    static const json kMarker;
    return &kMarker;
}

class Evaluator {
public:
    Evaluator(const Limits& limits, EvaluationContext& context, std::size_t varSlots)
        : limits_(limits), context_(context), unresolved_(unresolved()), memo_(varSlots, unresolved_) {}

    Val eval(const Node& e, const Scope& scope) {
        step();
        switch (e.kind) {
            case Node::Kind::Literal: return Val::borrow(*e.literal);
            case Node::Kind::Array: {
                json out = json::array();
                for (const auto& item : e.args) out.push_back(eval(item, scope).take());
                return Val::own(std::move(out));
            }
            case Node::Kind::Var: return var(e, scope);
            case Node::Kind::Operation: return operation(e, scope);
            case Node::Kind::Invalid: break;
        }
        fail(e.invalid);
    }

private:
    void step() {
        if (++steps_ > limits_.maxSteps) fail("evaluation exceeds " + std::to_string(limits_.maxSteps) + " steps");
    }

    static bool truthy(const json& v) { return isTruthy(v); }
    static bool falsy(const json& v) { return isFalsy(v); }

    Val var(const Node& node, const Scope& scope) {
        const std::string& path = *node.path;
        if (path.empty()) return scope.lambda() ? Val::own(materialise(scope)) : Val::borrow(*scope.data);
        // A var node always sits at the same lambda depth: where it once led into the data object, it
        // leads there again during this evaluation (a value set looked up by every stay of an itinerary).
        const json* const known = memo_[node.slot];
        if (known != unresolved_) return known ? Val::borrowFromData(*known) : Val::borrow(nullJson());
        if (!node.split) return varText(node, scope);
        const auto& parts = node.fragments;
        std::size_t i = 0;
        const Scope* s = &scope;
        const json* at = nullptr;
        // In a lambda the first fragment picks current, accumulator or (patched reduce) data.
        while (s->lambda()) {
            const Fragment& head = parts[i];
            if (head.head == Head::Current) {
                at = s->current;
            } else if (head.head == Head::Accumulator) {
                at = s->accumulator;
            } else if (head.head == Head::Data) {
                if (i + 1 == parts.size()) return Val::own(materialise(*s->outer));
                s = s->outer;
                ++i;
                continue;
            } else {
                return Val::borrow(nullJson());
            }
            ++i;
            break;
        }
        // From the data object itself (not a lambda's current or accumulator): an `in` may hash it.
        const bool fromData = at == nullptr;
        if (!at) at = s->data;
        for (; i < parts.size() && at != nullptr; ++i) {
            const Fragment& f = parts[i];
            const json* next = nullptr;
            if (at->is_object()) {
                const auto it = at->find(f.name);
                next = it == at->end() ? nullptr : &*it;
            } else if (at->is_array() && f.index) {
                next = *f.index < at->size() ? &(*at)[*f.index] : nullptr;
            }
            if (next == nullptr && fromData) next = context_.sharedMember(at, f.name);
            at = next;
        }
        if (fromData) memo_[node.slot] = at;
        if (at == nullptr) return Val::borrow(nullJson());
        return fromData ? Val::borrowFromData(*at) : Val::borrow(*at);
    }

    // Paths with an empty fragment ("a..b", ".a", "a."): walked as text, as the specification's
    // reference does.
    Val varText(const Node& node, const Scope& scope) {
        std::string_view rest = *node.path;
        const Scope* s = &scope;
        const json* at = nullptr;
        while (s->lambda()) {
            const auto dot = rest.find('.');
            const std::string_view head = rest.substr(0, dot);
            if (head == "current") {
                at = s->current;
            } else if (head == "accumulator") {
                at = s->accumulator;
            } else if (head == "data") {
                if (dot == std::string_view::npos) return Val::own(materialise(*s->outer));
                s = s->outer;
                rest = rest.substr(dot + 1);
                continue;
            } else {
                return Val::borrow(nullJson());
            }
            rest = dot == std::string_view::npos ? std::string_view{} : rest.substr(dot + 1);
            break;
        }
        const bool fromData = at == nullptr;
        if (!at) at = s->data;
        while (!rest.empty() && at != nullptr) {
            const auto dot = rest.find('.');
            const std::string_view fragment = rest.substr(0, dot);
            const json* next = drill(at, fragment);
            if (next == nullptr && fromData) next = context_.sharedMember(at, fragment);
            at = next;
            rest = dot == std::string_view::npos ? std::string_view{} : rest.substr(dot + 1);
        }
        if (at == nullptr) return Val::borrow(nullJson());
        return fromData ? Val::borrowFromData(*at) : Val::borrow(*at);
    }

    std::int64_t intOrFail(const json& v, const char* what) {
        auto i = asInt(v);
        if (!i) fail(std::string(what) + " must be an integer, got " + jsText(v));
        return *i;
    }

    Val operation(const Node& e, const Scope& scope) {
        const std::string_view op = e.opName;
        const Op kind = e.op;
        const std::vector<Node>& args = e.args;
        const std::size_t n = args.size();
        auto need = [&](bool ok) {
            if (!ok) fail("wrong number of operands for \"" + std::string(op) + "\"");
        };

        if (kind == Op::If) {
            need(n == 3);
            const Val guard = eval(args[0], scope);
            if (truthy(guard.get())) return eval(args[1], scope);
            if (falsy(guard.get())) return eval(args[2], scope);
            fail("if-guard evaluates to something neither truthy, nor falsy: " + jsText(guard.get()));
        }
        if (kind == Op::And || kind == Op::Or) {
            need(n >= 2);
            const bool isAnd = kind == Op::And;
            for (std::size_t i = 0;; ++i) {
                Val v = eval(args[i], scope);
                if (i + 1 == n) return v;
                const bool t = truthy(v.get()), f = falsy(v.get());
                if (!t && !f) fail("all operands of an \"" + std::string(op) + "\" operation must be either truthy or falsy");
                if (isAnd ? f : t) return v;
            }
        }
        if (kind == Op::Not || kind == Op::NotNot) {
            need(n == 1);
            const Val v = eval(args[0], scope);
            const bool t = truthy(v.get()), f = falsy(v.get());
            if (!t && !f) fail("operand of " + std::string(op) + " evaluates to something neither truthy, nor falsy: " + jsText(v.get()));
            return boolean(kind == Op::Not ? f : t);
        }
        if (kind == Op::StrictEq || kind == Op::StrictNe) {
            need(n == 2);
            const Val a = eval(args[0], scope);
            const Val b = eval(args[1], scope);
            const bool eq = strictEquals(a.get(), b.get());
            return boolean(kind == Op::StrictEq ? eq : !eq);
        }
        if (kind == Op::In) {
            need(n == 2);
            const Val needle = eval(args[0], scope);
            const Val haystack = eval(args[1], scope);
            if (!haystack.get().is_array()) fail(R"(right-hand side of an "in" operation must be an array)");
            if (haystack.fromData()) {
                if (const ValueSetIndex* index = context_.membershipIndex(haystack.get())) {
                    step();  // one lookup, whatever the size of the value set (DESIGN §14)
                    return boolean(index->contains(needle.get()));
                }
            }
            for (const auto& item : haystack.get()) {
                step();
                if (strictEquals(needle.get(), item)) return boolean(true);
            }
            return boolean(false);
        }
        if (kind == Op::Plus) {
            need(n == 2);
            const std::int64_t a = intOrFail(eval(args[0], scope).get(), "operands of +");
            const std::int64_t b = intOrFail(eval(args[1], scope).get(), "operands of +");
            std::int64_t sum = 0;
            if (__builtin_add_overflow(a, b, &sum)) fail("+ overflows");
            return Val::own(sum);
        }
        const bool intCompare = kind == Op::Lt || kind == Op::Gt || kind == Op::Le || kind == Op::Ge;
        const bool dateCompare = kind == Op::Before || kind == Op::After || kind == Op::NotBefore || kind == Op::NotAfter;
        if (intCompare || dateCompare) {
            need(n == 2 || n == 3);
            std::array<std::int64_t, 3> v{};
            for (std::size_t i = 0; i < n; ++i) {
                const Val x = eval(args[i], scope);
                const auto value = intCompare ? asInt(x.get()) : asDateTime(x.get());
                if (!value) {
                    fail(intCompare ? "all operands of a comparison operation must be of integer type"
                                    : "all operands of a date-time comparison must be date-times");
                }
                v[i] = *value;
            }
            auto holds = [&](std::int64_t a, std::int64_t b) {
                if (kind == Op::Lt || kind == Op::Before) return a < b;
                if (kind == Op::Gt || kind == Op::After) return a > b;
                if (kind == Op::Le || kind == Op::NotAfter) return a <= b;
                return a >= b;  // >=, not-before
            };
            return boolean(holds(v[0], v[1]) && (n == 2 || holds(v[1], v[2])));
        }
        if (kind == Op::PlusTime) {
            need(n == 3);
            const Val text = eval(args[0], scope);
            if (!text.get().is_string()) fail("date-time argument of plusTime must be a string, got " + jsText(text.get()));
            const std::int64_t amount = intOrFail(eval(args[1], scope).get(), "amount of plusTime");
            const Val unit = eval(args[2], scope);
            if (!isTimeUnit(unit.get())) fail("unit of plusTime must be one of year, month, day, hour, minute, second, millisecond");
            const auto ms = parseDateTimeMs(text.get().get_ref<const json::string_t&>());
            if (!ms) fail("plusTime: not a date(-time) in an allowed format");
            return Val::own(makeDateTime(plusTime(*ms, amount, unit.get().get_ref<const json::string_t&>())));
        }
        if (kind == Op::DccDateOfBirth) {
            need(n == 1);
            const Val text = eval(args[0], scope);
            if (!text.get().is_string()) fail("operand of dccDateOfBirth must be a string, got " + jsText(text.get()));
            return Val::own(toDateTimeOrFail(parseDateOfBirthMs(text.get().get_ref<const json::string_t&>()), "dccDateOfBirth"));
        }
        if (kind == Op::ExtractFromUVCI) {
            need(n == 2);
            const Val operand = eval(args[0], scope);
            const std::int64_t index = intOrFail(eval(args[1], scope).get(), "index of extractFromUVCI");
            if (operand.get().is_null()) return Val::borrow(nullJson());
            if (!operand.get().is_string()) fail("operand of extractFromUVCI must be a string or null");
            if (index < 0) return Val::borrow(nullJson());
            std::string_view uvci = operand.get().get_ref<const json::string_t&>();
            constexpr std::string_view kPrefix = "URN:UVCI:";  // optional (eHN UCI guidelines, Annex 2)
            if (uvci.substr(0, kPrefix.size()) == kPrefix) uvci.remove_prefix(kPrefix.size());
            std::int64_t fragment = 0;
            std::size_t start = 0;
            for (std::size_t i = 0; i <= uvci.size(); ++i) {
                if (i == uvci.size() || uvci[i] == '/' || uvci[i] == '#' || uvci[i] == ':') {
                    if (fragment == index) return Val::own(std::string(uvci.substr(start, i - start)));
                    ++fragment;
                    start = i + 1;
                }
            }
            return Val::borrow(nullJson());
        }
        if (kind == Op::Reduce) {
            need(n == 3);
            const Val operand = eval(args[0], scope);
            Val accumulator = eval(args[2], scope);
            if (operand.get().is_null()) return accumulator;
            if (!operand.get().is_array()) fail("operand of reduce must be an array or null");
            for (const auto& current : operand.get()) {
                step();
                Scope lambda;
                lambda.current = &current;
                lambda.accumulator = &accumulator.get();
                lambda.outer = &scope;
                Val next = eval(args[1], lambda);
                if (next.owned() || !accumulator.owned()) {
                    // Owned, or borrowed while nothing is freed by replacing the accumulator: no copy
                    // (the decisive-test rules keep borrowing a test of the data object).
                    accumulator = std::move(next);
                } else {
                    // `next` may borrow from the old accumulator: copy it out before replacing that.
                    accumulator = Val::own(std::move(next).take());
                }
            }
            // A borrowed result may point into an operand this reduce made: it goes with it.
            if (operand.owned() && !accumulator.owned()) return Val::own(accumulator.get());
            return accumulator;
        }
        fail("unrecognised operator: \"" + std::string(op) + "\"");
    }

    const Limits& limits_;
    EvaluationContext& context_;
    const json* const unresolved_;
    std::vector<const json*> memo_;  // per var node: where it led from the data object
    std::size_t steps_ = 0;
};

// Date-times leave the evaluator as RFC 3339 text.
void exportValue(json& v) {
    if (auto ms = asDateTime(v)) {
        v = formatDateTimeMs(*ms);
    } else if (v.is_array()) {
        for (auto& item : v) exportValue(item);
    }
}

}  // namespace

namespace {

constexpr std::size_t kMaxPackedBytes = 7;  // the eighth byte holds the length, so a key is never 0

std::uint64_t mixed(std::uint64_t key) {  // splitmix64's finaliser
    key ^= key >> 30;
    key *= 0xbf58476d1ce4e5b9ull;
    key ^= key >> 27;
    key *= 0x94d049bb133111ebull;
    return key ^ (key >> 31);
}

}  // namespace

std::optional<std::uint64_t> ValueSetIndex::packed(std::string_view s) {
    if (s.empty() || s.size() > kMaxPackedBytes) return std::nullopt;
    std::uint64_t key = static_cast<std::uint64_t>(s.size()) << 56;
    for (std::size_t i = 0; i < s.size(); ++i) key |= static_cast<std::uint64_t>(static_cast<unsigned char>(s[i])) << (8 * i);
    return key;
}

bool ValueSetIndex::containsPacked(std::uint64_t key) const {
    if (table_.empty()) return false;
    const std::size_t mask = table_.size() - 1;
    for (std::size_t i = mixed(key) & mask;; i = (i + 1) & mask) {
        if (table_[i] == key) return true;
        if (table_[i] == 0) return false;
    }
}

ValueSetIndex::ValueSetIndex(const json& array) {
    std::vector<std::uint64_t> keys;
    for (const auto& item : array) {
        if (item.is_string()) {
            const auto& s = item.get_ref<const json::string_t&>();
            if (const auto key = packed(s)) {
                keys.push_back(*key);
            } else {
                longStrings_.insert(s);
            }
        } else if (const auto i = item.is_number() ? asInt(item) : std::nullopt) {
            integers_.insert(*i);
        } else if (item.is_number() || item.is_boolean() || item.is_null()) {
            others_.push_back(&item);
        }  // arrays, objects: never === anything
    }
    if (keys.empty()) return;
    std::size_t size = 16;
    while (size < 2 * keys.size()) size *= 2;
    table_.assign(size, 0);
    for (const auto key : keys) {
        for (std::size_t i = mixed(key) & (size - 1);; i = (i + 1) & (size - 1)) {
            if (table_[i] == key) break;
            if (table_[i] == 0) {
                table_[i] = key;
                break;
            }
        }
    }
}

bool ValueSetIndex::contains(const json& needle) const {
    if (needle.is_string()) {
        const auto& s = needle.get_ref<const json::string_t&>();
        if (const auto key = packed(s)) return containsPacked(*key);
        return longStrings_.count(s) != 0;
    }
    if (needle.is_number()) {
        if (const auto i = asInt(needle); i && integers_.count(*i) != 0) return true;
    } else if (!needle.is_boolean() && !needle.is_null()) {
        return false;
    }
    return std::any_of(others_.begin(), others_.end(), [&](const json* item) { return strictEquals(needle, *item); });
}

SharedValueSets::SharedValueSets(std::map<std::string, json, std::less<>> sets) {
    for (auto& [name, codes] : sets) {
        if (codes.is_array()) sets_.emplace(name, std::move(codes));
    }
    for (const auto& [name, codes] : sets_) indexes_.emplace(&codes, ValueSetIndex(codes));
}

const json* SharedValueSets::find(std::string_view name) const {
    const auto it = sets_.find(name);
    return it == sets_.end() ? nullptr : &it->second;
}

const ValueSetIndex* SharedValueSets::indexOf(const json* array) const {
    const auto it = indexes_.find(array);
    return it == indexes_.end() ? nullptr : &it->second;
}

EvaluationContext::EvaluationContext(const json& data, std::shared_ptr<const SharedValueSets> shared)
    : EvaluationContext(data, shared ? std::vector<std::shared_ptr<const SharedValueSets>>{std::move(shared)}
                                     : std::vector<std::shared_ptr<const SharedValueSets>>{}) {}

EvaluationContext::EvaluationContext(const json& data, std::vector<std::shared_ptr<const SharedValueSets>> shared)
    : data_(data), shared_(std::move(shared)) {
    std::erase(shared_, nullptr);
    if (!data_.is_object()) return;
    const auto external = data_.find("external");
    if (external == data_.end() || !external->is_object()) return;
    const auto sets = external->find("valueSets");
    if (sets != external->end() && sets->is_object()) valueSetsNode_ = &*sets;
}

const json* EvaluationContext::sharedMember(const json* at, std::string_view name) const {
    if (at == nullptr || at != valueSetsNode_) return nullptr;
    for (const auto& source : shared_) {
        if (const json* set = source->find(name)) return set;
    }
    return nullptr;
}

const ValueSetIndex* EvaluationContext::membershipIndex(const json& array) {
    if (&array == lastArray_) return lastIndex_;
    const ValueSetIndex* index = nullptr;
    for (const auto& source : shared_) {
        if ((index = source->indexOf(&array))) break;
    }
    if (!index && array.size() >= kHashedMembershipMinItems) {
        auto& slot = indexes_[&array];
        if (!slot) slot = std::make_unique<ValueSetIndex>(array);
        index = slot.get();
    }
    lastArray_ = &array;
    lastIndex_ = index;
    return index;
}

bool isTruthy(const json& v) {
    switch (v.type()) {
        case json::value_t::boolean: return v.get<bool>();
        case json::value_t::string: return !v.get_ref<const json::string_t&>().empty();
        case json::value_t::number_integer:
        case json::value_t::number_unsigned:
        case json::value_t::number_float: {
            const auto i = asInt(v);
            return i && *i != 0;
        }
        case json::value_t::array:
        case json::value_t::object: return !v.empty();
        default: return false;
    }
}

bool isFalsy(const json& v) {
    switch (v.type()) {
        case json::value_t::null: return true;
        case json::value_t::boolean: return !v.get<bool>();
        case json::value_t::string: return v.get_ref<const json::string_t&>().empty();
        case json::value_t::number_integer:
        case json::value_t::number_unsigned:
        case json::value_t::number_float: {
            const auto i = asInt(v);
            return i && *i == 0;
        }
        case json::value_t::array:
        case json::value_t::object: return v.empty();
        default: return false;  // date-times, non-integer numbers: neither
    }
}

std::optional<std::int64_t> parseDateTimeMs(std::string_view s) {
    std::size_t pos = 0;
    auto date = parseDatePart(s, pos);
    if (!date) return std::nullopt;
    if (pos == s.size()) return date;
    if (s[pos] != 'T' && s[pos] != 't') return std::nullopt;
    // A partial date has no time part.
    if (pos != 10) return std::nullopt;
    ++pos;
    int hh = 0, mm = 0, ss = 0;
    if (!readDigits(s, pos, 2, hh) || pos >= s.size() || s[pos++] != ':' || !readDigits(s, pos, 2, mm) || pos >= s.size() ||
        s[pos++] != ':' || !readDigits(s, pos, 2, ss)) {
        return std::nullopt;
    }
    if (hh > 23 || mm > 59 || ss > 59) return std::nullopt;
    std::int64_t ms = *date + hh * kMsPerHour + mm * 60 * kMsPerSecond + ss * kMsPerSecond;
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        std::size_t digits = 0;
        int fraction = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            if (digits < 3) fraction = fraction * 10 + (s[pos] - '0');  // beyond ms: rounded down
            ++digits;
            ++pos;
        }
        if (digits == 0) return std::nullopt;
        for (std::size_t d = digits; d < 3; ++d) fraction *= 10;
        ms += fraction;
    }
    if (pos == s.size()) return ms;  // no offset: UTC
    if (s[pos] == 'Z' || s[pos] == 'z') {
        return pos + 1 == s.size() ? std::optional<std::int64_t>(ms) : std::nullopt;
    }
    if (s[pos] != '+' && s[pos] != '-') return std::nullopt;
    const auto offset = parseOffsetMs(s, pos);
    if (!offset || pos != s.size()) return std::nullopt;
    return ms - *offset;
}

std::optional<std::int64_t> parseDateOfBirthMs(std::string_view s) {
    std::size_t pos = 0;
    auto date = parseDatePart(s, pos);
    if (!date || pos != s.size()) return std::nullopt;
    return date;
}

std::string formatDateTimeMs(std::int64_t epochMs) {
    const std::int64_t days = floorDiv(epochMs, kMsPerDay);
    std::int64_t rem = epochMs - days * kMsPerDay;
    const Civil c = civilFromDays(days);
    const auto hh = rem / kMsPerHour;
    rem %= kMsPerHour;
    const auto mi = rem / 60000;
    rem %= 60000;
    const auto ss = rem / 1000;
    const auto ms = rem % 1000;
    if (c.year < 0 || c.year > 9999) {
        char buf[48];
        std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ", static_cast<long long>(c.year), c.month,
                      c.day, static_cast<long long>(hh), static_cast<long long>(mi), static_cast<long long>(ss),
                      static_cast<long long>(ms));
        return buf;
    }
    // The common case by hand: data objects format a date-time or two per decision, and snprintf
    // was a fifth of the built-in rules' cost.
    std::string out = "0000-00-00T00:00:00.000Z";
    auto put = [&](std::size_t at, std::int64_t value, std::size_t digits) {
        for (std::size_t i = digits; i-- > 0; value /= 10) out[at + i] = static_cast<char>('0' + value % 10);
    };
    put(0, c.year, 4);
    put(5, c.month, 2);
    put(8, c.day, 2);
    put(11, hh, 2);
    put(14, mi, 2);
    put(17, ss, 2);
    put(20, ms, 3);
    return out;
}

std::vector<ValidationIssue> validate(const json& expression, const Limits& limits) {
    Validator v(limits);
    v.run(expression, 0);
    return std::move(v.issues);
}

Result<json> evaluate(const json& expression, const json& data, const Limits& limits) {
    const auto issues = validate(expression, limits);
    if (!issues.empty()) return Error{"invalid CertLogic expression: " + issues.front().message};
    auto out = evaluateValidated(expression, data, limits);
    if (out) exportValue(*out);
    return out;
}

namespace {

Result<json> run(const Node& root, std::size_t varSlots, EvaluationContext& context, const Limits& limits) {
    try {
        Evaluator ev(limits, context, varSlots);
        Scope scope;
        scope.data = &context.data();
        return ev.eval(root, scope).take();
    } catch (const EvalError& e) {
        return Error{e.message};
    } catch (const std::exception& e) {  // nlohmann type errors, bad_alloc: a failed evaluation
        return Error{std::string("evaluation failed: ") + e.what()};
    }
}

}  // namespace

struct CompiledExpression::Impl {
    json expression;  // never moved once compiled: the nodes point into it
    Node root;
    std::size_t varSlots = 0;
};

CompiledExpression::CompiledExpression(json expression) : impl_(std::make_unique<Impl>()) {
    impl_->expression = std::move(expression);
    impl_->root = compileNode(impl_->expression, impl_->varSlots);
}

CompiledExpression::~CompiledExpression() = default;

const json& CompiledExpression::expression() const { return impl_->expression; }

Result<json> evaluateCompiled(const CompiledExpression& expression, EvaluationContext& context, const Limits& limits) {
    return run(expression.impl_->root, expression.impl_->varSlots, context, limits);
}

Result<json> evaluateValidated(const json& expression, const json& data, const Limits& limits) {
    try {
        EvaluationContext context(data);
        return evaluateValidated(expression, context, limits);
    } catch (const std::exception& e) {  // bad_alloc making the context
        return Error{std::string("evaluation failed: ") + e.what()};
    }
}

Result<json> evaluateValidated(const json& expression, EvaluationContext& context, const Limits& limits) {
    try {
        std::size_t varSlots = 0;
        const Node root = compileNode(expression, varSlots);
        return run(root, varSlots, context, limits);
    } catch (const std::exception& e) {  // bad_alloc compiling
        return Error{std::string("evaluation failed: ") + e.what()};
    }
}

Result<json> parseBounded(std::string_view text, std::size_t maxBytes, std::size_t maxDepth) {
    if (text.size() > maxBytes) return Error{"JSON text larger than " + std::to_string(maxBytes) + " bytes"};
    std::size_t depth = 0;
    bool inString = false, escaped = false;
    for (char c : text) {
        if (inString) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                inString = false;
            }
        } else if (c == '"') {
            inString = true;
        } else if (c == '[' || c == '{') {
            if (++depth > maxDepth) return Error{"JSON nests deeper than " + std::to_string(maxDepth) + " levels"};
        } else if (c == ']' || c == '}') {
            if (depth > 0) --depth;
        }
    }
    json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return Error{"not valid JSON"};
    return j;
}

}  // namespace sentinel::rules
