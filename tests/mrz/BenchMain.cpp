// Scratch entry for tuning: sentinel-bench-mrz ARGS… = `sentinel bench mrz ARGS…` without the app.
#include <iostream>

#include "firmware/mrz/bench/BenchMrz.h"

int main(int argc, char** argv) {
    return sentinel::mrz::runBenchMrz(std::vector<std::string>(argv + 1, argv + argc), std::cout, std::cerr);
}
