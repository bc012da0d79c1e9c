// Build tool: prints every voice prompt as "LANGUAGE<TAB>FILE<TAB>TEXT", one per line, for
// cmake/Prompts.cmake to turn into WAV files with espeak-ng. The texts come from firmware/ui and
// the one reason table in firmware/base/Reason.cpp.
#include <iostream>

#include "firmware/ui/Texts.h"

int main() {
    for (const auto& p : sentinel::ui::allPrompts()) std::cout << p.language << '\t' << p.file << '\t' << p.text << '\n';
    return 0;
}
