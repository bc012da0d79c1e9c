// libFuzzer target: COSE_Sign1 and the CWT/DCC claims inside it.
#include <span>

#include "firmware/credential/Cose.h"
#include "firmware/credential/Cwt.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace sentinel::credential;
    const auto cose = parseCoseSign1(std::span(data, size));
    if (cose) {
        (void)sigStructure(cose->protectedBytes, cose->payload);
        (void)parseCwtClaims(cose->payload);
    }
    (void)parseCwtClaims(std::span(data, size));
    return 0;
}
