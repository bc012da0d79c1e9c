#include "firmware/verify/RiskValueSets.h"

namespace sentinel::verify {
namespace {

nlohmann::json codesJson(const policy::RiskAreaList* list, policy::RiskLevel level, UtcTime now) {
    nlohmann::json out = nlohmann::json::array();
    if (list) {
        for (auto& code : list->codesAt(level, now)) out.push_back(std::move(code));
    }
    return out;
}

}  // namespace

std::shared_ptr<const rules::SharedValueSets> riskValueSets(const policy::RiskAreaList* list, UtcTime now) {
    std::map<std::string, nlohmann::json, std::less<>> sets;
    sets[kRiskAreasHighValueSet] = codesJson(list, policy::RiskLevel::High, now);
    sets[kRiskAreasMediumValueSet] = codesJson(list, policy::RiskLevel::Medium, now);
    return std::make_shared<const rules::SharedValueSets>(std::move(sets));
}

std::shared_ptr<const rules::SharedValueSets> RiskValueSetCache::get(const std::shared_ptr<const policy::RiskAreaList>& list,
                                                                     UtcTime now) {
    std::lock_guard lock(mutex_);
    const bool fresh = sets_ && list_ == list && now >= from_ && (!until_ || now < *until_);
    if (!fresh) {
        sets_ = riskValueSets(list.get(), now);
        list_ = list;
        from_ = now;
        until_ = list ? list->nextChangeAfter(now) : std::nullopt;
    }
    return sets_;
}

}  // namespace sentinel::verify
