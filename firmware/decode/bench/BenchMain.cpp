// sentinel-bench-decode: `sentinel bench decode` as a standalone tool (same arguments), for
// measuring the engine before/without the full CLI.
#include <iostream>

#include "firmware/decode/bench/BenchDecode.h"

int main(int argc, char** argv) {
    return sentinel::decode::runBenchDecode(std::vector<std::string>(argv + 1, argv + argc), std::cout, std::cerr);
}
