#pragma once
// CertLogic (specification 1.3.3, ../shared/testdata/rules/certlogic/SPECIFICATION.md): the
// JsonLogic subset the EU DCC gateway writes business rules in. Pure: values in, values out.
//
// Expressions are hostile input. Every entry point is bounded (Limits): nesting depth, node count,
// string sizes and evaluation steps; exceeding a bound is an error value, never a crash or a hang.
// Errors are values: nothing here throws across the API.
//
// Operations: var, if, ===, !==, !, !!, and, or, <, >, <=, >= (2 or 3 operands), in, +, plusTime
// (year, month, day, hour), before, after, not-before, not-after (2 or 3 operands), reduce (the
// lambda sees current, accumulator and — the "patched" reduce the specification allows — data),
// extractFromUVCI, dccDateOfBirth. Extensions (DESIGN §12): `!==`, `!!` and `or`, JsonLogic
// operations outside the CertLogic specification, accepted with CertLogic's truthiness rules; and
// plusTime's fixed-length units minute, second and millisecond, which the built-in rules made from
// [policy] need for limits such as 0.5 h or 300 s.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "firmware/base/Result.h"

namespace sentinel::rules {

struct Limits {
    // Nesting of the expression (and of a JSON text read by parseBounded). Real rules nest < 20.
    std::size_t maxDepth = 64;
    // Expression nodes (objects, arrays, literals). The largest DCC rule in the testdata has ~120.
    std::size_t maxNodes = 20000;
    // One string literal or data-access path, in bytes.
    std::size_t maxStringBytes = 4096;
    // Evaluation steps (one per sub-expression evaluated, one per reduce item): bounds reduce over
    // large arrays. A DCC rule on a real certificate takes < 500.
    std::size_t maxSteps = 200000;
};

struct ValidationIssue {
    nlohmann::json expr;  // the offending (sub-)expression
    std::string message;  // as the reference validator (certlogic-js) words it where it has one
};

// The validation the specification describes (what certlogic-js/validation checks): literals are
// booleans, integers, strings or arrays of expressions; operation objects have exactly one key whose
// value is an array of operands (var: a path string), with the operand count each operation takes;
// plusTime's amount is an integer literal and its unit one of the four; extractFromUVCI's index is an
// integer literal. Also reports the Limits (depth, nodes, string size). Empty = valid.
std::vector<ValidationIssue> validate(const nlohmann::json& expression, const Limits& limits = {});

// ---- value sets: hashed membership (DESIGN §14) ----
//
// `in` against an array the data object carries (a value set in external.valueSets, or any array of
// the data object with at least kHashedMembershipMinItems items) is a hash lookup, one evaluation
// step, with exactly the result of the linear `===` scan: so a traveller with 30 stays checked
// against a 3 000-code list never meets the step bound. The index of an array is built once per
// evaluation context (EvaluationContext), or once per SharedValueSets. Every other `in` (literal
// arrays, computed ones, short ones) scans as the specification says, one step per item.

// Arrays of the data object shorter than this are scanned: building an index costs more.
inline constexpr std::size_t kHashedMembershipMinItems = 16;

// The members of one array for `in`. Keeps pointers and views into the array: the array must
// outlive the index and must not change.
class ValueSetIndex {
public:
    explicit ValueSetIndex(const nlohmann::json& array);
    // CertLogic `needle in array` (strict equality: strings and integers by value, arrays and objects
    // never equal).
    bool contains(const nlohmann::json& needle) const;

private:
    // Strings of 1–7 bytes (GB/T 2260 codes, most value-set codes) packed into one word each, in an
    // open-addressing table: one probe, usually one cache line, per lookup — a decision right after the
    // kiosk wakes finds little of a 3 000-code set in its caches.
    static std::optional<std::uint64_t> packed(std::string_view s);
    bool containsPacked(std::uint64_t key) const;
    std::vector<std::uint64_t> table_;  // 0 = empty; size a power of two, at most half full
    std::unordered_set<std::string> longStrings_;  // the empty string and strings of 8 bytes or more
    std::unordered_set<std::int64_t> integers_;
    std::vector<const nlohmann::json*> others_;  // non-integer numbers, booleans, null
};

// Value sets made once and shared by many evaluations (the risk-area value sets of a list, thousands
// of codes): each array with its index. Immutable once made; safe to share between threads.
class SharedValueSets {
public:
    // name → array (a name whose value is not an array is left out).
    explicit SharedValueSets(std::map<std::string, nlohmann::json, std::less<>> sets);
    SharedValueSets(const SharedValueSets&) = delete;
    SharedValueSets& operator=(const SharedValueSets&) = delete;

