#pragma once
// The risk-area lists as `status`, the fleet's retained status and acks show them (DESIGN §13.1
// `risk_list`, §14): the list in force and the next one, never a region of an itinerary.
//
//   {"in_force": {"version","issued_at","effective_from","age_h","stale","areas","high","medium","low"} | null,
//    "next":     {"version","issued_at","effective_from","areas"} | null}

#include <nlohmann/json.hpp>

#include "firmware/base/Time.h"
#include "firmware/policy/Policy.h"
#include "firmware/policy/RiskSchedule.h"

namespace sentinel::verify {

nlohmann::json riskListStatus(const policy::RiskListsAt& lists, UtcTime now, const policy::PolicyConfig& policy);

}  // namespace sentinel::verify
