#pragma once
// The screen's and the voice's own bilingual texts. Reason texts are NOT here: they come from the
// one table in firmware/base/Reason.cpp that the console, the screen and the voice share.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firmware/base/DecisionRecord.h"
#include "firmware/base/Reason.h"
#include "firmware/ui/ScreenState.h"

namespace sentinel::ui {

struct Bilingual {
    std::string zh;
    std::string en;
};

Bilingual decisionTitle(Decision d);      // 通过 / Pass …
Bilingual idlePrompt();                   // 请出示健康码 / Please show your health code
// With an ID-card reader (documents.reader): 请出示健康码或刷身份证 / Show your health code or swipe
// your ID card.
Bilingual idlePrompt(bool documents);
// While an identity document is looked up (§15): 正在查询，请稍候 / Checking, please wait.
Bilingual lookingUpPrompt();
// §15 holder binding `require`: the certificate passed and waits for the traveller's document:
// 请出示护照或证件 / Now show your passport or ID card.
Bilingual documentPrompt();
// Its spoken prompt file in one language ("zh/prompt-show-document.wav"); empty for an unknown language.
std::string documentPromptFile(std::string_view language);
// §15: the spoken form of Hint::TiltDocument ("zh/prompt-tilt-document.wav"), said once when a
// reflection first blocks a passport's read; empty for an unknown language.
std::string tiltPromptFile(std::string_view language);
Bilingual aimingAdvice();                 // the idle line when there is no hint
Bilingual hintText(Hint h);               // 请靠近一点 / Hold it closer …
Bilingual seeStaff();                     // 请联系工作人员 / Please see staff
Bilingual testCardText();                 // 测试卡 / Test card
Bilingual outOfService();                 // 暂停服务 / Out of service
// Alarms that change what a traveller can do (camera, journal, clock) take the screen over; the
// others (the fleet link's refused credentials, a control socket that did not start) are for the
// technician: `sentinel status`, the log, the console and the fleet — the traveller still aims.
bool travellerAlarm(std::string_view what);
Bilingual alarmText(std::string_view what);  // camera / journal / clock / anything else
// The card's reason line: the reason's text, except for a plain PASS, whose title already says
// "通过 Pass": 请通行 / Please go ahead.
Bilingual reasonLine(Reason r);
// "核酸 阴性 · 6 小时前" / "NAAT negative · 6 h ago"; with the limit that was exceeded (TEST_TOO_OLD):
// "核酸 阴性 · 48 小时 01 分 > 48 小时" / "NAAT negative · 48 h 01 min > 48 h".
Bilingual testLine(const TestSummary& t, std::optional<double> limitH = std::nullopt);
// "持码人 张*" / "Holder 张*"
Bilingual holderLine(const std::string& holderMasked);

// Voice prompts. An announcement is, per language in voice.languages order, the decision's prompt
// and then the reason's (none for OK: "通过" says it all). espeak-ng turns every PromptItem into
// a WAV file at build time (cmake/Prompts.cmake); the files ship in the .deb.
struct PromptItem {
    std::string language;  // "zh", "en"
    std::string file;      // relative path, e.g. "zh/reason-TEST_TOO_OLD.wav"
    std::string text;      // what is spoken
};
// Every prompt of every language.
std::vector<PromptItem> allPrompts();
// The prompt files (relative paths) of one announcement in one language, in the order spoken;
// empty for a language without prompts.
std::vector<std::string> promptFiles(Decision d, Reason r, std::string_view language);
// The spoken text of one announcement in one language (the texts of promptFiles joined).
std::string promptText(Decision d, Reason r, std::string_view language);
// §14 routes ("isolation", "observation", "testing", "staff"), spoken after the reason. The voice
// speaks these built-in lines (prompts are made at build time); the result card shows the station's
// [routes] text, which may add the desk's place ("（3号口）").
inline constexpr std::string_view kRoutes[] = {"isolation", "observation", "testing", "staff"};
Bilingual routePrompt(std::string_view route);  // empty texts for an unknown route
// The route's prompt file in one language ("zh/route-isolation.wav"); empty for an unknown route or
// language.
std::string routePromptFile(std::string_view route, std::string_view language);
// Every language prompts exist for.
inline constexpr std::string_view kPromptLanguages[] = {"zh", "en"};

}  // namespace sentinel::ui