    const nlohmann::json* find(std::string_view name) const;
    const ValueSetIndex* indexOf(const nlohmann::json* array) const;
    const std::map<std::string, nlohmann::json, std::less<>>& sets() const { return sets_; }

private:
    std::map<std::string, nlohmann::json, std::less<>> sets_;  // node-based: addresses stay put
    std::unordered_map<const nlohmann::json*, ValueSetIndex> indexes_;
};

// What the evaluations of one decision read: the data object, and shared value sets that read as
// members of data.external.valueSets (`{"var":"external.valueSets.risk-areas-high"}`; a name the
// data object has itself wins; the whole object `external.valueSets` and a lambda's `data` show only
// the data object's own). Indexes of the data object's arrays are built on first use and kept for
// every later evaluation in the context. One context per data object, used on one thread; `data`
// must outlive it and not change.
class EvaluationContext {
public:
    explicit EvaluationContext(const nlohmann::json& data, std::shared_ptr<const SharedValueSets> shared = nullptr);
    // Several sources of shared value sets: of one name, the first source that has it wins.
    EvaluationContext(const nlohmann::json& data, std::vector<std::shared_ptr<const SharedValueSets>> shared);
    EvaluationContext(const EvaluationContext&) = delete;
    EvaluationContext& operator=(const EvaluationContext&) = delete;

    const nlohmann::json& data() const { return data_; }
    // The evaluator's hooks: a shared value set reached at data.external.valueSets.<name> (nullptr:
    // `at` is not that object or no such set); the index for an array of the data object or of the
    // shared sets (nullptr: scan it).
    const nlohmann::json* sharedMember(const nlohmann::json* at, std::string_view name) const;
    const ValueSetIndex* membershipIndex(const nlohmann::json& array);

private:
    const nlohmann::json& data_;
    std::vector<std::shared_ptr<const SharedValueSets>> shared_;
    const nlohmann::json* valueSetsNode_ = nullptr;
    std::unordered_map<const nlohmann::json*, std::unique_ptr<ValueSetIndex>> indexes_;
    // The last array asked about and its index: a rule asks about one value set many times in a row.
    const nlohmann::json* lastArray_ = nullptr;
    const ValueSetIndex* lastIndex_ = nullptr;
};

// An expression made ready for evaluation once: operators classified, operands and var paths split
// (a rule keeps one: a decision pays for no parsing). It owns a copy of the expression. Evaluates
// exactly as evaluateValidated, with the same step count; meant for validated expressions (anything
// else evaluates to the error walking the JSON would give). Immutable: share it between threads.
class CompiledExpression {
public:
    explicit CompiledExpression(nlohmann::json expression);
    ~CompiledExpression();
    CompiledExpression(const CompiledExpression&) = delete;
    CompiledExpression& operator=(const CompiledExpression&) = delete;
    const nlohmann::json& expression() const;

private:
    friend Result<nlohmann::json> evaluateCompiled(const CompiledExpression&, EvaluationContext&, const Limits&);
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

Result<nlohmann::json> evaluateCompiled(const CompiledExpression& expression, EvaluationContext& context, const Limits& limits);

// Evaluates `expression` on `data`. A valid expression on any data yields a value or an error,
// e.g. a type mismatch ("all operands of a comparison operation must be of integer type"), a
// truthiness violation or an exceeded limit. Date-times (from plusTime/dccDateOfBirth) in the
// result come back as RFC 3339 strings with milliseconds ("2021-06-01T00:00:00.000Z").
Result<nlohmann::json> evaluate(const nlohmann::json& expression, const nlohmann::json& data, const Limits& limits = {});
// As evaluate, for an expression the caller has already validated with the same limits (rule sets
// validate once, when loaded). Date-times in the result stay
// internal values (neither truthy nor falsy; a rule yielding one fails).
Result<nlohmann::json> evaluateValidated(const nlohmann::json& expression, const nlohmann::json& data, const Limits& limits);
// As evaluateValidated, on a context's data object and shared value sets (many rules, one decision).
Result<nlohmann::json> evaluateValidated(const nlohmann::json& expression, EvaluationContext& context, const Limits& limits);

// CertLogic truthiness (specification "Truthy and falsy values"); some values are neither.
bool isTruthy(const nlohmann::json& value);
bool isFalsy(const nlohmann::json& value);

// The date(-time) formats plusTime accepts (YYYY, YYYY-MM partial dates as dccDateOfBirth reads
// them; date-times with optional fractions and offsets Z, ±h, ±hh, ±hmm, ±hhmm, ±h:mm, ±hh:mm; no
// offset = UTC), as milliseconds since the epoch. nullopt when the text is none of them.
std::optional<std::int64_t> parseDateTimeMs(std::string_view text);
// dccDateOfBirth: YYYY → YYYY-12-31, YYYY-MM → last day of the month, YYYY-MM-DD as is; 00:00Z.
std::optional<std::int64_t> parseDateOfBirthMs(std::string_view text);
std::string formatDateTimeMs(std::int64_t epochMs);

// Parses a JSON text after checking its nesting depth and size with a scan that does not recurse
// (nlohmann's parser is safe, but the trees it builds are walked recursively later on).
Result<nlohmann::json> parseBounded(std::string_view text, std::size_t maxBytes, std::size_t maxDepth);

}  // namespace sentinel::rules
