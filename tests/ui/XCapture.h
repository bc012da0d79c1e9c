#pragma once
// Test helpers over Xlib: is an X server up, and what its root window shows.

#include <string>

#include "firmware/base/RgbImage.h"

namespace sentinel::testing {

bool xServerAccepts(const std::string& name);
// The root window's top-left widthPx × heightPx as RGB; empty when the server cannot be reached.
RgbImage captureRoot(const std::string& name, int widthPx, int heightPx);

}  // namespace sentinel::testing
