#include "firmware/base/Reason.h"

#include <array>
#include <utility>

namespace sentinel {
namespace {

struct ReasonInfo {
    Reason reason;
    std::string_view id;
    std::string_view en;
    std::string_view zh;
};

constexpr std::array kReasons{
    ReasonInfo{Reason::Ok, "OK", "Pass", "通过"},
    ReasonInfo{Reason::TestTooOld, "TEST_TOO_OLD", "Test older than allowed", "核酸检测已超过有效时间"},
    ReasonInfo{Reason::TestPositive, "TEST_POSITIVE", "Test result not negative", "检测结果非阴性"},
    ReasonInfo{Reason::TestTypeNotAccepted, "TEST_TYPE_NOT_ACCEPTED", "Test type not accepted",
               "检测类型不被接受"},
    ReasonInfo{Reason::TestInFuture, "TEST_IN_FUTURE", "Test time is in the future", "检测时间在未来"},
    ReasonInfo{Reason::NoTestResult, "NO_TEST_RESULT", "No test result", "无核酸检测结果"},
    ReasonInfo{Reason::CodeNotGreen, "CODE_NOT_GREEN", "Health code is not green", "健康码非绿码"},
    ReasonInfo{Reason::UnknownCode, "UNKNOWN_CODE", "Unknown code", "未知的健康码"},
    ReasonInfo{Reason::SignatureInvalid, "SIGNATURE_INVALID", "Invalid signature", "签名无效"},
    ReasonInfo{Reason::UnknownIssuer, "UNKNOWN_ISSUER", "Unknown issuer", "签发机构未知"},
    ReasonInfo{Reason::KeyUsageMismatch, "KEY_USAGE_MISMATCH", "Issuer not allowed for this type",
               "签发证书用途不符"},
    ReasonInfo{Reason::CredentialExpired, "CREDENTIAL_EXPIRED", "Certificate expired", "凭证已过期"},
    ReasonInfo{Reason::CredentialNotYetValid, "CREDENTIAL_NOT_YET_VALID", "Certificate not yet valid",
               "凭证尚未生效"},
    ReasonInfo{Reason::Malformed, "MALFORMED", "Code cannot be read", "二维码内容无效"},
    ReasonInfo{Reason::UnsupportedFormat, "UNSUPPORTED_FORMAT", "Please show your health code", "请出示健康码"},
    ReasonInfo{Reason::TrustListStale, "TRUST_LIST_STALE", "Trust list out of date — see staff",
               "信任列表过期，请联系工作人员"},
    ReasonInfo{Reason::BackendTimeout, "BACKEND_TIMEOUT", "Service did not answer — see staff",
               "服务无响应，请联系工作人员"},
    ReasonInfo{Reason::BackendError, "BACKEND_ERROR", "Service error — see staff", "服务错误，请联系工作人员"},
    ReasonInfo{Reason::ClockUntrusted, "CLOCK_UNTRUSTED", "Kiosk clock not trusted — see staff",
               "设备时间不可信，请联系工作人员"},
    ReasonInfo{Reason::Replayed, "REPLAYED", "Code already used here", "该码刚刚已使用"},
    ReasonInfo{Reason::InternalError, "INTERNAL_ERROR", "Kiosk error — see staff", "设备故障，请联系工作人员"},
    ReasonInfo{Reason::JournalFault, "JOURNAL_FAULT", "Kiosk storage fault — see staff",
               "设备存储故障，请联系工作人员"},
    ReasonInfo{Reason::RuleNotMet, "RULE_NOT_MET", "Entry rule not met", "不符合通行规则"},
    ReasonInfo{Reason::StaffOverride, "STAFF_OVERRIDE", "Opened by staff", "工作人员已放行"},
    ReasonInfo{Reason::RiskAreaHigh, "RISK_AREA_HIGH", "Recent stay in a high-risk area", "近期到访高风险地区"},
    ReasonInfo{Reason::RiskAreaMedium, "RISK_AREA_MEDIUM", "Recent stay in a medium-risk area", "近期到访中风险地区"},
    ReasonInfo{Reason::TestResultPending, "TEST_RESULT_PENDING", "Test result not yet available", "核酸结果尚未出具"},
    ReasonInfo{Reason::RiskListStale, "RISK_LIST_STALE", "Risk-area list out of date — see staff",
               "风险名单过期，请联系工作人员"},
    ReasonInfo{Reason::BackendUnavailable, "BACKEND_UNAVAILABLE", "Service unavailable — see staff",
               "服务暂不可用，请联系工作人员"},
    ReasonInfo{Reason::TravelUnknown, "TRAVEL_UNKNOWN", "Travel history unavailable — see staff",
               "行程信息不可用，请联系工作人员"},
    ReasonInfo{Reason::DocumentUnreadable, "DOCUMENT_UNREADABLE", "Document could not be read — please try again",
               "证件无法读取，请重新刷卡"},
    ReasonInfo{Reason::HolderMismatch, "HOLDER_MISMATCH", "Certificate does not match the document", "凭证与证件不符"},
    ReasonInfo{Reason::HolderNotChecked, "HOLDER_NOT_CHECKED", "Identity not checked — see staff",
               "未核验身份，请联系工作人员"},
    ReasonInfo{Reason::Revoked, "REVOKED", "Certificate revoked", "凭证已被撤销"},
    ReasonInfo{Reason::RevocationListStale, "REVOCATION_LIST_STALE", "Revocation list out of date — see staff",
               "撤销列表过期，请联系工作人员"},
    ReasonInfo{Reason::BackendNotConfigured, "BACKEND_NOT_CONFIGURED", "Online check not set up here — see staff",
               "未配置在线核验，请联系工作人员"},
};

const ReasonInfo& info(Reason r) {
    for (const auto& i : kReasons) {
        if (i.reason == r) return i;
    }
    return kReasons[static_cast<size_t>(Reason::InternalError)];
}

}  // namespace

std::string_view toString(Decision d) {
    switch (d) {
        case Decision::Pass: return "PASS";
        case Decision::Deny: return "DENY";
        case Decision::Refer: return "REFER";
    }
    return "REFER";
}

std::string_view toString(Reason r) { return info(r).id; }
std::string_view reasonTextEn(Reason r) { return info(r).en; }
std::string_view reasonTextZh(Reason r) { return info(r).zh; }

std::optional<Decision> decisionFromString(std::string_view s) {
    for (Decision d : {Decision::Pass, Decision::Deny, Decision::Refer}) {
        if (toString(d) == s) return d;
    }
    return std::nullopt;
}

std::optional<Reason> reasonFromString(std::string_view s) {
    for (const auto& i : kReasons) {
        if (i.id == s) return i.reason;
    }
    return std::nullopt;
}

Decision decisionFor(Reason r) {
    switch (r) {
        case Reason::Ok:
        case Reason::StaffOverride: return Decision::Pass;
        case Reason::TrustListStale:
        case Reason::BackendTimeout:
        case Reason::BackendError:
        case Reason::ClockUntrusted:
        case Reason::InternalError:
        case Reason::JournalFault:
        case Reason::RiskAreaHigh:
        case Reason::RiskAreaMedium:
        case Reason::TestResultPending:
        case Reason::RiskListStale:
        case Reason::BackendUnavailable:
        case Reason::TravelUnknown:
        case Reason::DocumentUnreadable:
        case Reason::HolderNotChecked:
        case Reason::RevocationListStale:
        case Reason::BackendNotConfigured:
        case Reason::UnsupportedFormat: return Decision::Refer;  // a QR that is not a health code: try again
        default: return Decision::Deny;
    }
}

}  // namespace sentinel
