#include "firmware/fleet/FleetView.h"

#include <cstdio>

namespace sentinel::fleet {
namespace {

using nlohmann::json;

constexpr std::string_view kPrefix = "sentinel/v1/";
// Column widths of the table (characters): ids like BJ-WEST-07, RFC 3339 times.
constexpr int kIdWidth = 14, kStateWidth = 8, kStationWidth = 10, kGroupWidth = 8, kPolicyWidth = 22;

std::string str(const json& j, const char* key) {
    if (!j.is_object() || !j.contains(key) || j[key].is_null()) return "-";
    return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

std::string padded(std::string s, int width) {
    if (static_cast<int>(s.size()) < width) s.resize(static_cast<std::size_t>(width), ' ');
    return s + ' ';
}

}  // namespace

std::string FleetView::take(std::string_view topic, std::string_view payload) {
    if (topic.substr(0, kPrefix.size()) != kPrefix) return "";
    topic.remove_prefix(kPrefix.size());
    const auto slash = topic.find('/');
    if (slash == std::string_view::npos) return "";
    const std::string id(topic.substr(0, slash));
    const std::string_view leaf = topic.substr(slash + 1);
    if (id == "all" || id == "station" || id == "group" || id == "operator") return "";
    if (leaf != "status" && leaf != "alarms" && leaf != "acks") return "";
    const json m = json::parse(payload, nullptr, false);
    if (!m.is_object()) return "";
    json& r = kiosks_[id];
    if (r.is_null()) r = {{"kiosk_id", id}, {"state", "unknown"}, {"alarms", json::array()}};
    if (leaf == "status") {
        const json keep{{"last_ack", r.value("last_ack", json())}, {"last_alarm", r.value("last_alarm", json())}};
        const std::string state = m.value("state", "unknown");
        json fresh{{"kiosk_id", id}, {"state", state}, {"alarms", json::array()}};
        if (state == "offline") {
            // The last will (or a clean stop) carries only when the session began: keep what the
            // kiosk last said was in force, marked offline.
            for (const char* k : {"station", "group", "policy_version", "camera_fps", "clock_trusted", "checkpoint_size"}) {
                if (r.contains(k)) fresh[k] = r[k];
            }
            fresh["since"] = m.value("since", json());
        } else {
            fresh["station"] = m.value("station", json());
            fresh["group"] = m.value("group", json());
            fresh["policy_version"] = m.value("policy_version", json());
            fresh["camera_fps"] = m.value("camera_fps", json());
            fresh["clock_trusted"] = m.value("clock_trusted", json());
            fresh["at"] = m.value("at", json());
            const json cp = m.value("checkpoint", json());
            fresh["checkpoint_size"] = cp.is_object() ? cp.value("size", json()) : json();
            for (const auto& a : m.value("alarms", json::array())) {
                if (a.is_object() && a.contains("alarm")) fresh["alarms"].push_back(a["alarm"]);
            }
        }
        for (const auto& [k, v] : keep.items()) {
            if (!v.is_null()) fresh[k] = v;
        }
        r = std::move(fresh);
    } else if (leaf == "alarms") {
        r["last_alarm"] = {{"alarm", m.value("alarm", "")}, {"detail", m.value("detail", "")}, {"at", m.value("at", json())},
                           {"cleared", m.value("cleared", false)}};
    } else {
        r["last_ack"] = {{"command", m.value("command", "")}, {"ok", m.value("ok", false)}, {"detail", m.value("detail", "")},
                         {"at", m.value("at", json())}};
    }
    return id;
}

json FleetView::row(const std::string& kioskId) const {
    auto it = kiosks_.find(kioskId);
    return it == kiosks_.end() ? json() : it->second;
}

json FleetView::rows() const {
    json out = json::array();
    for (const auto& [id, r] : kiosks_) out.push_back(r);
    return out;
}

std::string FleetView::header() {
    return padded("KIOSK", kIdWidth) + padded("STATE", kStateWidth) + padded("STATION", kStationWidth) +
           padded("GROUP", kGroupWidth) + padded("POLICY", kPolicyWidth) + "FPS   CLOCK  CHECKPOINT  ALARMS";
}

std::string FleetView::formatRow(const json& r) {
    std::string fps = "-";
    if (r.contains("camera_fps") && r["camera_fps"].is_number()) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "%.1f", r["camera_fps"].get<double>());
        fps = buf;
    }
    std::string clock = "-";
    if (r.contains("clock_trusted") && r["clock_trusted"].is_boolean()) clock = r["clock_trusted"].get<bool>() ? "ok" : "UNTRUSTED";
    std::string alarms;
    for (const auto& a : r.value("alarms", json::array())) alarms += (alarms.empty() ? "" : ",") + a.get<std::string>();
    if (alarms.empty()) alarms = "none";
    return padded(str(r, "kiosk_id"), kIdWidth) + padded(str(r, "state"), kStateWidth) + padded(str(r, "station"), kStationWidth) +
           padded(str(r, "group"), kGroupWidth) + padded(str(r, "policy_version"), kPolicyWidth) + padded(fps, 5) +
           padded(clock, 6) + padded(str(r, "checkpoint_size"), 11) + alarms;
}

}  // namespace sentinel::fleet
