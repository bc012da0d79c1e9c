#include <iostream>

#include "firmware/app/Cli.h"

int main(int argc, char** argv) {
    std::vector<std::string> args(argv, argv + argc);
    sentinel::app::CliContext ctx{std::cout, std::cerr};
    try {
        return sentinel::app::runCli(args, ctx);
    } catch (const std::exception& e) {
        std::cerr << "sentinel: internal error: " << e.what() << '\n';
        return 1;
    }
}
