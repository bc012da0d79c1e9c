# Warnings for our own targets only (third-party headers are SYSTEM includes).
add_library(sentinel_warnings INTERFACE)
target_compile_options(sentinel_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                                   -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough)
if(SENTINEL_WERROR)
    target_compile_options(sentinel_warnings INTERFACE -Werror)
endif()
if(SENTINEL_SANITIZE AND SENTINEL_TSAN)
    message(FATAL_ERROR "SENTINEL_SANITIZE (ASan) and SENTINEL_TSAN cannot be combined: use two build folders")
endif()
# Debug information is 96 % of every test binary (the OpenCV, JSON and ZXing templates each one
# instantiates): 175 MB for one CLI test at -g. The sanitizer builds keep line tables only (-g1: a
# report still names function, file and line), a third of the folder; at -g the three build folders
# of toolchain/test.sh took 11.5 GB. (-gz would halve the ordinary build too, but doubles each link.)
if(SENTINEL_SANITIZE OR SENTINEL_TSAN)
    add_compile_options(-g1)
endif()
if(SENTINEL_SANITIZE)
    add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
    add_link_options(-fsanitize=address,undefined)
endif()
if(SENTINEL_TSAN)
    add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
    add_link_options(-fsanitize=thread)
endif()

# sentinel_module(NAME SOURCES... ) — one static library per module, alias sentinel::NAME.
function(sentinel_module name)
    add_library(sentinel_${name} STATIC ${ARGN})
    add_library(sentinel::${name} ALIAS sentinel_${name})
    target_link_libraries(sentinel_${name} PRIVATE sentinel_warnings)
    target_include_directories(sentinel_${name} PUBLIC ${PROJECT_SOURCE_DIR})
    set_target_properties(sentinel_${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()
