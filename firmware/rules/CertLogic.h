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
#include <optional>
#include <string>
#include <string_view>
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

// Evaluates `expression` on `data`. A valid expression on any data yields a value or an error,
// e.g. a type mismatch ("all operands of a comparison operation must be of integer type"), a
// truthiness violation or an exceeded limit. Date-times (from plusTime/dccDateOfBirth) in the
// result come back as RFC 3339 strings with milliseconds ("2021-06-01T00:00:00.000Z").
Result<nlohmann::json> evaluate(const nlohmann::json& expression, const nlohmann::json& data, const Limits& limits = {});
// As evaluate, for an expression the caller has already validated with the same limits (rule sets
// validate once, when loaded). Date-times in the result stay
// internal values (neither truthy nor falsy; a rule yielding one fails).
Result<nlohmann::json> evaluateValidated(const nlohmann::json& expression, const nlohmann::json& data, const Limits& limits);

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
