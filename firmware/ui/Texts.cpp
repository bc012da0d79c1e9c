#include "firmware/ui/Texts.h"

#include <cmath>
#include <cstdio>

namespace sentinel::ui {

Bilingual decisionTitle(Decision d) {
    switch (d) {
        case Decision::Pass: return {"通过", "Pass"};
        case Decision::Deny: return {"禁止通行", "Entry denied"};
        case Decision::Refer: return {"人工核验", "Staff check"};
    }
    return {"人工核验", "Staff check"};
}

Bilingual idlePrompt() { return {"请出示健康码", "Please show your health code"}; }
Bilingual idlePrompt(bool documents) {
    if (!documents) return idlePrompt();
    return {"请出示健康码或刷身份证", "Show your health code or swipe your ID card"};
}
Bilingual lookingUpPrompt() { return {"正在查询，请稍候", "Checking, please wait"}; }
Bilingual documentPrompt() { return {"请出示护照或证件", "Now show your passport or ID card"}; }
Bilingual aimingAdvice() { return {"请将二维码对准框内", "Hold the code inside the frame"}; }

Bilingual hintText(Hint h) {
    switch (h) {
        case Hint::HoldCloser: return {"请靠近一点", "Hold it closer"};
        case Hint::HoldStill: return {"请保持不动", "Hold still"};
        case Hint::TiltDocument: return {"请稍倾斜证件，避开反光", "Tilt it a little away from the glare"};
        case Hint::None: break;
    }
    return aimingAdvice();
}

Bilingual seeStaff() { return {"请联系工作人员", "Please see staff"}; }
Bilingual testCardText() { return {"测试卡，闸门不开", "Test card: gate stays shut"}; }
Bilingual outOfService() { return {"暂停服务", "Out of service"}; }

bool travellerAlarm(std::string_view what) { return what == "camera" || what == "journal" || what == "clock"; }

Bilingual alarmText(std::string_view what) {
    if (what == "camera") return {"摄像头故障", "Camera fault"};
    if (what == "journal") return {"存储故障", "Storage fault"};
    if (what == "clock") return {"设备时间不可信", "Kiosk clock not trusted"};
    return {"设备故障", "Kiosk fault"};
}

Bilingual reasonLine(Reason r) {
    if (r == Reason::Ok) return {"请通行", "Please go ahead"};
    return {std::string(reasonTextZh(r)), std::string(reasonTextEn(r))};
}

namespace {

// "48 小时 01 分" / "48 h 01 min" (minutes rounded down; a limit is printed as whole hours when it is one).
Bilingual hoursMinutes(double hours) {
    const long totalMin = static_cast<long>(std::floor(hours * 60.0));
    char zh[48], en[48];
    if (totalMin % 60 == 0) {
        std::snprintf(zh, sizeof zh, "%ld 小时", totalMin / 60);
        std::snprintf(en, sizeof en, "%ld h", totalMin / 60);
    } else {
        std::snprintf(zh, sizeof zh, "%ld 小时 %02ld 分", totalMin / 60, totalMin % 60);
        std::snprintf(en, sizeof en, "%ld h %02ld min", totalMin / 60, totalMin % 60);
    }
    return {zh, en};
}

}  // namespace

Bilingual testLine(const TestSummary& t, std::optional<double> limitH) {
    Bilingual type;
    switch (t.type) {
        case TestType::Naat: type = {"核酸", "NAAT"}; break;
        case TestType::Rat: type = {"抗原", "Antigen"}; break;
        case TestType::Other: type = {"检测", "Test"}; break;
    }
    Bilingual result = t.result == "negative"   ? Bilingual{"阴性", "negative"}
                       : t.result == "positive" ? Bilingual{"阳性", "positive"}
                                                : Bilingual{"结果未知", "result unknown"};
    if (limitH && t.ageHours > *limitH) {
        // The age against the limit it exceeded, to the minute: "48 h 01 min > 48 h".
        const Bilingual age = hoursMinutes(t.ageHours), limit = hoursMinutes(*limitH);
        return {type.zh + " " + result.zh + " · " + age.zh + " > " + limit.zh, type.en + " " + result.en + " · " + age.en + " > " + limit.en};
    }
    char zhAge[64];
    char enAge[64];
    if (t.ageHours < 0) {
        std::snprintf(zhAge, sizeof zhAge, "采样时间在未来");
        std::snprintf(enAge, sizeof enAge, "sampled in the future");
    } else if (t.ageHours < 1.0) {
        const int minutes = static_cast<int>(std::floor(t.ageHours * 60.0));
        std::snprintf(zhAge, sizeof zhAge, "%d 分钟前", minutes);
        std::snprintf(enAge, sizeof enAge, "%d min ago", minutes);
    } else {
        const int hours = static_cast<int>(std::floor(t.ageHours));
        std::snprintf(zhAge, sizeof zhAge, "%d 小时前", hours);
        std::snprintf(enAge, sizeof enAge, "%d h ago", hours);
    }
    return {type.zh + " " + result.zh + " · " + zhAge, type.en + " " + result.en + " · " + enAge};
}

Bilingual holderLine(const std::string& holderMasked) { return {"持码人 " + holderMasked, "Holder " + holderMasked}; }

namespace {

const Reason kReasons[] = {
    Reason::Ok, Reason::TestTooOld, Reason::TestPositive, Reason::TestTypeNotAccepted, Reason::TestInFuture,
    Reason::NoTestResult, Reason::CodeNotGreen, Reason::UnknownCode, Reason::SignatureInvalid, Reason::UnknownIssuer,
    Reason::KeyUsageMismatch, Reason::CredentialExpired, Reason::CredentialNotYetValid, Reason::Malformed,
    Reason::UnsupportedFormat, Reason::TrustListStale, Reason::BackendTimeout, Reason::BackendError,
    Reason::ClockUntrusted, Reason::Replayed, Reason::InternalError, Reason::JournalFault, Reason::RuleNotMet,
    Reason::StaffOverride, Reason::RiskAreaHigh, Reason::RiskAreaMedium, Reason::TestResultPending,
    Reason::RiskListStale, Reason::BackendUnavailable, Reason::TravelUnknown, Reason::DocumentUnreadable,
    Reason::HolderMismatch, Reason::HolderNotChecked, Reason::Revoked, Reason::RevocationListStale,
    Reason::BackendNotConfigured};

bool known(std::string_view language) {
    for (auto l : kPromptLanguages) {
        if (l == language) return true;
    }
    return false;
}

std::string decisionFile(Decision d, std::string_view language) {
    return std::string(language) + "/decision-" + std::string(toString(d)) + ".wav";
}
std::string reasonFile(Reason r, std::string_view language) {
    return std::string(language) + "/reason-" + std::string(toString(r)) + ".wav";
}
std::string pick(const Bilingual& b, std::string_view language) { return language == "zh" ? b.zh : b.en; }
std::string reasonSpoken(Reason r, std::string_view language) {
    return std::string(language == "zh" ? reasonTextZh(r) : reasonTextEn(r));
}

}  // namespace

Bilingual routePrompt(std::string_view route) {
    if (route == "isolation") return {"请前往集中隔离登记处", "Please go to the quarantine desk"};
    if (route == "observation") return {"请前往医学观察登记处", "Please go to the medical observation desk"};
    if (route == "testing") return {"请前往核酸检测点", "Please go to the testing point"};
    if (route == "staff") return {"请联系工作人员", "Please see staff"};
    return {};
}

std::string routePromptFile(std::string_view route, std::string_view language) {
    if (!known(language) || routePrompt(route).en.empty()) return {};
    return std::string(language) + "/route-" + std::string(route) + ".wav";
}

std::string documentPromptFile(std::string_view language) {
    if (!known(language)) return {};
    return std::string(language) + "/prompt-show-document.wav";
}

std::string tiltPromptFile(std::string_view language) {
    if (!known(language)) return {};
    return std::string(language) + "/prompt-tilt-document.wav";
}

std::vector<PromptItem> allPrompts() {
    std::vector<PromptItem> items;
    for (auto language : kPromptLanguages) {
        for (Decision d : {Decision::Pass, Decision::Deny, Decision::Refer}) {
            items.push_back({std::string(language), decisionFile(d, language), pick(decisionTitle(d), language)});
        }
        for (Reason r : kReasons) {
            if (r == Reason::Ok) continue;
            items.push_back({std::string(language), reasonFile(r, language), reasonSpoken(r, language)});
        }
        for (auto route : kRoutes) {
            items.push_back({std::string(language), routePromptFile(route, language), pick(routePrompt(route), language)});
        }
        items.push_back({std::string(language), documentPromptFile(language), pick(documentPrompt(), language)});
        items.push_back({std::string(language), tiltPromptFile(language), pick(hintText(Hint::TiltDocument), language)});
    }
    return items;
}

std::vector<std::string> promptFiles(Decision d, Reason r, std::string_view language) {
    if (!known(language)) return {};
    std::vector<std::string> files{decisionFile(d, language)};
    if (r != Reason::Ok) files.push_back(reasonFile(r, language));
    return files;
}

std::string promptText(Decision d, Reason r, std::string_view language) {
    if (!known(language)) return {};
    std::string text = pick(decisionTitle(d), language);
    if (r != Reason::Ok) text += (language == "zh" ? "，" : ". ") + reasonSpoken(r, language);
    return text;
}

}  // namespace sentinel::ui
