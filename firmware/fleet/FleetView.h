#pragma once
// What `sentinel fleet watch` shows (DESIGN §13.1): one row per kiosk, folded from the messages an
// operator receives — the retained status (online with what is in force, or the last will), the
// alarms and the acks. Pure: it takes messages and returns rows, no I/O.

#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace sentinel::fleet {

class FleetView {
public:
    // Takes one message of sentinel/v1/{id}/status|alarms|acks; anything else (or malformed) is
    // ignored. Returns the kiosk id whose row changed, or "" when none did.
    std::string take(std::string_view topic, std::string_view payload);

    // Rows in kiosk-id order: {"kiosk_id","state","station","group","since"|"at","policy_version",
    // "alarms":[names],"camera_fps","clock_trusted","checkpoint_size","last_ack"?,"last_alarm"?}
    nlohmann::json rows() const;
    nlohmann::json row(const std::string& kioskId) const;
    // One line of the table a person reads.
    static std::string formatRow(const nlohmann::json& row);
    static std::string header();

private:
    std::map<std::string, nlohmann::json, std::less<>> kiosks_;
};

}  // namespace sentinel::fleet
