#include "firmware/diag/Check.h"

namespace sentinel::diag {

std::string_view toString(Status s) {
    switch (s) {
        case Status::Ok: return "ok";
        case Status::Warn: return "warn";
        case Status::Fail: return "fail";
    }
    return "fail";
}

Status worst(Status a, Status b) { return static_cast<int>(a) >= static_cast<int>(b) ? a : b; }

}  // namespace sentinel::diag
